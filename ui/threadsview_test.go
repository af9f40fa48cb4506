package ui_test

import (
	"context"
	"fmt"
	"slices"
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

// Alt+T lists the threads the user is in across conversations, the most
// recent reply first, with what is new; Enter opens one beside its log.
// After a restart, a thread whose root is too far back for the log is
// still there, read by the user's marker of it.
func TestThreadsView(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	ctx := context.Background()
	bob := startClient(t, rdb, "bob", signed)
	chattest.Drain(bob)
	if _, err := bob.Join(ctx, "ops"); err != nil {
		t.Fatal(err)
	}
	w := openWindowSized(t, 140, 30, rdb, "alice", ui.Options{}, signed)
	w.waitText(t, "#general · subscribed · connected")
	w.say(t, "shall we ship it?", "alice: shall we ship it?")
	w.waitFor(t, "it to be stored", func(s string) bool { return !strings.Contains(s, "unsent") })
	root := lastID(t, rdb, "general")
	reply := func(conv string, root chat.ID, text string) {
		t.Helper()
		if _, err := bob.Broadcast(ctx, chat.Draft{Channel: conv, Text: text, Thread: root}); err != nil {
			t.Fatal(err)
		}
	}
	reply("general", root, "yes, after lunch")
	w.waitText(t, "1 reply · last")
	// A thread of bob's in #ops that alice wrote in, newer.
	if _, err := bob.Broadcast(ctx, chat.Draft{Channel: "ops", Text: "db-2 is slow"}); err != nil {
		t.Fatal(err)
	}
	w.say(t, "/join ops", "#ops · subscribed")
	w.waitText(t, "bob: db-2 is slow")
	w.altS()
	w.press("t")
	w.waitText(t, "thread · Esc closes")
	w.say(t, "looking", "alice: looking")
	w.key(tcell.KeyEscape, tcell.ModNone)
	w.waitFor(t, "the pane to close", func(s string) bool { return !strings.Contains(s, "thread · Esc closes") })
	w.waitText(t, "1 reply · last")

	w.InjectKey(tcell.KeyRune, 't', tcell.ModAlt)
	w.waitText(t, "threads you are in")
	w.waitText(t, "2 threads · 1 new reply")
	_, yOps, okOps := w.find("#ops  1 reply")
	_, yGen, okGen := w.find("#general  1 reply · 1 new")
	if !okOps || !okGen || yOps > yGen {
		t.Fatalf("not the threads, newest reply first:\n%s", w.text())
	}
	w.key(tcell.KeyDown, tcell.ModNone)
	w.key(tcell.KeyEnter, tcell.ModNone)
	w.waitText(t, "thread · Esc closes")
	w.waitText(t, "bob: yes, after lunch")
	w.waitText(t, "#general")
	w.key(tcell.KeyEscape, tcell.ModNone)
	redistest.Eventually(t, 5*time.Second, "alice's marker of the thread", func() error {
		return rdb.HGet(ctx, chat.DefaultKeys().ReadMarks("alice"), chat.ThreadMarker("general", root)).Err()
	})
	w.stop()

	// 300 messages later, the root of #general's thread is not in a new
	// window's log; the view still has it, by alice's marker.
	pipe := rdb.Pipeline()
	for i := range 300 {
		pipe.XAdd(ctx, &redis.XAddArgs{Stream: chat.DefaultKeys().Stream("general"), Values: []any{"user", "carol", "text", fmt.Sprint("filler ", i), "ts", 1}})
	}
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	reply("general", root, "and one more")
	w2 := openWindowSized(t, 140, 30, rdb, "alice", ui.Options{}, signed)
	w2.waitText(t, "filler 299")
	w2.InjectKey(tcell.KeyRune, 't', tcell.ModAlt)
	w2.waitText(t, "threads you are in")
	w2.waitText(t, "#general  2 replies · 1 new")
	w2.waitText(t, "alice: shall we ship it?")
}

// Alt+M opens the mentions inbox: newest first, the unread in bold;
// opening it marks them read; Enter opens one selected in its
// conversation, and Esc comes back to the inbox.
func TestMentionsInboxInTheWindow(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	ctx := context.Background()
	bob := startClient(t, rdb, "bob", signed)
	chattest.Drain(bob)
	w := openWindowSized(t, 140, 30, rdb, "alice", ui.Options{}, signed)
	w.waitText(t, "#general · subscribed · connected")
	if _, err := bob.Join(ctx, "ops"); err != nil {
		t.Fatal(err)
	}
	for _, d := range []chat.Draft{{Channel: "ops", Text: "@alice the disk is full"}, {Channel: "@alice", Text: "psst"}} {
		if _, err := bob.Broadcast(ctx, d); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Millisecond)
	}
	w.InjectKey(tcell.KeyRune, 'm', tcell.ModAlt)
	w.waitText(t, "2 new · 2 in all")
	_, y, ok := w.find("bob wrote to you: psst")
	x2, y2, ok2 := w.find("bob mentioned you: @alice the disk is full")
	if !ok || !ok2 || y > y2 || !boldAt(w, x2, y2) { // (the first row is the selected one)
		t.Fatalf("the inbox:\n%s", w.text())
	}
	w.key(tcell.KeyDown, tcell.ModNone)
	w.key(tcell.KeyEnter, tcell.ModNone)
	w.waitFor(t, "#ops open with the mention selected", func(s string) bool {
		return strings.Contains(s, "#ops · subscribed") && strings.Contains(s, "message: r reply")
	})
	w.key(tcell.KeyEscape, tcell.ModNone)
	w.waitText(t, "mentions, direct messages, replies and reactions")
	w.key(tcell.KeyEscape, tcell.ModNone)
	// Read now, in every terminal.
	w.InjectKey(tcell.KeyRune, 'm', tcell.ModAlt)
	w.waitText(t, "2 in all · nothing new")
}

func boldAt(w *window, x, y int) bool {
	_, _, attr := w.style(x, y).Decompose()
	return attr&tcell.AttrBold != 0
}

// A message that calls on the user in a way only their window can tell
// (a bare name, a highlight word) goes into their mentions inbox from
// the window; one that does not, does not.
func TestWindowRemembersWhatCallsOnYou(t *testing.T) {
	f := conversation()
	s := newTestScreen(100, 24)
	runApp(t, ui.Options{Backend: f, Screen: s, Highlights: []string{"deploy"}})
	s.waitText(t, "#general · subscribed")
	f.live("random", "carol", "alice, lunch?")
	f.live("random", "carol", "nothing for anyone")
	f.live("random", "carol", "the deploy is stuck")
	f.barrier(t, s)
	redistest.Eventually(t, 5*time.Second, "the window to remember", func() error {
		f.mu.Lock()
		defer f.mu.Unlock()
		got := slices.Sorted(slices.Values(f.remembered)) // kept off the UI goroutine, in any order
		if !slices.Equal(got, []string{"alice, lunch?", "the deploy is stuck"}) {
			return fmt.Errorf("remembered %q", f.remembered)
		}
		return nil
	})
}
