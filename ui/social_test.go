package ui_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"
	"github.com/redis/go-redis/v9"
	"github.com/rtchat/rtchat/chat"
	"github.com/rtchat/rtchat/internal/chattest"
	"github.com/rtchat/rtchat/internal/faultproxy"
	"github.com/rtchat/rtchat/internal/redistest"
	"github.com/rtchat/rtchat/keymap"
	"github.com/rtchat/rtchat/ui"
)

// window is one user's full-screen client on a simulation screen.
type window struct {
	*testScreen
	stop func()
}

// openWindow starts a chat client for user on rdb and a window on it; the
// window and the client stop with close (or at the end of the test).
func openWindow(t *testing.T, rdb redis.UniversalClient, user string, opts ui.Options, tweak ...func(*chat.Options)) *window {
	t.Helper()
	return openWindowSized(t, 100, 30, rdb, user, opts, tweak...)
}

// openWindowSized is openWindow on a screen of w×h cells.
func openWindowSized(t *testing.T, width, height int, rdb redis.UniversalClient, user string, opts ui.Options, tweak ...func(*chat.Options)) *window {
	t.Helper()
	fast := func(o *chat.Options) {
		o.PingEvery, o.DeadAfter, o.MaxBackoff = 500*time.Millisecond, 2*time.Second, 300*time.Millisecond
	}
	c := startClient(t, rdb, user, append([]func(*chat.Options){fast}, tweak...)...)
	s := newTestScreen(width, height)
	opts.Backend, opts.Screen = c, s
	stopApp, _, _ := runApp(t, opts)
	w := &window{testScreen: s}
	w.stop = func() { stopApp(); _ = c.Close() }
	return w
}

// listRow returns the channel list row of channel (the list is a fifth
// of the window, 12 to 22 columns).
func (w *window) listRow(channel string) string {
	for y := range w.h {
		r := []rune(w.row(y))
		r = r[:min(len(r), min(22, max(12, w.w/5)))]
		if row := strings.TrimSpace(string(r)); strings.Contains(row, " "+channel+" ") || strings.HasSuffix(row, " "+channel) {
			return row
		}
	}
	return ""
}

// waitList waits until channel's list row ends with suffix ("" for no count).
func (w *window) waitList(t *testing.T, channel, suffix string) {
	t.Helper()
	w.waitFor(t, fmt.Sprintf("#%s's row to end in %q", channel, suffix), func(string) bool {
		r := w.listRow(channel)
		if suffix == "" {
			return strings.HasSuffix(r, channel)
		}
		return strings.HasSuffix(r, suffix)
	})
}

func send(t *testing.T, c *chat.Client, channel, text string) {
	t.Helper()
	if _, err := c.BroadcastMessage(context.Background(), channel, text); err != nil {
		t.Fatal(err)
	}
}

