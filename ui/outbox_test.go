package ui_test

import (
	"strings"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"
	"github.com/rtchat/rtchat/chat"
	"github.com/rtchat/rtchat/ui"
)

// offlineBackend queues sends without delivering them, as the chat client
// does while the link is down; the test plays the client's events.
type offlineBackend struct {
	*fakeBackend
	mids []string
}

func (o *offlineBackend) Send(d chat.Draft) (string, error) {
	mid := "mid-" + d.Text
	o.mids = append(o.mids, mid)
	return mid, nil
}

func TestOfflineSendsArePendingThenSent(t *testing.T) {
	be := &offlineBackend{fakeBackend: conversation()}
	s := newTestScreen(100, 24)
	_, done, _ := runApp(t, ui.Options{Backend: be, Screen: s})
	s.waitText(t, "#general · subscribed")

	be.events <- chat.StateEvent{State: chat.StateReconnecting, Attempt: 3}
	s.waitText(t, "reconnecting (attempt 3)")

	s.say(t, "typed offline", "alice: typed offline")
	s.waitText(t, "1 unsent")
	be.events <- chat.SendEvent{MsgID: "mid-typed offline", Channel: "general", Pending: true}
	s.waitText(t, "alice: typed offline ⟨waiting for the connection⟩")
	x, y, _ := s.find("typed offline")
	if _, _, attr := s.style(x, y).Decompose(); attr&tcell.AttrDim == 0 {
		t.Fatal("a pending message is not dimmed")
	}

	// /quit with a message pending asks first; No keeps the window.
	s.say(t, "/quit", "1 message not sent yet")
	s.key(tcell.KeyEnter, 0)
	s.waitFor(t, "dialog closed", func(txt string) bool { return !strings.Contains(txt, "not sent yet") })

	// The link comes back: the message is stored and shown as sent.
	be.events <- chat.StateEvent{State: chat.StateConnected}
	id := chat.ID{MS: uint64(time.Now().UnixMilli())}
	be.events <- chat.SendEvent{MsgID: "mid-typed offline", Channel: "general", ID: id}
	be.events <- chat.MessageEvent{Message: chat.Message{ID: id, Channel: "general", MsgID: "mid-typed offline", User: "alice", Text: "typed offline", Time: time.Now()}}
	s.waitText(t, "connected again")
	s.waitFor(t, "the sent message", func(txt string) bool {
		return strings.Contains(txt, "alice: typed offline") && !strings.Contains(txt, "waiting for the connection") && !strings.Contains(txt, "unsent")
	})
	x, y, _ = s.find("typed offline")
	if _, _, attr := s.style(x, y).Decompose(); attr&tcell.AttrDim != 0 {
		t.Fatal("a sent message is still dimmed")
	}
	s.typeText("/quit", true)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("/quit with nothing pending did not quit")
	}
}
