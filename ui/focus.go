package ui

import (
	"sync/atomic"

	"github.com/gdamore/tcell/v2"
)

// focusScreen is the terminal screen with focus reporting on: it notes
// whether the terminal window has the focus (tview passes focus events
// on to no one), so that a message on screen in a window the person looks
// at makes no notification.
type focusScreen struct {
	tcell.Screen
	focused *atomic.Bool
	// started is set when the screen was started before the window got
	// it (a splash while connecting).
	started bool
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