func TestUnreadAndMentionsSurviveARestart(t *testing.T) {
	_, rdb, bob := withBob(t)
	if _, err := bob.Join(context.Background(), "news"); err != nil {
		t.Fatal(err)
	}
	send(t, bob, "news", "old news, read before")

	// alice joined #side elsewhere (rtchat send, another tool) and has
	// never looked at it.
	if _, err := bob.Join(context.Background(), "side"); err != nil {
		t.Fatal(err)
	}
	send(t, bob, "side", "side history")
	elsewhere := startClient(t, rdb, "alice")
	chattest.Drain(elsewhere)
	for _, ch := range []string{"general", "side"} {
		if _, err := elsewhere.Join(context.Background(), ch); err != nil {
			t.Fatal(err)
		}
	}

	w := openWindow(t, rdb, "alice", ui.Options{Bell: true, Mouse: true})
	w.waitText(t, "#general · subscribed")
	w.waitText(t, "● side")
	w.waitList(t, "side", "") // its history is not news
	w.say(t, "/join news", "old news, read before")
	w.say(t, "/join general", "#general · subscribed")
	waitMarker(t, rdb, "alice", "side")
	waitMarker(t, rdb, "alice", "news")
	w.stop()

	// While alice is away.
	send(t, bob, "news", "first while away")
	send(t, bob, "news", "@alice can you check the deploy?")
	send(t, bob, "news", "third")
	send(t, bob, "side", "new on the side")

	w = openWindow(t, rdb, "alice", ui.Options{Bell: true, Mouse: true})
	w.waitText(t, "#general · subscribed")
	w.waitList(t, "news", "@1 3")
	w.waitList(t, "side", " 1") // joined, never shown, still counted
	if n, title := w.bells(); title != "(1) rtchat" || n != 0 {
		t.Fatalf("title %q and %d bells after a restart; want (1) rtchat and no bell for old news", title, n)
	}
	// A new mention while away rings once and counts.
	send(t, bob, "news", "alice, one more thing")
	w.waitList(t, "news", "@2 4")
	w.waitFor(t, "the bell", func(string) bool { n, title := w.bells(); return n == 1 && title == "(2) rtchat" })

	x, y, _ := w.find("● news")
	w.click(x+2, y)
	w.waitText(t, "#news · subscribed")
	w.waitText(t, "new since you were here")
	// The marker sits right above the first unread message.
	_, my, _ := w.find("new since you were here")
	if !strings.Contains(w.row(my+1), "first while away") {
		t.Fatalf("the marker is not above the first unread message:\n%s", w.text())
	}
	// The mention is highlighted.
	mx, mline, _ := w.find("@alice can you check")
	fx, fy, _ := w.find("first while away")
	if w.style(mx, mline) == w.style(fx, fy) {
		t.Fatal("the mention is drawn like any other message")
	}
	w.waitList(t, "news", "")
	w.waitFor(t, "the title to clear", func(string) bool { _, title := w.bells(); return title == "rtchat" })
}

// waitMarker waits until user has a read marker in channel.
func waitMarker(t *testing.T, rdb *redis.Client, user, channel string) {
	t.Helper()
	redistest.Eventually(t, 5*time.Second, user+"'s read marker in #"+channel, func() error {
		if rdb.HGet(context.Background(), chat.DefaultKeys().ReadMarks(user), channel).Val() == "" {
			return errors.New("none yet")
		}
		return nil
	})
}

func TestReadingInOneTerminalClearsTheOther(t *testing.T) {
	_, rdb, bob := withBob(t)
	w1 := openWindow(t, rdb, "alice", ui.Options{Mouse: true})
	w1.waitText(t, "#general · subscribed")
	w1.say(t, "/join news", "#news · subscribed")
	w1.say(t, "/join general", "#general · subscribed")
	w2 := openWindow(t, rdb, "alice", ui.Options{Mouse: true})
	w2.waitText(t, "#general · subscribed")
	w2.waitText(t, "● news") // joined from the user's channels, not just listed
	w2.waitList(t, "news", "")

	if _, err := bob.Join(context.Background(), "news"); err != nil {
		t.Fatal(err)
	}
	send(t, bob, "news", "one")
	send(t, bob, "news", "two")
	w1.waitList(t, "news", " 2")
	w2.waitList(t, "news", " 2")

	x, y, _ := w1.find("● news")
	w1.click(x+2, y)
	w1.waitText(t, "bob: two")
	w2.waitList(t, "news", "")
	if r := w2.listRow("news"); strings.HasSuffix(r, "2") {
		t.Fatalf("w2 still shows unread: %q", r)
	}
}

func TestNextUnreadGoesToMentionsFirst(t *testing.T) {
	_, rdb, bob := withBob(t)
	w := openWindow(t, rdb, "alice", ui.Options{})
	w.waitText(t, "#general · subscribed")
	for _, ch := range []string{"aaa", "bbb", "ccc"} {
		w.say(t, "/join "+ch, "#"+ch+" · subscribed")
		if _, err := bob.Join(context.Background(), ch); err != nil {
			t.Fatal(err)
		}
	}
	w.say(t, "/join general", "#general · subscribed")
	send(t, bob, "aaa", "plain in aaa")
	send(t, bob, "ccc", "hey alice in ccc")
	send(t, bob, "bbb", "plain in bbb")
	w.waitList(t, "aaa", " 1")
	w.waitList(t, "bbb", " 1")
	w.waitList(t, "ccc", "@1 1")

	altA := func() { w.InjectKey(tcell.KeyRune, 'a', tcell.ModAlt) }
	altA()
	w.waitText(t, "#ccc · subscribed") // the mention first
	altA()
	w.waitText(t, "#aaa · subscribed") // then unread, in list order
	altA()
	w.waitText(t, "#bbb · subscribed")
	altA()
	w.waitText(t, "no unread messages in other channels")
}

