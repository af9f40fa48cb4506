package main

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"
	"github.com/rtchat/rtchat/internal/faultproxy"
	"github.com/rtchat/rtchat/internal/redistest"
)

// snapScreen is a simulation screen that keeps a copy of what it showed
// last, taken on the UI goroutine, for the test to read without racing
// the next draw.
type snapScreen struct {
	tcell.SimulationScreen
	mu   sync.Mutex
	text string
	// first is the text of the first frame.
	first string
}

// Show shows the frame and keeps its text.
func (s *snapScreen) Show() {
	s.SimulationScreen.Show()
	cells, w, h := s.GetContents()
	var b strings.Builder
	for y := range h {
		for x := range w {
			if r := cells[y*w+x].Runes; len(r) > 0 {
				b.WriteString(string(r))
			} else {
				b.WriteByte(' ')
			}
		}
		b.WriteByte('\n')
	}
	s.mu.Lock()
	s.text = b.String()
	if s.first == "" {
		s.first = s.text
	}
	s.mu.Unlock()
}

// shown returns the text of the last frame.
func (s *snapScreen) shown() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.text
}

// TestQuitIsQuick: /quit returns to the shell at once — the window, the
// chat client (its Pub/Sub session and blocking reads) and the connection
// all stop without waiting for a timeout. The bound is generous for a
// loaded machine; the figure itself is logged (well under 100 ms here).
func TestQuitIsQuick(t *testing.T) {
	isolate(t)
	srv := redistest.Start(t)
	screen := &snapScreen{SimulationScreen: tcell.NewSimulationScreen("UTF-8")}
	if err := screen.Init(); err != nil {
		t.Fatal(err)
	}
	screen.SetSize(100, 30)
	done := make(chan error, 1)
	var quitAt time.Time
	go func() {
		err := runChatOn(context.Background(), []string{"--redis", srv.URL()}, stdio{in: strings.NewReader(""), out: &strings.Builder{}, err: &strings.Builder{}}, screen)
		done <- err
	}()
	redistest.Eventually(t, 15*time.Second, "the window to connect", func() error {
		if txt := screen.shown(); !strings.Contains(txt, "#general · subscribed · connected") {
			return errors.New(txt)
		}
		return nil
	})
	time.Sleep(200 * time.Millisecond) // every loop settled in its wait
	for _, r := range "/quit" {
		screen.InjectKey(tcell.KeyRune, r, tcell.ModNone)
	}
	quitAt = time.Now()
	screen.InjectKey(tcell.KeyEnter, 0, tcell.ModNone)
	select {
	case err := <-done:
		took := time.Since(quitAt)
		t.Logf("/quit returned after %v", took.Round(time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		if took > time.Second {
			t.Fatalf("/quit took %v", took)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("/quit did not return")
	}
}

// TestFirstFrameBeforeTheNetwork: with Redis a slow round trip away, the
// window's first frame says what it waits for, drawn before any reply
// (the first frame is not the chat's), and the chat follows.
func TestFirstFrameBeforeTheNetwork(t *testing.T) {
	isolate(t)
	srv := redistest.Start(t)
	proxy := faultproxy.Start(t, srv.Addr)
	proxy.SetDelay(100 * time.Millisecond)
	screen := &snapScreen{SimulationScreen: tcell.NewSimulationScreen("UTF-8")}
	if err := screen.Init(); err != nil {
		t.Fatal(err)
	}
	screen.SetSize(100, 30)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- runChatOn(ctx, []string{"--redis", "redis://" + proxy.Addr}, stdio{in: strings.NewReader(""), out: &strings.Builder{}, err: &strings.Builder{}}, screen)
	}()
	t.Cleanup(func() { cancel(); <-done })
	redistest.Eventually(t, 30*time.Second, "the window to connect", func() error {
		if txt := screen.shown(); !strings.Contains(txt, "#general · subscribed · connected") {
			return errors.New(txt)
		}
		return nil
	})
	screen.mu.Lock()
	first := screen.first
	screen.mu.Unlock()
	if !strings.Contains(first, "connecting to redis://"+proxy.Addr+"…") || strings.Contains(first, "#general") {
		t.Fatalf("the first frame is not the wait:\n%s", first)
	}
}
