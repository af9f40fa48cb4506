package ui_test

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"
	"github.com/rtchat/rtchat/themes"
	"github.com/rtchat/rtchat/ui"
)

func TestMain(m *testing.M) {
	// Screens show local times; make them the same everywhere.
	time.Local = time.UTC
	os.Exit(m.Run())
}

// conversation fills a fake backend with a fixed chat.
func conversation() *fakeBackend {
	f := newFakeBackend("alice")
	f.mine = []string{"general", "random"}
	f.add("random", "carol", "anyone here?", fixedTime.Add(-26*time.Hour))
	f.add("general", "bob", "morning! the deploy went out", fixedTime.Add(-25*time.Hour))
	f.add("general", "alice", "great, I'll watch the graphs", fixedTime.Add(-2*time.Minute))
	f.add("general", "bob", "سلام — and a ☕ for everyone 👋", fixedTime.Add(-time.Minute))
	f.add("general", "carol", "a long line that wraps: Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua.", fixedTime)
	f.add("ops", "dave", "not joined by alice", fixedTime)
	return f
}

func TestLayoutGolden(t *testing.T) {
	for _, layout := range []string{"sidebar", "stacked"} {
		for _, size := range [][2]int{{80, 24}, {200, 60}} {
			name := fmt.Sprintf("%s_%dx%d.txt", layout, size[0], size[1])
			t.Run(name, func(t *testing.T) {
				f := conversation()
				s := newTestScreen(size[0], size[1])
				runApp(t, ui.Options{Backend: f, Screen: s, Layout: layout})
				s.waitText(t, "Lorem ipsum")
				s.waitText(t, "● random")
				s.waitText(t, "ops")
				s.waitText(t, "2 members · 2 online")
				golden(t, name, s.text()+"\n")
			})
		}
	}
}

func TestThemeColoursEachPart(t *testing.T) {
	for _, name := range []string{"default", "dark"} {
		t.Run(name, func(t *testing.T) {
			th, err := themes.Load(name)
			if err != nil {
				t.Fatal(err)
			}
			f := conversation()
			s := newTestScreen(80, 24)
			runApp(t, ui.Options{Backend: f, Screen: s, Theme: th})
			s.waitText(t, "Lorem ipsum")
			s.waitText(t, "2 members")
			bg := func(x, y int) tcell.Color { _, b, _ := s.style(x, y).Decompose(); return b }
			fg := func(x, y int) tcell.Color { f, _, _ := s.style(x, y).Decompose(); return f }
			check := func(part string, got, want tcell.Color) {
				t.Helper()
				if got != want {
					t.Errorf("%s: colour %v, want %v", part, got, want)
				}
			}
			check("header background", bg(40, 0), th.Header.Background.Color)
			check("channel list background", bg(5, 10), th.Channels.Background.Color)
			check("log background", bg(50, 5), th.Log.Background.Color)
			check("input background", bg(50, 22), th.Input.Background.Color)
			check("status background", bg(50, 23), th.Status.Background.Color)
			check("status foreground", fg(2, 23), th.Status.Foreground.Color)
			x, y, ok := s.find("bob:")
			if !ok {
				t.Fatal("no bob line")
			}
			if got := fg(x, y); got == th.Log.Foreground.Color {
				t.Errorf("user names are not coloured")
			}
			x, y, _ = s.find("alice:")
			check("own name", fg(x, y), th.Log.Own.Color)
		})
	}
}