func TestPresenceAndWho(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	fast := func(o *chat.Options) { o.PresenceEvery, o.PresenceTTL = 200*time.Millisecond, time.Second }
	w := openWindow(t, rdb, "alice", ui.Options{}, fast)
	w.waitText(t, "#general · subscribed")
	// bob's terminal reaches Redis through a proxy we can cut: a crash,
	// with no goodbye.
	proxy := faultproxy.Start(t, srv.Addr)
	viaProxy := redistest.ClientAt(t, proxy.Addr, redistest.NoRetries)
	c := startClient(t, viaProxy, "bob", fast)
	chattest.Drain(c)
	if _, err := c.Join(context.Background(), "general"); err != nil {
		t.Fatal(err)
	}
	w.waitText(t, "2 members · 2 online")
	w.say(t, "/who", "#general: 2 of 2 members online")
	w.waitText(t, "online: alice, bob")

	proxy.Down()
	w.waitText(t, "2 members · 1 online")
	w.say(t, "/who", "#general: 1 of 2 members online")
	w.waitText(t, "offline: bob")
}

func TestTypingIndicatorShownAndCleared(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	w1 := openWindow(t, rdb, "alice", ui.Options{})
	w2 := openWindow(t, rdb, "bob", ui.Options{})
	w1.waitText(t, "#general · subscribed")
	w2.waitText(t, "#general · subscribed")
	redistest.WaitSubscribers(t, rdb, chat.DefaultKeys().Topic("general"), 2)

	w2.typeText("hello ali", false)
	w1.waitText(t, "bob is typing…")
	if strings.Contains(w2.text(), "is typing") {
		t.Fatal("bob is told that he is typing")
	}
	w2.typeText("ce", true)
	w1.waitText(t, "bob: hello alice")
	w1.waitFor(t, "the notice to go with the message", func(s string) bool { return !strings.Contains(s, "is typing") })

	// Typing that stops clears by itself.
	w2.typeText("wait", false)
	w1.waitText(t, "bob is typing…")
	start := time.Now()
	w1.waitFor(t, "the notice to expire", func(s string) bool { return !strings.Contains(s, "is typing") })
	if d := time.Since(start); d > chat.TypingShownFor+2*time.Second {
		t.Fatalf("the notice stayed %v", d)
	}
}

func TestTypingACommandIsNotAnnounced(t *testing.T) {
	f := conversation()
	s := showFake(t, f, 100, 30)
	s.typeText("/who", false)
	s.waitText(t, "/who")
	if n := f.typedCount(); n != 0 {
		t.Fatalf("typing a command told the channel %d times", n)
	}
	s.typeText(" x", true)
	s.typeText("hi", false)
	s.waitFor(t, "a typing notice", func(string) bool { return f.typedCount() > 0 })
}

func TestQuickSwitcherFilters(t *testing.T) {
	f := conversation()
	f.add("operations", "erin", "ops talk", fixedTime)
	f.add("design", "erin", "pixels", fixedTime)
	s := showFake(t, f, 100, 30)
	s.waitText(t, "operations")
	s.key(tcell.KeyCtrlK, tcell.ModCtrl)
	s.waitText(t, "type to filter channels and people")
	s.waitText(t, "#design")
	s.typeText("opn", false) // fuzzy: o-p-…-n
	s.waitFor(t, "only #operations", func(txt string) bool {
		return strings.Contains(txt, "> opn") && strings.Contains(txt, "#operations") && !strings.Contains(txt, "#design")
	})
	s.key(tcell.KeyBackspace2, tcell.ModNone)
	s.key(tcell.KeyBackspace2, tcell.ModNone)
	s.waitText(t, "#ops") // "o" matches ops, operations, random…
	s.typeText("ps", false)
	s.key(tcell.KeyEnter, tcell.ModNone)
	s.waitText(t, "#ops · subscribed") // the prefix match wins
	s.waitFor(t, "the switcher to close", func(txt string) bool { return !strings.Contains(txt, "type to filter channels and people") })

	s.key(tcell.KeyCtrlK, tcell.ModCtrl)
	s.waitText(t, "type to filter channels and people")
	s.key(tcell.KeyEscape, tcell.ModNone)
	s.waitFor(t, "Esc to close it", func(txt string) bool { return !strings.Contains(txt, "type to filter channels and people") })
	s.waitText(t, "#ops · subscribed")

	// People are there too: Enter opens a direct conversation.
	s.key(tcell.KeyCtrlK, tcell.ModCtrl)
	s.typeText("zzq", false)
	s.waitText(t, "nothing matches; Enter creates #zzq and joins it")
	for range 3 {
		s.key(tcell.KeyBackspace2, tcell.ModNone)
	}
	s.typeText("dv", false)
	s.waitFor(t, "@dave, fuzzily", func(txt string) bool { return strings.Contains(txt, "> dv") && strings.Contains(txt, "@dave") })
	s.key(tcell.KeyEnter, tcell.ModNone)
	s.waitText(t, "@dave · subscribed")
	// In a direct conversation, /msg completes anyone the window knows.
	s.typeText("/msg ca", false)
	s.key(tcell.KeyTab, tcell.ModNone)
	s.waitFor(t, "carol completed", func(string) bool { return strings.HasPrefix(inputRow(s), "/msg carol") })
}

