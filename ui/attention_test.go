package ui_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"
	"github.com/rtchat/rtchat/chat"
	"github.com/rtchat/rtchat/internal/redistest"
	"github.com/rtchat/rtchat/internal/testio"
	"github.com/rtchat/rtchat/ui"
)

// live sends a message of user into channel, as the chat client would
// deliver it.
func (f *fakeBackend) live(channel, user, text string) {
	m := f.add(channel, user, text, time.Now())
	f.events <- chat.MessageEvent{Message: m}
}

// barrier returns once the window applied every event sent before it.
func (f *fakeBackend) barrier(t *testing.T, s *testScreen) {
	t.Helper()
	f.barriers++
	text := fmt.Sprintf("barrier %d", f.barriers)
	f.events <- chat.NoticeEvent{Text: text}
	s.waitText(t, text)
}

// notification is what the window writes for a notification.
func notification(title, body string) string {
	return "\x1b]777;notify;" + title + ";" + body + "\x1b\\" + "\x1b]9;" + title + ": " + body + "\x1b\\"
}

func TestNotificationsReachThePerson(t *testing.T) {
	f := conversation()
	f.mine = []string{"general", "random", "ops", "@bob", "alerts"}
	f.settings = chat.Settings{Levels: map[string]chat.Level{"ops": chat.LevelAll, "random": chat.LevelMute}, Pinned: map[string]bool{}}
	s := newTestScreen(100, 30)
	term := &testio.Buffer{}
	runApp(t, ui.Options{Backend: f, Screen: s, Terminal: term, Highlights: []string{"deploy"}, Bell: true})
	s.waitText(t, "#general · subscribed")
	s.waitText(t, "@bob")
	expect := func(what, want string) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for !strings.Contains(term.String(), want) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: no %q in %q", what, want, term.String())
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	quiet := func(what string, act func()) {
		t.Helper()
		before := term.String()
		act()
		f.barrier(t, s)
		if term.String() != before {
			t.Fatalf("%s notified: %q", what, strings.TrimPrefix(term.String(), before))
		}
	}

	// The channel on screen, with the window focused: nothing.
	quiet("a mention on screen", func() { f.live("general", "bob", "alice, look") })
	// Elsewhere, or unfocused: a mention, a DM, a highlight, an "all"
	// channel's message each notify.
	f.live("random", "carol", "hello alice") // muted
	f.live("ops", "dave", "the build is green")
	expect("an all channel", notification("dave in #ops", "the build is green"))
	f.live("@bob", "bob", "psst")
	expect("a DM", notification("bob (direct)", "psst"))
	s.PostEvent(tcell.NewEventFocus(false))
	s.typeText("focus-barrier", false) // keys come after the focus event
	s.waitFor(t, "the typed barrier", func(string) bool { return strings.Contains(inputRow(s), "focus-barrier") })
	s.key(tcell.KeyCtrlU, 0)
	f.live("general", "carol", "the deploy is stuck")
	expect("a highlight word", notification("carol in #general", "the deploy is stuck"))
	// A hook's @here (Slack's <!here>) calls on everyone.
	quiet("a bare here", func() { f.live("alerts", chat.HookAuthor("alertmanager"), "here we go") })
	f.live("alerts", chat.HookAuthor("alertmanager"), "@here prod is down")
	expect("@here", notification("BOT alertmanager (via hook) in #alerts", "@here prod is down"))
	if strings.Contains(term.String(), "hello alice") {
		t.Fatal("a muted channel notified")
	}
	// Own messages, and anything during do-not-disturb: nothing.
	quiet("an own message", func() { f.live("ops", "alice", "thanks") })
	s.say(t, "/dnd 10m", "do-not-disturb until")
	s.waitFor(t, "dnd in the status bar", func(string) bool { return strings.Contains(s.row(-1), "dnd until") })
	rang, _ := s.bells()
	if rang == 0 {
		t.Fatal("no bell for the mentions before")
	}
	quiet("a DM during DND", func() { f.live("@bob", "bob", "still there?") })
	quiet("a mention during DND", func() { f.live("ops", "dave", "alice: ping") })
	if now, _ := s.bells(); now != rang {
		t.Fatal("the bell rang during do-not-disturb")
	}
	if !strings.Contains(s.text(), "@bob") {
		t.Fatalf("no DM row:\n%s", s.text())
	}
	// Text in a notification cannot escape from it.
	s.say(t, "/dnd off", "do-not-disturb is off")
	time.Sleep(5 * time.Second) // the DM's conversation may notify again
	f.live("@bob", "bob", "evil\x1b]777;notify;FAKE;x\x07 ; done")
	expect("a hostile text", notification("bob (direct)", `evil\x1b]777,notify,FAKE,x\x07 , done`))
}

