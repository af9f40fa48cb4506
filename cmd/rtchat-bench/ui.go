package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"
	"github.com/rtchat/rtchat/chat"
	"github.com/rtchat/rtchat/themes"
	"github.com/rtchat/rtchat/ui"
)

// frameScreen is a simulation screen that times every frame: from the
// Clear that starts a draw to the end of the Show that ends it.
type frameScreen struct {
	tcell.SimulationScreen
	w, h   int
	mu     sync.Mutex
	start  time.Time
	frames []time.Duration
	shown  chan struct{}
	// onShow, if set, is called after each Show on the UI goroutine.
	onShow func(s *frameScreen)
}

func newFrameScreen(w, h int) *frameScreen {
	return &frameScreen{SimulationScreen: tcell.NewSimulationScreen("UTF-8"), w: w, h: h, shown: make(chan struct{}, 1)}
}

func (s *frameScreen) Init() error {
	err := s.SimulationScreen.Init()
	s.SimulationScreen.SetSize(s.w, s.h)
	return err
}

func (s *frameScreen) Clear() {
	s.mu.Lock()
	s.start = time.Now()
	s.mu.Unlock()
	s.SimulationScreen.Clear()
}

func (s *frameScreen) Show() {
	s.SimulationScreen.Show()
	s.mu.Lock()
	if !s.start.IsZero() {
		s.frames = append(s.frames, time.Since(s.start))
	}
	f := s.onShow
	s.mu.Unlock()
	if f != nil {
		f(s)
	}
	select {
	case s.shown <- struct{}{}:
	default:
	}
}

// takeFrames returns and forgets the frames timed so far.
func (s *frameScreen) takeFrames() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.frames
	s.frames = nil
	return f
}

// frameCount is how many frames were drawn (and not taken).
func (s *frameScreen) frameCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.frames)
}

// text returns every row of the screen, one per line.
func (s *frameScreen) text() string {
	var b strings.Builder
	for y := range s.h {
		b.WriteString(s.row(y))
		b.WriteByte('\n')
	}
	return b.String()
}

// row returns the text of row y (negative counts from the bottom); call it
// on the UI goroutine (from onShow).
func (s *frameScreen) row(y int) string {
	cells, w, h := s.SimulationScreen.GetContents()
	if y < 0 {
		y += h
	}
	var b strings.Builder
	for x := range w {
		b.WriteString(string(cells[y*w+x].Runes))
	}
	return b.String()
}

// benchBackend is an in-memory ui.Backend whose events the bench drives.
type benchBackend struct {
	events chan chat.Event
	mu     sync.Mutex
	msgs   map[string][]chat.Message
	mine   []string
}

func (f *benchBackend) User() string              { return "me" }
func (f *benchBackend) Events() <-chan chat.Event { return f.events }
func (f *benchBackend) Join(ctx context.Context, name string) (chat.Channel, error) {
	f.mu.Lock()
	msgs := f.msgs[name]
	f.mu.Unlock()
	f.events <- chat.HistoryEvent{Channel: name, Messages: msgs, Complete: true}
	return chat.Channel{ID: name, Name: name, Members: 2}, nil
}
func (f *benchBackend) Leave(context.Context, string) error { return nil }

// The window bench sends and fetches no files.
func (f *benchBackend) SendFile(context.Context, chat.Upload) (chat.Sent, error) {
	return chat.Sent{}, errors.New("the window bench sends no files")
}
func (f *benchBackend) FetchFile(context.Context, string, chat.Message, io.Writer, func(int64, int64)) error {
	return chat.ErrFileGone
}