func TestHelpOverlayListsEveryCommandAndKey(t *testing.T) {
	f := conversation()
	s := newTestScreen(140, 100)
	keys, err := keymap.Bindings(map[string]string{"help": "F5", "quick_switch": "ctrl+g"})
	if err != nil {
		t.Fatal(err)
	}
	runApp(t, ui.Options{Backend: f, Screen: s, Keys: keys})
	s.waitText(t, "#general · subscribed")
	s.key(tcell.KeyF5, tcell.ModNone)
	s.waitText(t, "help · Esc closes")
	txt := s.text()
	for _, c := range ui.Commands() {
		if !strings.Contains(txt, "/"+c) {
			t.Errorf("the help does not list /%s", c)
		}
	}
	for _, want := range []string{"F5", "Ctrl+G", "Alt+A", "Ctrl+N, Alt+Down", "Alt+Enter", "On a selected message", "Enter, g"} {
		if !strings.Contains(txt, want) {
			t.Errorf("the help does not list %s", want)
		}
	}
	s.key(tcell.KeyEscape, tcell.ModNone)
	s.waitFor(t, "Esc to close it", func(txt string) bool { return !strings.Contains(txt, "help · Esc closes") })
	// The rebound key works; the default one no longer does.
	s.key(tcell.KeyF1, tcell.ModNone)
	s.key(tcell.KeyCtrlG, tcell.ModCtrl)
	s.waitText(t, "type to filter channels and people")
	if strings.Contains(s.text(), "help · Esc closes") {
		t.Fatal("F1 still opens the help after it was rebound")
	}
	s.key(tcell.KeyEscape, tcell.ModNone)
	s.say(t, "/help", "help · Esc closes")
}

