package ui_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"
	"github.com/rtchat/rtchat/chat"
	"github.com/rtchat/rtchat/internal/chattest"
	"github.com/rtchat/rtchat/internal/redistest"
	"github.com/rtchat/rtchat/ui"
)

func signed(o *chat.Options) { o.Signer = chat.NewSigner() }

// TestUnverifiedAuthorsAreMarked: an entry added under bob's name by
// someone else shows "⚠" before the name, live and after a restart; bob's
// own signed messages do not.
func TestUnverifiedAuthorsAreMarked(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	bob := startClient(t, rdb, "bob", signed)
	chattest.Drain(bob)
	w := openWindow(t, rdb, "alice", ui.Options{}, signed)
	w.waitText(t, "#general · subscribed · connected")
	send(t, bob, "general", "the real bob")
	redistest.XAdd(t, rdb, chat.DefaultKeys().Stream("general"), "user", "bob", "text", "forged by someone", "ts", "1", "mid", "x", "channel_id", "1")
	send(t, bob, "general", "bob again")
	w.say(t, "my own words", "bob again")
	w.waitText(t, "⚠ bob: forged by someone")
	w.waitText(t, "alice: my own words")
	for _, genuine := range []string{"bob: the real bob", "bob: bob again", "alice: my own words"} {
		if strings.Contains(w.text(), "⚠ "+genuine) {
			t.Fatalf("%q is marked:\n%s", genuine, w.text())
		}
	}
	// The mark is drawn in the error colour, apart from the name.
	x, y, _ := w.find("⚠ bob: forged")
	if w.style(x, y) == w.style(x+2, y) {
		t.Error("the mark is drawn like the name")
	}
	w.stop()

	again := openWindow(t, rdb, "alice", ui.Options{}, signed)
	again.waitText(t, "⚠ bob: forged by someone")
	again.waitText(t, "bob: bob again")
	if strings.Contains(again.text(), "⚠ bob: the real bob") {
		t.Fatalf("after a restart:\n%s", again.text())
	}
}

// TestDirectMessagesInTheWindow: /msg opens a conversation under its own
// heading and sends; the other side's window opens it by itself; unread
// counts show in the list; the open server is named once.
func TestDirectMessagesInTheWindow(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	auto := func(o *chat.Options) { o.AutoJoin = true; o.Signer = chat.NewSigner() }
	bob := openWindow(t, srv.Client(t), "bob", ui.Options{}, auto)
	bob.waitText(t, "#general · subscribed · connected")
	alice := openWindow(t, rdb, "alice", ui.Options{}, auto)
	alice.waitText(t, "#general · subscribed · connected")

	alice.say(t, "/msg bob are you there?", "@bob · subscribed")
	alice.waitText(t, "alice: are you there?")
	if !strings.Contains(alice.text(), "─ direct messages") || alice.listRow("@bob") == "" {
		t.Fatalf("no direct messages section:\n%s", alice.text())
	}
	if n := strings.Count(alice.text(), "this server has no accounts: anyone with its password"); n != 1 {
		t.Fatalf("the open-server warning shows %d times:\n%s", n, alice.text())
	}

	// bob's window follows the new conversation without a word from bob,
	// and counts it unread while he looks at #general.
	bob.waitFor(t, "@alice unread", func(string) bool { return strings.HasSuffix(bob.listRow("@alice"), "1") })
	if !strings.Contains(bob.text(), "#general · subscribed") {
		t.Fatalf("bob's window switched away:\n%s", bob.text())
	}
	bob.say(t, "/join @alice", "alice: are you there?")
	bob.waitText(t, "alice started a direct conversation with you")
	bob.typeText("yes", true)
	alice.waitText(t, "bob: yes")

	// The heading is passed over by the keys.
	alice.key(tcell.KeyTab, tcell.ModNone) // the list
	for range 5 {
		alice.key(tcell.KeyDown, tcell.ModNone)
	}
	alice.key(tcell.KeyEnter, tcell.ModNone)
	alice.waitText(t, "@bob · subscribed")

	// Someone who never used rtchat here cannot be written to.
	alice.say(t, "/msg nobody hi", "could not open @nobody: nobody has never used rtchat on this")
	// Nor oneself.
	alice.say(t, "/join @alice", "@alice is you")
}

func TestVerdictsArriveLater(t *testing.T) {
	f := conversation()
	s := newTestScreen(100, 30)
	var last chat.Message // a message on one row
	for _, m := range f.msgs["general"] {
		if strings.HasPrefix(m.Text, "morning") {
			last = m
		}
	}
	f.setVerdict(last.ID, chat.VerdictPending)
	runApp(t, ui.Options{Backend: f, Screen: s})
	s.waitText(t, last.User+": "+last.Text)
	if strings.Contains(s.text(), "⚠") {
		t.Fatalf("a pending verdict is marked:\n%s", s.text())
	}
	f.events <- chat.VerifiedEvent{Results: []chat.VerifyResult{{Channel: "general", ID: last.ID, Verdict: chat.Unverified}}}
	s.waitText(t, "⚠ "+last.User+": "+last.Text)
}

// TestMembershipChangesShow: an admin adding the user to a private channel
// opens it with a lock in the list; taking them out says so.
func TestMembershipChangesShow(t *testing.T) {
	f := conversation()
	s := newTestScreen(100, 30)
	runApp(t, ui.Options{Backend: f, Screen: s, Accounts: true})
	s.waitText(t, "#general · subscribed")
	f.events <- chat.JoinedEvent{Channel: chat.Channel{Name: chat.Private("ops"), ID: "9", Members: 3, Private: true}}
	f.events <- chat.HistoryEvent{Channel: chat.Private("ops"), Complete: true}
	s.waitText(t, "● 🔒ops")
	f.events <- chat.RemovedEvent{Channel: chat.Private("ops")}
	s.waitFor(t, "ops to leave the list", func(text string) bool { return !strings.Contains(text, "🔒ops") })
	s.say(t, "/whoami", "signed in as the account")

	// With accounts, direct conversations carry no warning.
	f.events <- chat.JoinedEvent{Channel: chat.Channel{Name: chat.DM("bob"), ID: "@", Members: 2}}
	f.events <- chat.HistoryEvent{Channel: chat.DM("bob"), Complete: true}
	s.waitText(t, "@bob")
	time.Sleep(50 * time.Millisecond)
	if strings.Contains(s.text(), "anyone with its password") {
		t.Fatalf("a warning on a server with accounts:\n%s", s.text())
	}
}

// With accounts, a refused password says the account changed or went,
// and what to do; without, that a password is wanted.
func TestRefusedAccountSaysWhatToDo(t *testing.T) {
	for _, accounts := range []bool{true, false} {
		f := conversation()
		s := newTestScreen(220, 20)
		runApp(t, ui.Options{Backend: f, Screen: s, Accounts: accounts})
		s.waitText(t, "#general · subscribed")
		f.events <- chat.StateEvent{State: chat.StateReconnecting, Attempt: 2, Err: fmt.Errorf("%w: WRONGPASS invalid username-password pair", chat.ErrAuth)}
		want := "Redis asks for a password: quit and start rtchat with REDIS_PASSWORD"
		if accounts {
			want = "Redis no longer takes your account alice (its password changed, or an admin removed it): ask the server's admin, then run rtchat login"
		}
		s.waitText(t, want)
	}
}
