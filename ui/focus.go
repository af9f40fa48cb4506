package ui

import (
	"slices"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/uniseg"
)

// focusScreen is the terminal screen with focus reporting on: it notes
// whether the terminal window has the focus (tview passes focus events
// on to no one), so that a message on screen in a window the person looks
// at makes no notification. Everything the window draws passes its Put,
// which keeps to what the terminal can show (skin tones, joiners).
type focusScreen struct {
	tcell.Screen
	focused *atomic.Bool
	// started is set when the screen was started before the window got
	// it (a splash while connecting).
	started bool
	// noSkinTones: the terminal gives a skin-tone modifier cells of its
	// own (tmux before 3.4), so a cluster is drawn without them (see Put).
	noSkinTones bool
}

// Init starts the screen (unless it was) and asks the terminal to report
// focus changes.
func (s *focusScreen) Init() error {
	if !s.started {
		if err := s.Screen.Init(); err != nil {
			return err
		}
	}
	s.Screen.EnableFocus()
	return nil
}

// PollEvent passes events on, noting focus changes.
func (s *focusScreen) PollEvent() tcell.Event {
	ev := s.Screen.PollEvent()
	if f, ok := ev.(*tcell.EventFocus); ok {
		s.focused.Store(f.Focused)
	}
	return ev
}

// Put draws the grapheme cluster str starts with. Where the terminal
// cannot draw a skin tone with its emoji, the modifiers are left out:
// the emoji keeps the two cells tcell gives it and nothing is drawn past
// them (a modifier on its own cells would be overwritten by the next
// character and leave a stray cell).
//
// A joiner at the end of a cluster (an emoji sequence still being typed)
// is left out everywhere: it shows nothing, and tmux joins the next
// character it prints, wherever that is, to the cluster.
func (s *focusScreen) Put(x, y int, str string, style tcell.Style) (string, int) {
	if !s.noSkinTones && !strings.Contains(str, zwj) {
		return s.Screen.Put(x, y, str, style)
	}
	cluster, rest, _, _ := uniseg.FirstGraphemeClusterInString(str, -1)
	if s.noSkinTones {
		cluster = withoutSkinTones(cluster)
	}
	if trimmed := strings.TrimRight(cluster, zwj); trimmed != "" {
		cluster = trimmed
	}
	_, w := s.Screen.Put(x, y, cluster, style)
	return rest, w
}

// zwj is the zero-width joiner.
const zwj = "\u200d"

// SetContent is Put for tview, which draws through it.
func (s *focusScreen) SetContent(x, y int, primary rune, combining []rune, style tcell.Style) {
	if !s.noSkinTones && !slices.Contains(combining, []rune(zwj)[0]) {
		s.Screen.SetContent(x, y, primary, combining, style)
		return
	}
	s.Put(x, y, string(append([]rune{primary}, combining...)), style)
}

// isSkinTone says r is an emoji modifier (Fitzpatrick types 1-2 to 6).
func isSkinTone(r rune) bool { return r >= 0x1F3FB && r <= 0x1F3FF }

// withoutSkinTones is cluster without its emoji modifiers; a cluster
// that is nothing but modifiers stays as it is.
func withoutSkinTones(cluster string) string {
	if !strings.ContainsFunc(cluster, isSkinTone) {
		return cluster
	}
	if out := strings.Map(func(r rune) rune {
		if isSkinTone(r) {
			return -1
		}
		return r
	}, cluster); out != "" {
		return out
	}
	return cluster
}

// CombinesSkinTones says whether a terminal program of this name and
// version ($TERM_PROGRAM, $TERM_PROGRAM_VERSION) draws an emoji and its
// skin-tone modifier as one character: tmux does from 3.4 on; anything
// else is taken to.
func CombinesSkinTones(program, version string) bool {
	if program != "tmux" {
		return true
	}
	major, minor, ok := tmuxVersion(version)
	return !ok || major > 3 || major == 3 && minor >= 4
}

// tmuxVersion reads "3.3a", "3.4", "next-3.6" as (3, 3), (3, 4), (3, 6).
func tmuxVersion(v string) (major, minor int, ok bool) {
	maj, rest, found := strings.Cut(strings.TrimPrefix(v, "next-"), ".")
	if end := strings.IndexFunc(rest, func(r rune) bool { return r < '0' || r > '9' }); end >= 0 {
		rest = rest[:end]
	}
	major, err1 := strconv.Atoi(maj)
	minor, err2 := strconv.Atoi(rest)
	return major, minor, found && err1 == nil && err2 == nil
}
