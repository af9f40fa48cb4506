package ui_test

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/uniseg"
	"github.com/rtchat/rtchat/themes"
	"github.com/rtchat/rtchat/ui"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// testScreen is a simulation screen that snapshots what was shown, on the
// UI goroutine, so tests can read it without racing the next draw.
type testScreen struct {
	tcell.SimulationScreen
	w, h   int
	mu     sync.Mutex
	rows   []string
	styles [][]tcell.Style
	shown  chan struct{}
	title  string
	beeps  int
}

// Beep counts the bells rung.
func (s *testScreen) Beep() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.beeps++
	return nil
}

// SetTitle records the terminal title.
func (s *testScreen) SetTitle(title string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.title = title
}

// bells returns how many times the bell rang, and the title.
func (s *testScreen) bells() (int, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.beeps, s.title
}

func newTestScreen(w, h int) *testScreen {
	return &testScreen{SimulationScreen: tcell.NewSimulationScreen("UTF-8"), w: w, h: h, shown: make(chan struct{}, 1)}
}

// Init initialises the simulation at the test's size.
func (s *testScreen) Init() error {
	err := s.SimulationScreen.Init()
	s.SimulationScreen.SetSize(s.w, s.h)
	return err
}

func (s *testScreen) Show() {
	s.SimulationScreen.Show()
	s.snapshot()
}

func (s *testScreen) Sync() {
	s.SimulationScreen.Sync()
	s.snapshot()
}

func (s *testScreen) snapshot() {
	cells, w, h := s.SimulationScreen.GetContents()
	rows := make([]string, h)
	styles := make([][]tcell.Style, h)
	for y := range h {
		var b strings.Builder
		styles[y] = make([]tcell.Style, w)
		skip := 0
		for x := range w {
			c := cells[y*w+x]
			styles[y][x] = c.Style
			if skip > 0 {
				skip--
				continue
			}
			if len(c.Runes) == 0 {
				b.WriteByte(' ')
				continue
			}
			b.WriteString(string(c.Runes))
			if uniseg.StringWidth(string(c.Runes)) == 2 {
				skip = 1
			}
		}
		rows[y] = strings.TrimRight(b.String(), " ")
	}
	s.mu.Lock()
	s.rows, s.styles = rows, styles
	s.mu.Unlock()
	select {
	case s.shown <- struct{}{}:
	default:
	}
}

// text returns the screen as shown last, one line per row.
func (s *testScreen) text() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Join(s.rows, "\n")
}

// row returns one row as shown last.
func (s *testScreen) row(y int) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if y < 0 {
		y += len(s.rows)
	}
	if y < 0 || y >= len(s.rows) {
		return ""
	}
	return s.rows[y]
}

// style returns the style of cell (x, y) as shown last.
func (s *testScreen) style(x, y int) tcell.Style {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.styles[y][x]
}

// find returns the position of the first occurrence of sub on screen.
func (s *testScreen) find(sub string) (x, y int, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for y, r := range s.rows {
		if i := strings.Index(r, sub); i >= 0 {
			return len([]rune(r[:i])), y, true
		}
	}
	return 0, 0, false
}

// waitFor waits until cond holds on the shown screen.
func (s *testScreen) waitFor(t testing.TB, what string, cond func(string) bool) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		if cond(s.text()) {
			return
		}
		select {
		case <-s.shown:
		case <-time.After(50 * time.Millisecond):
		case <-deadline:
			t.Fatalf("timed out waiting for %s; the screen:\n%s", what, s.text())
		}
	}
}

func (s *testScreen) waitText(t testing.TB, sub string) {
	t.Helper()
	s.waitFor(t, "\""+sub+"\"", func(txt string) bool { return strings.Contains(txt, sub) })
}

// typeText types s and, with enter, presses Enter.
func (s *testScreen) typeText(text string, enter bool) {
	for _, r := range text {
		s.InjectKey(tcell.KeyRune, r, tcell.ModNone)
	}
	if enter {
		s.InjectKey(tcell.KeyEnter, 0, tcell.ModNone)
	}
}

func (s *testScreen) key(k tcell.Key, mod tcell.ModMask) { s.InjectKey(k, 0, mod) }

// say types input and Enter, and waits for want on the screen.
func (s *testScreen) say(t testing.TB, input, want string) {
	t.Helper()
	s.typeText(input, true)
	s.waitText(t, want)
}

func (s *testScreen) click(x, y int) {
	s.InjectMouse(x, y, tcell.Button1, tcell.ModNone)
	s.InjectMouse(x, y, tcell.ButtonNone, tcell.ModNone)
}

// showFake opens a w×h window on the fake backend f, as runApp does, and
// waits until it shows #general subscribed.
func showFake(t testing.TB, f *fakeBackend, w, h int) *testScreen {
	t.Helper()
	s := newTestScreen(w, h)
	runApp(t, ui.Options{Backend: f, Screen: s})
	s.waitText(t, "#general · subscribed")
	return s
}

// runApp starts the App on screen. stop cancels its context and waits for
// Run to return; done is closed when Run has returned, with its error in
// *runErr.
func runApp(t testing.TB, opts ui.Options) (stop func(), done <-chan struct{}, runErr *error) {
	t.Helper()
	if opts.Theme.Name == "" {
		opts.Theme = themes.Default()
	}
	if opts.Version == "" {
		opts.Version = "test"
	}
	app := ui.New(opts)
	ctx, cancel := context.WithCancel(context.Background())
	finished := make(chan struct{})
	var err error
	go func() {
		err = app.Run(ctx)
		close(finished)
	}()
	stopFn := func() {
		cancel()
		select {
		case <-finished:
		case <-time.After(10 * time.Second):
			t.Error("the App did not stop within 10s of its context ending")
		}
	}
	t.Cleanup(stopFn)
	return stopFn, finished, &err
}

// golden compares got with testdata/name, rewriting it under -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run go test ./ui -update to create it): %v", err)
	}
	if string(want) != got {
		t.Fatalf("screen differs from %s (run go test ./ui -update if the change is intended)\n--- got ---\n%s\n--- want ---\n%s", path, got, want)
	}
}