// nor runs server commands.
func (f *benchBackend) ServerCommands(context.Context) ([]chat.ServerCommand, error) { return nil, nil }
func (f *benchBackend) RunCommand(context.Context, string, string, string) (string, error) {
	return "", chat.ErrNoSuchCommand
}
func (f *benchBackend) MaxFileBytes() int64                                       { return chat.DefaultMaxFileBytes }
func (f *benchBackend) Verify(string, chat.ID) chat.Verdict                       { return chat.Verified }
func (f *benchBackend) ChangeSettings(context.Context, chat.SettingsChange) error { return nil }
func (f *benchBackend) MentionInbox(context.Context, int) ([]chat.Mention, error) { return nil, nil }
func (f *benchBackend) MarkMentionsRead(context.Context, time.Time) error         { return nil }
func (f *benchBackend) RememberMention(context.Context, chat.Message) error       { return nil }
func (f *benchBackend) SetAway(context.Context, bool, string) error               { return nil }
func (f *benchBackend) Away(context.Context, []string) (map[string]string, error) {
	return map[string]string{}, nil
}
func (f *benchBackend) Thread(context.Context, string, chat.ID) (chat.Message, []chat.Message, error) {
	return chat.Message{}, nil, chat.ErrNoSuchMessage
}
func (f *benchBackend) Send(d chat.Draft) (string, error) { return "m", nil }
func (f *benchBackend) History(context.Context, string, chat.ID) (chat.Page, error) {
	return chat.Page{}, nil
}
func (f *benchBackend) ListChannels(context.Context) ([]chat.Channel, error) {
	var out []chat.Channel
	for _, n := range f.mine {
		out = append(out, chat.Channel{ID: n, Name: n, Members: 2})
	}
	return out, nil
}
func (f *benchBackend) Opening(context.Context) (chat.Opening, error) {
	return chat.Opening{Channels: f.mine}, nil
}
func (f *benchBackend) SetTopic(context.Context, string, string) error { return nil }
func (f *benchBackend) DeleteChannel(context.Context, string) error    { return nil }
func (f *benchBackend) Who(context.Context, string) (chat.Presence, error) {
	return chat.Presence{Members: []string{"me"}, Online: []string{"me"}}, nil
}
func (f *benchBackend) MarkRead(context.Context, string, chat.ID) error { return nil }
func (f *benchBackend) ReadMarkers(context.Context) (map[string]chat.ID, error) {
	return map[string]chat.ID{}, nil
}
func (f *benchBackend) Typing(string) {}
func (f *benchBackend) SearchEverywhere(context.Context, chat.Query, chat.SearchCursor, int) (chat.SearchResults, error) {
	return chat.SearchResults{Done: true}, nil
}
func (f *benchBackend) Around(context.Context, string, chat.ID, int64) ([]chat.Message, error) {
	return nil, nil
}
func (f *benchBackend) emit(ev chat.Event) { f.events <- ev }

// messages makes n messages of channel, with ids from base.
func messages(channel string, n, base int) ([]chat.Message, int) {
	msgs := make([]chat.Message, n)
	bytes := 0
	t0 := time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)
	for i := range msgs {
		text := fmt.Sprintf("message %d of the history, with a few words to wrap %s", i, strings.Repeat("lorem ", i%9))
		msgs[i] = chat.Message{ID: chat.ID{MS: uint64(t0.UnixMilli() + int64(i)), Seq: uint64(base)}, Channel: channel, User: fmt.Sprint("user", i%6), Text: text, Time: t0.Add(time.Duration(i) * time.Millisecond)}
		bytes += len(text)
	}
	return msgs, bytes
}

// runUI starts an App on screen with backend and returns a stop function.
func runUI(be ui.Backend, screen *frameScreen) (stop func()) {
	app := ui.New(ui.Options{Backend: be, Theme: themes.Default(), Version: "bench", Screen: screen})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = app.Run(ctx); close(done) }()
	return func() { cancel(); <-done }
}

// waitRow waits until the given row shows want (checked after each frame).
func waitFor(screen *frameScreen, cond func() bool, timeout time.Duration) error {
	deadline := time.After(timeout)
	for !cond() {
		select {
		case <-screen.shown:
		case <-time.After(20 * time.Millisecond):
		case <-deadline:
			return fmt.Errorf("the window did not get there within %v", timeout)
		}
	}
	return nil
}

// ui measures the log view's frame time with a small and a large history,
// the first paint after switching channels, keystroke echo under a flood,
// and memory per message.
func (b *bench) ui(ctx context.Context) ([]result, error) {
	small, large := 1_000, 100_000
	frames := 200
	if b.quick {
		frames = 30
	}
	var out []result
	for _, size := range [][2]int{{80, 24}, {200, 60}} {
		var smallP50 float64
		for _, n := range []int{small, large} {
			rt, err := b.uiFrames(n, size, frames)
			if err != nil {
				return nil, err
			}
			raw, err := textViewFrames(n, size, min(frames, 20))
			if err != nil {
				return nil, err
			}
			r := result{Scenario: "ui", Case: fmt.Sprintf("frame, %dk messages, %dx%d", n/1000, size[0], size[1]), Rtchat: rt, Raw: raw,
				Ratio: map[string]float64{"p50": ratio(rt.P50, raw.P50)},
				Note:  "raw: a tview TextView holding the same lines"}
			if n == small {
				smallP50 = rt.P50
				r.Target = "reference for 100k"
			} else {
				r.Ratio["vs_1k"] = ratio(rt.P50, smallP50)
				r.Target = "p50 ≤ 1.2× the 1k figure"
				r.Met = met(r.Ratio["vs_1k"] <= 1.2)
			}
			out = append(out, r)
			b.say("%s: p50 %.0fµs (TextView %.0fµs)", r.Case, rt.P50, raw.P50)
		}
	}
	sw, err := b.uiSwitch(large)
	if err != nil {
		return nil, err
	}
	// The floor: the same switch between two empty channels.
	empty, err := b.uiSwitch(0)
	if err != nil {
		return nil, err
	}
	sw.Raw = empty.Rtchat
	sw.Ratio["p50"] = ratio(sw.Rtchat.P50, sw.Raw.P50)
	sw.Note = "raw: the same switch between two empty channels (tview's fixed cost of a frame)"
	out = append(out, sw)
	echo, err := b.uiEcho()
	if err != nil {
		return nil, err
	}
	out = append(out, echo)
	return out, nil
}

