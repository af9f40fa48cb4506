package ui

import (
	"testing"

	"github.com/rtchat/rtchat/keymap"
)

// TestEveryActionHasAHandler: a keymap action the window does not handle
// would leave its key silently doing nothing.
func TestEveryActionHasAHandler(t *testing.T) {
	handlers := actionHandlers()
	for _, a := range keymap.Actions {
		if handlers[a.Name] == nil {
			t.Errorf("action %q has no handler", a.Name)
		}
	}
	if len(handlers) != len(keymap.Actions) {
		t.Errorf("%d handlers for %d actions", len(handlers), len(keymap.Actions))
	}
}
