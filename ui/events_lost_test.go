package ui_test

import (
	"strings"
	"testing"
	"time"

	"github.com/rtchat/rtchat/chat"
	"github.com/rtchat/rtchat/ui"
)

// When the server lost its data, the messages the window read as history
// before the loss (up to RetractedEvent.Through) go with those shown
// live, and one line says how many; what was typed but not sent stays.
func TestHistoryLostWithTheServerIsRemoved(t *testing.T) {
	f := newFakeBackend("bob")
	old1 := f.add("general", "alice", "history one", time.Now().Add(-time.Minute))
	f.add("general", "alice", "history two", time.Now().Add(-time.Minute))
	s := newTestScreen(100, 20)
	runApp(t, ui.Options{Backend: f, Screen: s})
	s.waitText(t, "history two")
	live := f.add("general", "alice", "shown live", time.Now())
	f.events <- chat.MessageEvent{Message: live}
	s.waitText(t, "shown live")
	f.events <- chat.ResetEvent{}
	f.events <- chat.RetractedEvent{Channel: "general", IDs: []chat.ID{live.ID}, Lost: true, Through: old1.ID}
	s.waitText(t, "2 messages shown here were lost with the server's data and removed")
	if screen := s.text(); strings.Contains(screen, "history one") || strings.Contains(screen, "shown live") {
		t.Fatalf("messages lost with the server are still shown:\n%s", screen)
	}
	if !strings.Contains(s.text(), "history two") {
		t.Fatalf("a message after Through went too:\n%s", s.text())
	}
}