// uiFrames loads n messages and times frames of appending one message.
func (b *bench) uiFrames(n int, size [2]int, frames int) (side, error) {
	be := &benchBackend{events: make(chan chat.Event, 1024), msgs: map[string][]chat.Message{}, mine: []string{"bench"}}
	msgs, _ := messages("bench", n, 1_000_000)
	be.msgs["bench"] = msgs
	screen := newFrameScreen(size[0], size[1])
	stop := runUI(be, screen)
	defer stop()
	last := msgs[n-1].Text
	if err := waitFor(screen, func() bool { return strings.Contains(screen.row(-4)+screen.row(-3)+screen.row(-5), last[:20]) }, 30*time.Second); err != nil {
		return side{}, err
	}
	screen.takeFrames()
	for i := range frames {
		id := chat.ID{MS: uint64(time.Now().UnixMilli()), Seq: uint64(i)}
		be.emit(chat.MessageEvent{Message: chat.Message{ID: id, Channel: "bench", User: "bob", Text: "new " + id.String(), Time: time.Now()}})
		want := "new " + id.String()
		if err := waitFor(screen, func() bool { return strings.Contains(screen.row(-3)+screen.row(-4), want) }, 10*time.Second); err != nil {
			return side{}, err
		}
	}
	return summarize(screen.takeFrames()), nil
}

// textViewFrames times a tview TextView holding the same n lines.
func textViewFrames(n int, size [2]int, frames int) (side, error) {
	msgs, _ := messages("bench", n, 0)
	var sb strings.Builder
	for _, m := range msgs {
		fmt.Fprintf(&sb, "[%s] %s: %s\n", m.Time.Format("15:04"), m.User, tview.Escape(m.Text))
	}
	tv := tview.NewTextView().SetDynamicColors(true).SetWrap(true)
	tv.SetText(sb.String())
	tv.ScrollToEnd()
	screen := tcell.NewSimulationScreen("UTF-8")
	if err := screen.Init(); err != nil {
		return side{}, err
	}
	defer screen.Fini()
	screen.SetSize(size[0], size[1])
	tv.SetRect(0, 0, size[0], size[1])
	first := time.Now()
	tv.Draw(screen)
	screen.Show()
	firstDraw := time.Since(first)
	var lat []time.Duration
	for i := range frames {
		t := time.Now()
		fmt.Fprintf(tv, "new %d\n", i)
		tv.Draw(screen)
		screen.Show()
		lat = append(lat, time.Since(t))
	}
	s := summarize(lat)
	s.Extra = map[string]float64{"textview_first_draw_ms": round(float64(firstDraw.Microseconds()) / 1e3)}
	return s, nil
}

