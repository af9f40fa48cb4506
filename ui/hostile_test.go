package ui_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rtchat/rtchat/chat"
	"github.com/rtchat/rtchat/internal/chattest"
	"github.com/rtchat/rtchat/internal/faultproxy"
	"github.com/rtchat/rtchat/internal/redistest"
	"github.com/rtchat/rtchat/ui"
)

// TestForgedLiveEntryNeverShown: a payload published on the channel's
// topic with a far-future id, chained onto the last message or not, never
// shows, and real messages after it do.
func TestForgedLiveEntryNeverShown(t *testing.T) {
	_, rdb, bob := withBob(t)
	w := openWindow(t, rdb, "alice", ui.Options{})
	w.waitText(t, "#general · subscribed · connected")
	redistest.WaitSubscribers(t, rdb, chat.DefaultKeys().Topic("general"), 1)
	first, err := bob.BroadcastMessage(context.Background(), "general", "real one")
	if err != nil {
		t.Fatal(err)
	}
	w.waitText(t, "bob: real one")
	field := func(name, value string) string { return fmt.Sprintf("%s:%d:%s", name, len(value), value) }
	body := field("mid", "m") + field("user", "bob") + field("ts", "1") + field("text", "FORGED")
	for _, prev := range []string{"", first.ID.String()} {
		if err := rdb.Publish(context.Background(), chat.DefaultKeys().Topic("general"), "v2\n99999999999999-0\n"+prev+"\n"+body).Err(); err != nil {
			t.Fatal(err)
		}
	}
	send(t, bob, "general", "real two")
	send(t, bob, "general", "real three")
	w.waitText(t, "bob: real three")
	if strings.Contains(w.text(), "FORGED") || !strings.Contains(w.text(), "bob: real two") {
		t.Fatalf("the window after a forged entry:\n%s", w.text())
	}
}

