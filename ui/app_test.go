package ui_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"
	"github.com/redis/go-redis/v9"
	"github.com/rtchat/rtchat/chat"
	"github.com/rtchat/rtchat/internal/chattest"
	"github.com/rtchat/rtchat/internal/redistest"
	"github.com/rtchat/rtchat/ui"
)

// withBob starts a server and bob's client on it (its events drained).
func withBob(t *testing.T) (*redistest.Server, *redis.Client, *chat.Client) {
	t.Helper()
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	bob := startClient(t, rdb, "bob")
	chattest.Drain(bob)
	return srv, rdb, bob
}

// startClient starts a chat client for user on rdb, stopped at test end
// (or earlier with Close); tweak adjusts its options.
func startClient(t *testing.T, rdb redis.UniversalClient, user string, tweak ...func(*chat.Options)) *chat.Client {
	t.Helper()
	return chattest.Start(t, chat.Options{Redis: rdb, User: user}, tweak...)
}

func TestChatFlowOnRealRedis(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	ctx := context.Background()
	bob := startClient(t, rdb, "bob")
	chattest.Drain(bob)

	alice := startClient(t, srv.Client(t), "alice")
	s := newTestScreen(100, 30)
	_, done, runErr := runApp(t, ui.Options{Backend: alice, Screen: s, Mouse: true})
	s.waitText(t, "#general · subscribed")

	s.say(t, "/join one", "joined #one")
	s.say(t, "/join two", "joined #two")
	s.waitText(t, "#two · subscribed")
	s.say(t, "hello two", "alice: hello two")

	if _, err := bob.Join(ctx, "one"); err != nil {
		t.Fatal(err)
	}
	if _, err := bob.BroadcastMessage(ctx, "one", "bob says hi in one"); err != nil {
		t.Fatal(err)
	}
	// Not shown in #two; an unread count appears on #one.
	s.waitFor(t, "unread count on one", func(txt string) bool {
		_, y, ok := s.find("● one")
		return ok && strings.HasSuffix(strings.TrimSpace(s.row(y)[:min(len(s.row(y)), 40)]), " 1")
	})
	if strings.Contains(s.text(), "bob says hi") {
		t.Fatal("#one's message shown in #two")
	}
	x, y, _ := s.find("● one")
	s.click(x+2, y)
	s.waitText(t, "bob: bob says hi in one")
	s.waitText(t, "#one · subscribed")
	if strings.Contains(s.text(), "hello two") {
		t.Fatal("#two's message shown in #one")
	}

	// Alt+Down goes to the next joined channel (general, one, two).
	s.key(tcell.KeyDown, tcell.ModAlt)
	s.waitText(t, "#two · subscribed")
	s.waitText(t, "alice: hello two")

	s.waitText(t, "#two · subscribed · connected · alice · 1 member · 1 online")
	s.say(t, "/leave", "you left #two")
	s.waitText(t, "#two · not subscribed")
	s.waitText(t, "· 0 members · 0 online") // without the one who left
	s.say(t, "still here?", "type /join two to send here")
	if inputRow(s) != "still here?" {
		t.Fatalf("the refused text left the input: %q", inputRow(s))
	}
	s.key(tcell.KeyCtrlU, tcell.ModCtrl) // clear the line

	s.say(t, "/channels", "3 channels:")
	s.waitText(t, "#general")

	s.say(t, "/nosuch", "unknown command /nosuch; type /help")
	s.say(t, "/join", "/join needs <channel>")

	s.typeText("/quit", true)
	select {
	case <-done:
		if *runErr != nil {
			t.Fatalf("Run returned %v", *runErr)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("/quit did not end the App")
	}
	if got := streamLen(t, rdb, "two"); got != 1 {
		t.Fatalf("#two holds %d messages, want 1", got)
	}
}

func streamLen(t *testing.T, rdb redis.UniversalClient, channel string) int64 {
	n, err := rdb.XLen(context.Background(), chat.DefaultKeys().Stream(channel)).Result()
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestHostileTextShownAsTyped(t *testing.T) {
	srv := redistest.Start(t)
	alice := startClient(t, srv.Client(t), "alice")
	bob := startClient(t, srv.Client(t), "bob")
	chattest.Drain(bob)
	s := newTestScreen(100, 20)
	runApp(t, ui.Options{Backend: alice, Screen: s})
	s.waitText(t, "#general · subscribed")
	if _, err := bob.BroadcastMessage(context.Background(), "general", "[red]x[-] [\"a\"]b[\"\"] \x1b[2J\x07 \u202eevil"); err != nil {
		t.Fatal(err)
	}
	s.waitText(t, `bob: [red]x[-] ["a"]b[""] \x1b[2J\x07 \u202eevil`)
	s.say(t, `typed [blue]tags[""]`, `alice: typed [blue]tags[""]`)
	// A channel description with tags shows as typed in the header.
	s.say(t, "/topic [yellow]topic[-]", "#general — [yellow]topic[-]")
}

func TestOlderPagesLoadOnScrollUp(t *testing.T) {
	f := newFakeBackend("alice")
	f.mine = []string{"big"}
	for i := range 1000 {
		f.add("big", "bob", "message "+strconv.Itoa(i), fixedTime.Add(time.Duration(i)*time.Second))
	}
	s := newTestScreen(80, 24)
	runApp(t, ui.Options{Backend: f, Screen: s})
	s.waitText(t, "message 999")
	// The first page holds 800..999; Home goes to its top and loads 600..799.
	s.key(tcell.KeyHome, tcell.ModNone)
	s.waitText(t, "message 800")
	for range 20 {
		s.key(tcell.KeyPgUp, tcell.ModNone)
	}
	s.waitText(t, "message 6")
	if strings.Contains(s.text(), "message 999") {
		t.Fatal("scrolled up, yet the newest message is still shown")
	}
	// A new message while scrolled up does not move the view.
	before := s.text()
	if _, err := f.Send(chat.Draft{Channel: "big", Text: "fresh"}); err != nil {
		t.Fatal(err)
	}
	s.waitText(t, "1 new message")
	if strings.Contains(s.text(), "fresh") {
		t.Fatal("the view was yanked to the new message")
	}
	_ = before
	s.key(tcell.KeyEnd, tcell.ModNone)
	s.waitText(t, "alice: fresh")
}

func TestBadInputGetsOneLineAndKeepsTheText(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	alice := startClient(t, srv.Client(t), "alice")
	s := newTestScreen(120, 24)
	runApp(t, ui.Options{Backend: alice, Screen: s})
	s.waitText(t, "#general · subscribed")

	s.say(t, "/join Bad!", `"Bad!" is not a valid channel name`)

	// Pasted, as such a text would be (typing it would take minutes).
	s.PostEventWait(tcell.NewEventPaste(true))
	s.typeText(strings.Repeat("x", chat.DefaultMaxMessageBytes+1), false)
	s.PostEventWait(tcell.NewEventPaste(false))
	s.waitText(t, "xxxxxxxxxx")
	s.key(tcell.KeyEnter, 0)
	s.waitText(t, "the limit is 16384; nothing was sent")
	if !strings.Contains(inputRow(s), "xxxxxxxx") {
		t.Fatalf("the oversized text was dropped from the input: %q", inputRow(s))
	}
	if n := streamLen(t, rdb, "general"); n != 0 {
		t.Fatalf("an oversized message was stored (%d entries)", n)
	}

	// An entry written by another tool, with missing and odd fields.
	key := chat.DefaultKeys().Stream("general")
	redistest.XAdd(t, rdb, key, "foo", "bar")
	redistest.XAdd(t, rdb, key, "user", "tool", "text", "from a script", "kind", "weird")
	bob := startClient(t, rdb, "bob")
	chattest.Drain(bob)
	if _, err := bob.BroadcastMessage(context.Background(), "general", "after the odd ones"); err != nil {
		t.Fatal(err)
	}
	s.waitText(t, "bob: after the odd ones")
	s.waitText(t, "?: ⟨odd entry: no user, no text⟩")
	s.waitText(t, `tool: from a script ⟨odd entry: unknown kind "weird"⟩`)
	if !strings.Contains(inputRow(s), "xxxxxxxx") {
		t.Fatal("the input lost the oversized text")
	}
}

func TestWindowOnACluster(t *testing.T) {
	cl := redistest.StartCluster(t, 3, 0)
	alice := startClient(t, cl.Client(t), "alice")
	bob := startClient(t, cl.Client(t), "bob")
	chattest.Drain(bob)
	s := newTestScreen(100, 20)
	runApp(t, ui.Options{Backend: alice, Screen: s})
	s.waitText(t, "#general · subscribed · connected")
	for _, ch := range []string{"one", "two", "three"} {
		s.say(t, "/join "+ch, "#"+ch+" · subscribed")
		if _, err := bob.Join(context.Background(), ch); err != nil {
			t.Fatal(err)
		}
		if _, err := bob.BroadcastMessage(context.Background(), ch, "bob in "+ch); err != nil {
			t.Fatal(err)
		}
		s.waitText(t, "bob: bob in "+ch)
		s.say(t, "alice in "+ch, "alice: alice in "+ch)
	}
}