func TestNotificationsAreSummed(t *testing.T) {
	f := conversation()
	f.settings = chat.Settings{Levels: map[string]chat.Level{"random": chat.LevelAll}}
	s := newTestScreen(100, 30)
	term := &testio.Buffer{}
	runApp(t, ui.Options{Backend: f, Screen: s, Terminal: term})
	s.waitText(t, "#general · subscribed")
	for i := range 3 {
		f.live("random", "carol", "line "+string(rune('a'+i)))
	}
	deadline := time.Now().Add(8 * time.Second)
	for !strings.Contains(term.String(), "2 new in #random") {
		if time.Now().After(deadline) {
			t.Fatalf("no summary: %q", term.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if n := strings.Count(term.String(), "\x1b]777;"); n != 2 {
		t.Fatalf("%d notifications, want the first and one summary: %q", n, term.String())
	}
}

// TestNotifyCommandNeverThroughAShell: the command gets the title and
// the body as arguments, whatever they hold.
func TestNotifyCommandNeverThroughAShell(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "args")
	script := filepath.Join(dir, "notify")
	if err := os.WriteFile(script, []byte("#!/bin/sh\nfor a in \"$@\"; do printf '[%s]\\n' \"$a\" >> "+out+"; done\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	f := conversation()
	s := newTestScreen(100, 30)
	runApp(t, ui.Options{Backend: f, Screen: s, NotifyCommand: []string{script, "--app=rtchat"}})
	s.waitText(t, "#general · subscribed")
	hostile := "alice: $(touch " + filepath.Join(dir, "pwned") + ") `id` ; rm -rf x"
	f.live("random", "mallory", hostile)
	want := "[--app=rtchat]\n[mallory in #random]\n[" + strings.ReplaceAll(hostile, ";", ",") + "]\n"
	// The command writes its arguments one by one: wait for all of them,
	// not for the file to exist.
	redistest.Eventually(t, 5*time.Second, "the command to run", func() error {
		b, err := os.ReadFile(out)
		if err == nil && string(b) != want {
			err = fmt.Errorf("the command got\n%s\nwant\n%s", b, want)
		}
		return err
	})
	if _, err := os.Stat(filepath.Join(dir, "pwned")); err == nil {
		t.Fatal("a shell ran the text")
	}
}

// TestSettingsFollowTheUser: levels and pins set in one terminal reach
// the user's other terminal at once, and the next start.
func TestSettingsFollowTheUser(t *testing.T) {
	srv, _, bob := withBob(t)
	for _, ch := range []string{"general", "zeta"} {
		if _, err := bob.Join(context.Background(), ch); err != nil {
			t.Fatal(err)
		}
	}
	one := openWindow(t, srv.Client(t), "alice", ui.Options{})
	two := openWindow(t, srv.Client(t), "alice", ui.Options{})
	for _, w := range []*window{one, two} {
		w.waitText(t, "#general · subscribed · connected")
		w.say(t, "/join zeta", "#zeta · subscribed")
	}
	for _, w := range []*window{one, two} {
		w.say(t, "/join general", "#general · subscribed")
	}
	send(t, bob, "zeta", "news")
	two.waitFor(t, "zeta unread", func(string) bool { return strings.HasSuffix(two.listRow("zeta"), "1") })
	one.say(t, "/join zeta", "#zeta · subscribed")
	one.say(t, "/mute", "muted")
	one.say(t, "/pin", "pinned to the top")
	two.waitFor(t, "zeta muted and pinned in the other terminal", func(string) bool {
		row := two.listRow("zeta")
		return strings.HasPrefix(row, "◆") && !strings.HasSuffix(row, "1")
	})
	if y := two.rowOf("◆ zeta"); y < 0 || y > two.rowOf("● general") {
		t.Fatalf("zeta is not first:\n%s", two.text())
	}
	one.stop()
	two.stop()
	again := openWindow(t, srv.Client(t), "alice", ui.Options{})
	again.waitText(t, "◆ zeta")
	again.typeText("/join zeta", true)
	again.say(t, "/notify all", "#zeta notifies every message")
}

// TestAwayIsToldOnce: who mentions or writes to an away person is told
// once.
func TestAwayIsToldOnce(t *testing.T) {
	srv := redistest.Start(t)
	bob := openWindow(t, srv.Client(t), "bob", ui.Options{})
	bob.waitText(t, "#general · subscribed · connected")
	bob.say(t, "/away lunch", "you are away: lunch")
	bob.waitFor(t, "away in the status bar", func(string) bool { return strings.Contains(bob.row(-1), "· away") })
	alice := openWindow(t, srv.Client(t), "alice", ui.Options{})
	alice.waitText(t, "#general · subscribed · connected")
	alice.say(t, "bob, quick question", "bob is away: lunch")
	alice.say(t, "bob, another one", "alice: bob, another one")
	alice.say(t, "/who", "bob (away: lunch)")
	if n := strings.Count(alice.text(), "bob is away"); n != 1 {
		t.Fatalf("told %d times:\n%s", n, alice.text())
	}
	bob.say(t, "/back", "you are back")
	alice.typeText("/who", true)
	alice.waitFor(t, "bob back", func(s string) bool {
		return strings.Count(s, "(away: lunch)") == 1 && strings.Contains(s, "online: alice, bob")
	})
}

// TestAConversationSomeoneOpensNotifies: the first message of a direct
// conversation someone else starts comes with the conversation's first
// page, and notifies; the history shown at start does not.
func TestAConversationSomeoneOpensNotifies(t *testing.T) {
	f := conversation()
	s := newTestScreen(100, 30)
	term := &testio.Buffer{}
	runApp(t, ui.Options{Backend: f, Screen: s, Terminal: term})
	s.waitText(t, "#general · subscribed")
	f.barrier(t, s)
	if term.String() != "" {
		t.Fatalf("the history at start notified: %q", term.String())
	}
	m := f.add("@carol", "carol", "are you free?", time.Now())
	f.events <- chat.JoinedEvent{Channel: chat.Channel{Name: "@carol", Members: 2}}
	f.events <- chat.HistoryEvent{Channel: "@carol", Messages: []chat.Message{m}, Complete: true, Unread: chat.Unread{Count: 1}}
	f.barrier(t, s)
	if want := notification("carol (direct)", "are you free?"); !strings.Contains(term.String(), want) {
		t.Fatalf("no %q in %q", want, term.String())
	}
}
