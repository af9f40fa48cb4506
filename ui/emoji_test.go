package ui_test

import (
	"strings"
	"testing"
	"time"

	"github.com/rtchat/rtchat/ui"
)

// On a terminal that gives a skin-tone modifier cells of its own (tmux
// before 3.4), the window draws the emoji without the tone: in the log
// and the header alike no cell holds a modifier, and the status bar keeps
// its text.
func TestEmojiWithoutSkinTonesUnderOldTmux(t *testing.T) {
	const text = "hi 👍🏽 👨‍👩‍👧 👩🏽‍💻 ✌🏽 end"
	for _, noTones := range []bool{false, true} {
		f := newFakeBackend("bob")
		f.add("general", "alice", text, time.Now())
		s := newTestScreen(100, 20)
		runApp(t, ui.Options{Backend: f, Screen: s, NoSkinTones: noTones})
		s.waitText(t, "end")
		s.typeText("/topic 👋🏿 ok", true)
		if noTones {
			s.waitText(t, "hi 👍 👨‍👩‍👧 👩‍💻 ✌ end")
			s.waitText(t, "— 👋 ok")
		} else {
			s.waitText(t, "hi 👍🏽 👨‍👩‍👧 👩🏽‍💻 ✌🏽 end")
		}
		isTone := func(r rune) bool { return r >= 0x1F3FB && r <= 0x1F3FF }
		if screen := s.text(); noTones && strings.ContainsFunc(screen, isTone) {
			t.Errorf("a skin tone is drawn under old tmux:\n%s", screen)
		}
		if got := s.row(-1); !strings.HasPrefix(strings.TrimSpace(got), "#general · subscribed") {
			t.Errorf("noSkinTones=%v: status bar %q", noTones, got)
		}
	}
}

func TestCombinesSkinTones(t *testing.T) {
	for _, c := range []struct {
		program, version string
		want             bool
	}{
		{"tmux", "3.3a", false},
		{"tmux", "3.2", false},
		{"tmux", "2.9a", false},
		{"tmux", "3.4", true},
		{"tmux", "3.5a", true},
		{"tmux", "next-3.6", true},
		{"tmux", "10.0", true},
		{"tmux", "", true}, // unknown: drawn as the emoji is
		{"iTerm.app", "3.3", true},
		{"", "", true},
	} {
		if got := ui.CombinesSkinTones(c.program, c.version); got != c.want {
			t.Errorf("CombinesSkinTones(%q, %q) = %v, want %v", c.program, c.version, got, c.want)
		}
	}
}

// An emoji with a skin tone typed into the input line keeps the text
// before and after it on the one row. rivo/uniseg v0.4.7 gave the
// character after such an emoji a mandatory line break, so the input
// scrolled to a second line and hid what came before; third_party/uniseg
// carries the one-line fix.
func TestInputKeepsTextAroundASkinTone(t *testing.T) {
	f := newFakeBackend("bob")
	s := newTestScreen(100, 20)
	runApp(t, ui.Options{Backend: f, Screen: s})
	s.waitText(t, "#general")
	s.typeText("before 👍🏽 after", false)
	s.waitFor(t, "the whole input on one row", func(screen string) bool {
		for _, line := range strings.Split(screen, "\n") {
			if strings.Contains(line, "before") && strings.Contains(line, "after") {
				return true
			}
		}
		return false
	})
}