// TestWipedServerSaidOnceAndRestored: after FLUSHALL the window says once
// that the server lost its data, counts its members again (not 0), never
// calls it a truncated history, and goes on chatting.
func TestWipedServerSaidOnceAndRestored(t *testing.T) {
	_, rdb, bob := withBob(t)
	if _, err := bob.Join(context.Background(), "general"); err != nil {
		t.Fatal(err)
	}
	fast := func(o *chat.Options) { o.PresenceEvery = 300 * time.Millisecond }
	w := openWindow(t, rdb, "alice", ui.Options{}, fast)
	w.waitText(t, "2 members · 2 online")
	send(t, bob, "general", "before the wipe")
	w.waitText(t, "bob: before the wipe")
	if err := rdb.FlushAll(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
	w.waitText(t, "the server lost its data")
	w.waitText(t, "1 member · 1 online")
	w.say(t, "after the wipe", "alice: after the wipe")
	w.waitFor(t, "the message stored", func(string) bool { return streamLen(t, rdb, "general") == 1 })
	if n := strings.Count(w.text(), "the server lost its data"); n != 1 || strings.Contains(w.text(), "truncated") {
		t.Fatalf("the window after a wipe:\n%s", w.text())
	}
}

// TestStatusSaysWhenRedisStopsAnswering: a link that goes silent is not
// called connected while the watchdog waits for its answer; a server that
// starts asking for a password says so.
func TestStatusSaysWhenRedisStopsAnswering(t *testing.T) {
	srv := redistest.Start(t, redistest.RealOnly())
	proxy := faultproxy.Start(t, srv.Addr)
	viaProxy := redistest.ClientAt(t, proxy.Addr)
	slow := func(o *chat.Options) { o.PingEvery, o.DeadAfter = time.Second, 8*time.Second }
	w := openWindow(t, viaProxy, "alice", ui.Options{}, slow)
	w.waitText(t, "#general · subscribed · connected")
	proxy.Freeze()
	w.waitText(t, "no answer from Redis")
	proxy.Thaw()
	w.waitText(t, "· connected ·")

	srv.RequirePassword(t, "now-needed")
	w.waitText(t, "Redis asks for a password")
}

// TestErrorsShowWithNoChannelOpen: a key of the wrong type where the
// user's channels belong is named in a red line even before any channel
// opens, and the window still opens #general.
func TestErrorsShowWithNoChannelOpen(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	if err := rdb.Set(context.Background(), chat.DefaultKeys().UserChannels("alice"), "oops", 0).Err(); err != nil {
		t.Fatal(err)
	}
	w := openWindow(t, rdb, "alice", ui.Options{})
	w.waitText(t, "user:{alice}:channels")
	w.waitText(t, "#general · subscribed")
}

// TestPastedBlankLinesAreTidied: a paste of many newlines around a word
// sends the word with at most two blank lines in a row, and the log shows
// no more.
func TestPastedBlankLinesAreTidied(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	w := openWindow(t, rdb, "alice", ui.Options{})
	w.waitText(t, "#general · subscribed")
	bob := startClient(t, rdb, "bob")
	chattest.Drain(bob)
	// Another tool's entry is tidied on screen too.
	key := chat.DefaultKeys().Stream("general")
	redistest.XAdd(t, rdb, key, "user", "tool", "text", "top"+strings.Repeat("\n", 500)+"bottom")
	send(t, bob, "general", strings.Repeat("\n", 1000)+"middle"+strings.Repeat("\n \n", 1000))
	w.waitText(t, "bob: middle")
	w.waitText(t, "tool: top")
	_, y, _ := w.find("tool: top")
	if !strings.Contains(w.row(y+3), "bottom") {
		t.Fatalf("the blank lines were not cut to two:\n%s", w.text())
	}
	xs := rdb.XRange(context.Background(), key, "-", "+").Val()
	if got := xs[len(xs)-1].Values["text"]; got != "middle" {
		t.Fatalf("stored %q, want the word alone", got)
	}
}

// TestLongChannelNamesEndInAnEllipsis: two names that share a long
// beginning look different in the list.
func TestLongChannelNamesEndInAnEllipsis(t *testing.T) {
	f := conversation()
	f.add("release-planning-2026-spring", "erin", "x", fixedTime)
	f.add("release-planning-2026-summer", "erin", "x", fixedTime)
	s := showFake(t, f, 100, 30)
	s.waitText(t, "…")
	_, y1, ok1 := s.find("spring")
	_, y2, ok2 := s.find("summer")
	if !ok1 || !ok2 || s.row(y1) == s.row(y2) || !strings.Contains(s.row(y1), "…") {
		t.Fatalf("two long names are not told apart:\n%s", s.text())
	}
}

// TestChainedForgeryIsTakenBack: a payload that chains onto the last
// message with a plausible id shows (marked ⚠, unsigned) until the next
// real message makes the window read the stream; then it is removed, and
// a real message that later gets the same id shows.
func TestChainedForgeryIsTakenBack(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	bob := startClient(t, rdb, "bob", signed)
	chattest.Drain(bob)
	w := openWindow(t, rdb, "alice", ui.Options{})
	w.waitText(t, "#general · subscribed · connected")
	redistest.WaitSubscribers(t, rdb, chat.DefaultKeys().Topic("general"), 1)
	ctx := context.Background()
	first, err := bob.BroadcastMessage(ctx, "general", "real one")
	if err != nil {
		t.Fatal(err)
	}
	w.waitText(t, "bob: real one")
	field := func(name, value string) string { return fmt.Sprintf("%s:%d:%s", name, len(value), value) }
	body := field("mid", "m") + field("user", "bob") + field("ts", "1") + field("text", "FORGED")
	forged := chat.ID{MS: first.ID.MS + 200}
	if err := rdb.Publish(ctx, chat.DefaultKeys().Topic("general"), "v2\n"+forged.String()+"\n"+first.ID.String()+"\n"+body).Err(); err != nil {
		t.Fatal(err)
	}
	w.waitText(t, "⚠ bob: FORGED")
	send(t, bob, "general", "real two")
	w.waitText(t, "bob: real two")
	w.waitText(t, "was not stored in Redis")
	w.waitFor(t, "the forged line to go", func(s string) bool { return !strings.Contains(s, "FORGED") })
}