// uiSwitch times the first frame after switching to a channel with n
// messages loaded, at 200×60.
func (b *bench) uiSwitch(n int) (result, error) {
	be := &benchBackend{events: make(chan chat.Event, 1024), msgs: map[string][]chat.Message{}, mine: []string{"aa", "bb"}}
	if n > 0 {
		be.msgs["aa"], _ = messages("aa", n, 1_000_000)
		be.msgs["bb"], _ = messages("bb", n, 1_000_000)
	}
	screen := newFrameScreen(200, 60)
	stop := runUI(be, screen)
	defer stop()
	if err := waitFor(screen, func() bool {
		return strings.Contains(screen.row(-1), "#aa") && strings.Contains(screen.row(2), "● bb")
	}, 30*time.Second); err != nil {
		return result{}, fmt.Errorf("%w (status bar: %q)", err, screen.row(-1))
	}
	var lat []time.Duration
	rounds := 40
	if b.quick {
		rounds = 6
	}
	for i := range rounds {
		want := map[bool]string{true: "#bb", false: "#aa"}[i%2 == 0]
		screen.takeFrames()
		screen.InjectKey(tcell.KeyCtrlN, 0, tcell.ModCtrl)
		if err := waitFor(screen, func() bool { return strings.Contains(screen.row(-1), want+" ·") }, 10*time.Second); err != nil {
			var rows []string
			for y := range 8 {
				rows = append(rows, strings.TrimSpace(screen.row(y)))
			}
			return result{}, fmt.Errorf("%w (status bar: %q; top: %q)", err, screen.row(-1), rows)
		}
		if f := screen.takeFrames(); len(f) > 0 {
			lat = append(lat, f[len(f)-1])
		}
	}
	rt := summarize(lat)
	r := result{Scenario: "ui", Case: fmt.Sprintf("first paint after a switch, %dk loaded, 200x60", n/1000), Rtchat: rt,
		Ratio: map[string]float64{}, Target: "≤ 5 ms (p50)"}
	r.Met = met(rt.P50 <= 5000)
	if n > 0 {
		b.say("%s: p50 %.0fµs p99 %.0fµs", r.Case, rt.P50, rt.P99)
	}
	return r, nil
}

// uiEcho floods the open channel at 10k msg/s and times keystroke echo;
// it also reports the memory per message of 100k loaded messages.
func (b *bench) uiEcho() (result, error) {
	be := &benchBackend{events: make(chan chat.Event, 1<<16), msgs: map[string][]chat.Message{}, mine: []string{"flood"}}
	screen := newFrameScreen(120, 40)
	var echoMu sync.Mutex
	var typedAt []time.Time
	var echoes []time.Duration
	seen := 0
	screen.onShow = func(s *frameScreen) {
		n := strings.Count(s.row(-2), "k")
		echoMu.Lock()
		for seen < n && seen < len(typedAt) {
			echoes = append(echoes, time.Since(typedAt[seen]))
			seen++
		}
		echoMu.Unlock()
	}
	stop := runUI(be, screen)
	defer stop()
	if err := waitFor(screen, func() bool { return strings.Contains(screen.row(-1), "#flood") }, 10*time.Second); err != nil {
		return result{}, err
	}
	// The flood: 10k msg/s for the whole keystroke run.
	keys := 60
	if b.quick {
		keys = 15
	}
	floodCtx, stopFlood := context.WithCancel(context.Background())
	floodStart := time.Now()
	var sent int
	floodDone := make(chan struct{})
	go func() {
		defer close(floodDone)
		sent = floodEvents(floodCtx, be)
	}()
	for range keys {
		time.Sleep(30 * time.Millisecond)
		echoMu.Lock()
		typedAt = append(typedAt, time.Now())
		echoMu.Unlock()
		screen.InjectKey(tcell.KeyRune, 'k', tcell.ModNone)
	}
	_ = waitFor(screen, func() bool { echoMu.Lock(); defer echoMu.Unlock(); return len(echoes) == keys }, 10*time.Second)
	stopFlood()
	<-floodDone
	lastID := fmt.Sprintf("flood %d-0", 3_000_000+sent-1)
	shownLast := waitFor(screen, func() bool {
		return strings.Contains(screen.row(-3)+screen.row(-4)+screen.row(-5), lastID)
	}, 20*time.Second) == nil
	echoMu.Lock()
	rt := summarize(echoes)
	lost := int64(keys - len(echoes))
	echoMu.Unlock()
	if !shownLast {
		lost++
	}
	rt.Lost = lost

	elapsedFlood := time.Since(floodStart).Seconds()
	rt.Throughput = round(float64(sent) / elapsedFlood)
	perMsg, textPerMsg, err := uiMemory()
	if err != nil {
		return result{}, err
	}
	rt.Extra = map[string]float64{
		"flood_msgs_sent":          float64(sent),
		"heap_bytes_per_message":   round(perMsg),
		"text_bytes_per_message":   round(textPerMsg),
		"heap_per_text_byte_ratio": ratio(perMsg, textPerMsg),
	}
	r := result{Scenario: "ui", Case: "keystroke echo under a 10k msg/s flood", Rtchat: rt, Ratio: map[string]float64{},
		Target: "p99 ≤ 50 ms, nothing dropped; memory ≤ 2× text (reported)"}
	r.Met = met(rt.P99 <= 50_000 && rt.Lost == 0)
	b.say("%s: p50 %.1fms p99 %.1fms, %d flood messages, %.0f heap bytes per message (%.0f bytes of text)",
		r.Case, rt.P50/1000, rt.P99/1000, sent, perMsg, textPerMsg)
	return r, nil
}