func TestSearchPagesThroughAHundredThousandMessages(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	ctx := context.Background()
	key := chat.DefaultKeys().Stream("general")
	const total = 100_000
	base := time.Now().Add(-time.Hour).UnixMilli()
	for from := 0; from < total; from += 10_000 {
		pipe := rdb.Pipeline()
		for i := from; i < from+10_000; i++ {
			text := fmt.Sprint("filler message ", i)
			if i%2000 == 7 {
				text = fmt.Sprintf("the deploy KEY%05d went out", i)
			}
			pipe.XAdd(ctx, &redis.XAddArgs{Stream: key, ID: fmt.Sprintf("%d-%d", base, i+1), Values: []any{"user", "bob", "text", text, "ts", fmt.Sprint(base)}})
		}
		if _, err := pipe.Exec(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if err := rdb.HSet(ctx, chat.DefaultKeys().Channel("general"), "id", "1", "name", "general").Err(); err != nil {
		t.Fatal(err)
	}
	rdb.SAdd(ctx, chat.DefaultKeys().ChannelIndex(), "general")
	w := openWindow(t, rdb, "alice", ui.Options{})
	w.waitText(t, "#general · subscribed")
	w.waitText(t, "filler message 99999")
	w.say(t, "/search deploy key", "search everywhere for \"deploy key\"")
	// The first page: 20 hits, newest first, and the scan stopped there.
	w.waitText(t, "20 found in")
	w.waitText(t, "KEY98007")
	if strings.Contains(w.text(), "KEY58007") {
		t.Fatal("the first page went past 20 hits")
	}
	footer := w.text()
	if !strings.Contains(footer, "move past the last one for more") {
		t.Fatalf("no way to more results:\n%s", footer)
	}
	// Moving past the last hit loads the rest, page by page.
	const all = "50 found in 100000 messages of 1 conversation · all of them searched"
	for i := 0; i < 500 && !strings.Contains(w.text(), all); i++ {
		w.key(tcell.KeyDown, tcell.ModNone)
		time.Sleep(20 * time.Millisecond)
	}
	w.waitText(t, all)
	// Enter opens the hit in the log (pages of history loaded up to it),
	// selected, so a message's keys work on it; Esc: back to the results.
	w.key(tcell.KeyHome, tcell.ModNone)
	w.key(tcell.KeyEnter, tcell.ModNone)
	w.waitFor(t, "the hit selected in the log", func(s string) bool {
		return strings.Contains(s, "message: r reply") && strings.Contains(s, "the deploy KEY98007 went out") && !strings.Contains(s, "search everywhere")
	})
	if x, y, ok := w.find("KEY98007"); !ok || w.style(x, y) == w.style(x, y+1) {
		t.Fatalf("the hit is not drawn selected:\n%s", w.text())
	}
	w.key(tcell.KeyEscape, tcell.ModNone)
	w.waitText(t, "search everywhere for")
	// The oldest hit is too far back for the log: shown in its context.
	w.key(tcell.KeyEnd, tcell.ModNone)
	w.key(tcell.KeyEnter, tcell.ModNone)
	w.waitText(t, "too far back for the log")
	w.waitText(t, "KEY00007")
	w.key(tcell.KeyEscape, tcell.ModNone)
	w.waitText(t, "search everywhere for")
	w.key(tcell.KeyEscape, tcell.ModNone)
	w.waitFor(t, "the search to close", func(s string) bool { return !strings.Contains(s, "search everywhere for") })
}

func TestOverlayWrapsLongRowsOnASmallScreen(t *testing.T) {
	f := conversation()
	s := showFake(t, f, 80, 24)
	s.key(tcell.KeyF1, tcell.ModNone)
	s.waitText(t, "help · Esc closes")
	// The end of a long description goes on the next row, under its column.
	_, y, ok := s.find("/join <channel>")
	if !ok {
		t.Fatalf("no /join row:\n%s", s.text())
	}
	if next := s.row(y + 1); !strings.Contains(next, "switch to it") || strings.Contains(next, "/") {
		t.Fatalf("the /join row did not wrap onto the next row:\n%s", s.text())
	}
	// Scrolling reaches the last row and stops there.
	for range 200 {
		s.key(tcell.KeyDown, tcell.ModNone)
	}
	s.waitText(t, "wheel scrolls; Shift+drag selects")
}

// At 80 columns the switcher's title is wider than its frame: it is cut
// at its end with "…", never at its start.
func TestOverlayTitleCutAtItsEnd(t *testing.T) {
	f := conversation()
	s := showFake(t, f, 80, 24)
	s.waitText(t, "#general")
	s.key(tcell.KeyCtrlK, tcell.ModCtrl)
	s.waitFor(t, "the switcher's title cut with …", func(txt string) bool {
		for _, line := range strings.Split(txt, "\n") {
			if strings.Contains(line, "type to filter") {
				return strings.Contains(line, " switch · type to filter") && strings.Contains(line, "…")
			}
		}
		return false
	})
}

// At 50 columns an overlay leaves one column at each side, not a tenth:
// the help's text keeps room to read.
func TestOverlayOnANarrowWindow(t *testing.T) {
	f := conversation()
	s := showFake(t, f, 50, 20)
	s.waitText(t, "#general")
	s.key(tcell.KeyF1, tcell.ModNone)
	s.waitText(t, "help · Esc closes")
	x, y, _ := s.find("╔")
	if x != 1 || y != 1 {
		t.Errorf("the help's frame starts at column %d, row %d; want 1, 1:\n%s", x, y, s.text())
	}
	if right, top, _ := s.find("╗"); right != 48 || top != y {
		t.Errorf("the help's frame ends at column %d, row %d; want 48, %d", right, top, y)
	}
}