// floodEvents emits messages into the window's channel at 10k msg/s until
// ctx ends, and returns how many it emitted.
func floodEvents(ctx context.Context, be *benchBackend) int {
	// 10 messages every millisecond: 10k msg/s (sleeping per message
	// would undershoot; timers are not that fine).
	start := time.Now()
	sent := 0
	for i := 0; ctx.Err() == nil; i += 10 {
		if d := time.Until(start.Add(time.Duration(i/10) * time.Millisecond)); d > 0 {
			time.Sleep(d)
		}
		for k := i; k < i+10; k++ {
			id := chat.ID{MS: uint64(3_000_000 + k)}
			be.emit(chat.MessageEvent{Message: chat.Message{ID: id, Channel: "flood", User: "bot", Text: "flood " + id.String(), Time: time.Now()}})
		}
		sent = i + 10
	}
	return sent
}

// uiMemory loads 100k messages into a fresh window and returns the heap
// the window keeps per message, and the text bytes per message.
func uiMemory() (perMsg, textPerMsg float64, err error) {
	const n = 100_000
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	be := &benchBackend{events: make(chan chat.Event, 16), msgs: map[string][]chat.Message{}, mine: []string{"mem"}}
	msgs, textBytes := messages("mem", n, 5_000_000)
	be.msgs["mem"] = msgs
	last := msgs[n-1].Text[:24]
	screen := newFrameScreen(120, 40)
	stop := runUI(be, screen)
	defer stop()
	if err := waitFor(screen, func() bool {
		return strings.Contains(screen.row(-3)+screen.row(-4)+screen.row(-5), last)
	}, 30*time.Second); err != nil {
		return 0, 0, err
	}
	// Only the window holds the messages now.
	be.mu.Lock()
	be.msgs = nil
	be.mu.Unlock()
	msgs = nil
	runtime.GC()
	runtime.ReadMemStats(&m1)
	return float64(int64(m1.HeapAlloc)-int64(m0.HeapAlloc)) / n, float64(textBytes) / n, nil
}

// startWindow starts c and a real window on it (max_lines 5000), drawn on
// screen (nil: a new frame screen; else one started already, as rtchat's
// splash leaves it); stop ends both.
func startWindow(ctx context.Context, c *chat.Client, screen *frameScreen) (_ *frameScreen, stop func(), err error) {
	wctx, stopClient, err := startClient(ctx, c)
	if err != nil {
		return nil, nil, err
	}
	started := screen != nil
	if !started {
		screen = newFrameScreen(120, 40)
	}
	app := ui.New(ui.Options{Backend: c, Theme: themes.Default(), Version: "bench", Screen: screen, Started: started, MaxLines: 5000})
	done := make(chan struct{})
	go func() { _ = app.Run(wctx); close(done) }()
	return screen, func() { stopClient(); <-done }, nil
}

// openWindow is startWindow on a new frame screen, once the window shows
// its channel subscribed and connected.
func openWindow(ctx context.Context, c *chat.Client) (_ *frameScreen, stop func(), err error) {
	screen, stop, err := startWindow(ctx, c, nil)
	if err != nil {
		return nil, nil, err
	}
	if err := waitFor(screen, func() bool { return strings.Contains(screen.row(-1), "subscribed · connected") }, 30*time.Second); err != nil {
		stop()
		return nil, nil, err
	}
	return screen, stop, nil
}

// startClient starts c; stop ends it. ctx (under the caller's) ends at
// stop.
func startClient(ctx context.Context, c *chat.Client) (_ context.Context, stop func(), err error) {
	ctx, cancel := context.WithCancel(ctx)
	if err := c.Start(ctx); err != nil {
		cancel()
		return nil, nil, err
	}
	return ctx, func() { cancel(); _ = c.Close() }, nil
}

// JoinAll joins each of channels, one after another.
func (f *benchBackend) JoinAll(ctx context.Context, channels []string) ([]chat.Channel, map[string]error) {
	out := make([]chat.Channel, 0, len(channels))
	for _, name := range channels {
		ch, _ := f.Join(ctx, name) // the bench's Join does not fail
		out = append(out, ch)
	}
	return out, nil
}
