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
	"github.com/rtchat/rtchat/internal/chattest"
	"github.com/rtchat/rtchat/internal/redistest"
	"github.com/rtchat/rtchat/ui"
)

// "/join #Dev" is #dev, and the window says names are lower case; a join
// of a channel one is in only shows it; /topic alone shows the topic.
func TestJoinForgivesCaseAndTopicShows(t *testing.T) {
	f := conversation()
	s := showFake(t, f, 100, 30)
	s.typeText("/join #Dev", true)
	s.waitFor(t, "the note in #dev, under its join", func(text string) bool {
		i, j := strings.Index(text, "joined #dev"), strings.Index(text, "Dev is #dev: names are lower case")
		return i >= 0 && j > i && strings.Contains(text, "#dev · subscribed")
	})
	s.say(t, "/topic", "#dev has no topic; type /topic TEXT to set one")
	s.say(t, "/topic releases and deploys", "topic of #dev: releases and deploys")
	s.typeText("/topic", true)
	s.waitFor(t, "the topic shown", func(text string) bool {
		return strings.Count(text, "topic of #dev: releases and deploys") == 2
	})
	s.typeText("/join dev", true)
	s.typeText("/topic", true)
	s.waitFor(t, "the topic again", func(text string) bool {
		return strings.Count(text, "topic of #dev: releases and deploys") == 3
	})
	if n := strings.Count(s.text(), "joined #dev"); n != 1 {
		t.Fatalf("joining #dev again said joined %d times", n)
	}
}

// Each conversation keeps its unsent text: switching away and back brings
// it back, and so does a restart (the drafts file, 0600).
func TestDraftsPerConversation(t *testing.T) {
	path := filepath.Join(t.TempDir(), "drafts", "alice.json")
	f := conversation()
	s := newTestScreen(100, 30)
	stop, _, runErr := runApp(t, ui.Options{Backend: f, Screen: s, StateFile: path})
	s.waitText(t, "#general · subscribed")
	s.typeText("half a thought", false)
	s.key(tcell.KeyCtrlN, 0)
	s.waitText(t, "#random · subscribed")
	s.waitFor(t, "an empty input in #random", func(string) bool { return strings.HasPrefix(inputRow(s), "Type a message") })
	s.typeText("for random", false)
	s.key(tcell.KeyCtrlP, 0)
	s.waitText(t, "#general · subscribed")
	s.waitFor(t, "the draft of #general back", func(string) bool { return inputRow(s) == "half a thought" })
	stop()
	if *runErr != nil {
		t.Fatal(*runErr)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("drafts file: %v, %v", fi, err)
	}

	again := newTestScreen(100, 30)
	runApp(t, ui.Options{Backend: conversation(), Screen: again, StateFile: path})
	again.waitText(t, "#general · subscribed")
	again.waitFor(t, "the draft after a restart", func(string) bool { return inputRow(again) == "half a thought" })
	again.key(tcell.KeyCtrlN, 0)
	again.waitFor(t, "#random's draft after a restart", func(string) bool { return inputRow(again) == "for random" })
}

// A reply keeps its quote row when it comes with history (after a
// restart, in a window opened later), not only live.
func TestReplyQuoteFromHistory(t *testing.T) {
	f := newFakeBackend("alice")
	f.mine = []string{"general"}
	q := f.add("general", "bob", "the build is red again", fixedTime.Add(-time.Minute))
	f.add("general", "carol", "on it", fixedTime)
	f.mu.Lock()
	f.msgs["general"][1].ReplyTo = q.ID
	f.mu.Unlock()
	s := showFake(t, f, 100, 24)
	s.waitText(t, "↪ bob: the build is red again")
	s.waitText(t, "carol: on it")
}

// A restart opens the conversation that was open, scrolled to where it
// was, with the count of what came below.
func TestRestartReopensWhereYouWere(t *testing.T) {
	path := filepath.Join(t.TempDir(), "window", "alice.json")
	long := func() *fakeBackend {
		f := conversation()
		for i := range 60 {
			f.add("random", "carol", fmt.Sprintf("random line %02d", i), fixedTime.Add(time.Duration(i)*time.Second))
		}
		return f
	}
	s := newTestScreen(100, 20)
	stop, _, runErr := runApp(t, ui.Options{Backend: long(), Screen: s, StateFile: path})
	s.waitText(t, "#general · subscribed")
	s.key(tcell.KeyCtrlN, 0)
	s.waitText(t, "random line 59")
	s.key(tcell.KeyPgUp, 0)
	s.waitFor(t, "scrolled up", func(text string) bool { return !strings.Contains(text, "random line 59") })
	before := s.text()
	stop()
	if *runErr != nil {
		t.Fatal(*runErr)
	}

	again := newTestScreen(100, 20)
	runApp(t, ui.Options{Backend: long(), Screen: again, StateFile: path})
	again.waitText(t, "#random · subscribed")
	again.waitFor(t, "the same bottom line as before the restart, with the count of those below", func(text string) bool {
		return lastLogRow(text) == lastLogRow(before) && strings.Contains(text, "16 new messages · End to jump")
	})
	again.key(tcell.KeyEnd, 0)
	again.waitText(t, "random line 59")
}

// lastLogRow is the screen's last row of carol's random lines.
func lastLogRow(text string) string {
	last := ""
	for _, row := range strings.Split(text, "\n") {
		if i := strings.Index(row, "random line "); i >= 0 {
			last = row[i:]
		}
	}
	return last
}

// Coming back to many conversations: Alt+N scrolls to the "new since you
// were here" line, Alt+R (Shift+Esc) marks every conversation read, in
// Redis too; a channel whose whole history is loaded says where it begins.
func TestJumpToNewAndMarkAllRead(t *testing.T) {
	_, rdb, bob := withBob(t)
	for _, ch := range []string{"news", "side"} {
		if _, err := bob.Join(context.Background(), ch); err != nil {
			t.Fatal(err)
		}
	}
	send(t, bob, "news", "read before")
	w := openWindow(t, rdb, "alice", ui.Options{})
	w.waitText(t, "#general · subscribed")
	w.say(t, "/join side", "#side · subscribed")
	w.say(t, "/join news", "read before")
	w.waitText(t, "beginning of #news")
	w.say(t, "/join general", "#general · subscribed")
	waitMarker(t, rdb, "alice", "news")
	waitMarker(t, rdb, "alice", "side")
	w.stop()
	for i := range 40 {
		send(t, bob, "news", fmt.Sprintf("news %02d", i))
	}
	send(t, bob, "side", "on the side")

	w = openWindow(t, rdb, "alice", ui.Options{})
	w.waitList(t, "news", " 40")
	w.waitList(t, "side", " 1")
	w.say(t, "/join news", "news 39")
	if strings.Contains(w.text(), "new since you were here") {
		t.Fatalf("the marker fits on the first screen; the test wants it above:\n%s", w.text())
	}
	w.InjectKey(tcell.KeyRune, 'n', tcell.ModAlt)
	w.waitFor(t, "the marker at the top", func(text string) bool {
		return strings.Contains(strings.Split(text, "\n")[1], "new since you were here")
	})
	w.InjectKey(tcell.KeyRune, 'r', tcell.ModAlt)
	w.key(tcell.KeyEnd, 0)
	w.waitText(t, "marked 1 conversation read") // #news was read when shown
	w.waitList(t, "side", "")
	w.waitList(t, "news", "")
	last := func(ch string) string {
		xs, err := rdb.XRevRangeN(context.Background(), chat.DefaultKeys().Stream(ch), "+", "-", 1).Result()
		if err != nil || len(xs) == 0 {
			t.Fatal(err)
		}
		return xs[0].ID
	}
	redistest.Eventually(t, 5*time.Second, "the read markers at the newest messages", func() error {
		for _, ch := range []string{"news", "side"} {
			if got, want := rdb.HGet(context.Background(), chat.DefaultKeys().ReadMarks("alice"), ch).Val(), last(ch); got != want {
				return fmt.Errorf("#%s marked at %s, want %s", ch, got, want)
			}
		}
		return nil
	})
}

// A narrow window: the sidebar narrows, then hides itself (F3 brings it
// back), and a bar too long for the row ends in "…".
func TestNarrowWindows(t *testing.T) {
	f := conversation()
	s := newTestScreen(50, 20)
	runApp(t, ui.Options{Backend: f, Screen: s})
	s.waitText(t, "carol: a long line")
	if strings.Contains(s.text(), "● random") {
		t.Fatalf("the sidebar shows in a 50-column window:\n%s", s.text())
	}
	status := s.row(19)
	if !strings.HasSuffix(strings.TrimRight(status, " "), "…") || !strings.HasPrefix(status, " #general · subscribed") {
		t.Fatalf("the status bar is not cut with …: %q", status)
	}
	s.key(tcell.KeyF3, 0)
	s.waitText(t, "● random")
	if x, _, _ := s.find("[09:26]"); x != 12 {
		t.Fatalf("the log starts at column %d with a 12-column list, want 12:\n%s", x, s.text())
	}
	s.key(tcell.KeyF3, 0)
	s.waitFor(t, "the sidebar hidden again", func(text string) bool { return !strings.Contains(text, "● random") })

	wide := newTestScreen(80, 24)
	runApp(t, ui.Options{Backend: conversation(), Screen: wide})
	wide.waitText(t, "carol: a long")
	if x, _, _ := wide.find("[09:26]"); x != 16 {
		t.Fatalf("at 80 columns the log starts at column %d, want 16 (a narrower list):\n%s", x, wide.text())
	}
}

// The same on a real Redis, where the first pages may come before the
// start shows anything.
func TestRestartReopensWhereYouWereOnRedis(t *testing.T) {
	_, rdb, bob := withBob(t)
	if _, err := bob.Join(context.Background(), "random"); err != nil {
		t.Fatal(err)
	}
	for i := range 60 {
		send(t, bob, "random", fmt.Sprintf("random line %02d", i))
	}
	path := filepath.Join(t.TempDir(), "window", "alice.json")
	w := openWindow(t, rdb, "alice", ui.Options{StateFile: path})
	w.waitText(t, "#general · subscribed")
	w.say(t, "/join random", "random line 59")
	w.key(tcell.KeyPgUp, 0)
	w.waitFor(t, "scrolled up", func(text string) bool { return !strings.Contains(text, "random line 59") })
	before := lastLogRow(w.text())
	w.stop()
	// A direct conversation bob opens meanwhile is shown first when the
	// window knows nothing better; alice's place wins.
	if _, err := bob.Join(context.Background(), chat.DM("alice")); err != nil {
		t.Fatal(err)
	}
	send(t, bob, chat.DM("alice"), "psst")

	w = openWindow(t, rdb, "alice", ui.Options{StateFile: path})
	w.waitText(t, "#random · subscribed")
	w.waitFor(t, "the same bottom line as before the restart", func(text string) bool { return lastLogRow(text) == before })
}

// F4 shows the members beside the log, online, away and offline, as they
// change; a mention of someone not in the channel says so.
func TestMemberPane(t *testing.T) {
	srv, rdb, bob := withBob(t)
	ctx := context.Background()
	if _, err := bob.Join(ctx, "general"); err != nil {
		t.Fatal(err)
	}
	carol := startClient(t, srv.Client(t), "carol")
	chattest.Drain(carol)
	if _, err := carol.Join(ctx, "side"); err != nil {
		t.Fatal(err)
	}
	send(t, carol, "side", "carol was here")
	w := openWindowSized(t, 120, 30, rdb, "alice", ui.Options{})
	w.waitText(t, "#general · subscribed")
	w.key(tcell.KeyF4, 0)
	w.waitText(t, "members · 2")
	w.waitText(t, "● bob")
	w.waitText(t, "● alice")
	if err := bob.SetAway(ctx, true, "lunch"); err != nil {
		t.Fatal(err)
	}
	w.waitText(t, "◐ bob")
	bob.Close()
	w.waitText(t, "○ bob")

	// carol is known (she wrote in #side) but not in #general.
	w.say(t, "/join side", "carol was here")
	w.say(t, "/join general", "#general · subscribed")
	w.say(t, "@carol can you look?", "carol is not in #general: the mention does not reach them")
	if strings.Contains(w.text(), "bob is not in") {
		t.Fatalf("a member's mention was flagged:\n%s", w.text())
	}
	w.key(tcell.KeyF4, 0)
	w.waitFor(t, "the pane hidden", func(text string) bool { return !strings.Contains(text, "● alice") })
}

// The name column: names right-aligned and cut with …, text and its
// continuation rows in one column, and a long word broken where the row
// ends instead of leaving the name alone on its row.
func TestNameColumn(t *testing.T) {
	f := conversation()
	long := strings.Repeat("n", 64)
	f.add("general", "carol", "https://example.com/"+strings.Repeat("a", 120), fixedTime)
	f.add("general", long, "hello from a long name", fixedTime)
	f.add("general", "bob", "日本語の段落はスペースなしで続きます。"+strings.Repeat("とても長い文章です。", 8), fixedTime)
	s := showFake(t, f, 80, 24)
	s.waitText(t, "hello from a long name")
	for y := range 24 {
		row := strings.TrimRight(s.row(y), " ")
		if strings.HasSuffix(row, "carol:") || strings.HasSuffix(row, "bob:") {
			t.Fatalf("a name alone on its row %d:\n%s", y, s.text())
		}
	}
	_, y, _ := s.find("hello from a long name")
	if row := s.row(y); !strings.Contains(row, "nnnnnnnnnnn…: hello") || strings.Contains(row, long) {
		t.Fatalf("the long name is not cut to the column: %q", row)
	}
	// Every text starts in the same column; continuation rows too.
	xs := map[int]bool{}
	for _, sub := range []string{"https://", "hello from", "日本語", "great, I'll"} {
		x, _, ok := s.find(sub)
		if !ok {
			t.Fatalf("%q not on screen:\n%s", sub, s.text())
		}
		xs[x] = true
	}
	ux, uy, _ := s.find("https://")
	cont := []rune(s.row(uy + 1))
	if ux >= len(cont) || cont[ux] != 'a' || strings.TrimSpace(string(cont[ux-2:ux])) != "" {
		t.Fatalf("the URL's continuation row does not start under the text (column %d):\n%s", ux, s.text())
	}
	if len(xs) != 1 {
		t.Fatalf("the texts start in %d columns, want one:\n%s", len(xs), s.text())
	}
}

// What is new in a thread survives a restart: replies to alice's root
// while her window was closed count as new when it opens again; once she
// opened the thread, they do not count again after the next restart.
func TestThreadUnreadSurvivesARestart(t *testing.T) {
	_, rdb, bob := withBob(t)
	w := openWindowSized(t, 160, 30, rdb, "alice", ui.Options{})
	w.waitText(t, "#general · subscribed · connected")
	w.say(t, "shall we ship it?", "alice: shall we ship it?")
	w.waitFor(t, "it to be stored", func(s string) bool { return !strings.Contains(s, "unsent") })
	xs, err := rdb.XRevRangeN(context.Background(), chat.DefaultKeys().Stream("general"), "+", "-", 1).Result()
	if err != nil || len(xs) == 0 {
		t.Fatal(err)
	}
	root, _ := chat.ParseID(xs[0].ID)
	w.stop()
	for _, text := range []string{"yes, after lunch", "@alice and the docs?"} {
		if _, err := bob.Broadcast(context.Background(), chat.Draft{Channel: "general", Text: text, Thread: root}); err != nil {
			t.Fatal(err)
		}
	}

	w = openWindowSized(t, 160, 30, rdb, "alice", ui.Options{})
	w.waitText(t, "2 replies · last")
	w.waitText(t, "2 new in threads")
	w.waitText(t, "· 2 new")
	w.altS()
	w.press("t")
	w.waitText(t, "bob: @alice and the docs?")
	w.waitFor(t, "the count to clear", func(s string) bool { return !strings.Contains(s, "new in threads") })
	w.key(tcell.KeyEscape, tcell.ModNone)
	redistest.Eventually(t, 5*time.Second, "the thread's read marker", func() error {
		if rdb.HGet(context.Background(), chat.DefaultKeys().ReadMarks("alice"), chat.ThreadMarker("general", root)).Val() == "" {
			return fmt.Errorf("none yet")
		}
		return nil
	})
	w.stop()

	w = openWindowSized(t, 160, 30, rdb, "alice", ui.Options{})
	w.waitText(t, "2 replies · last")
	w.say(t, "/who", "online: alice") // a round trip after the start's reads
	if strings.Contains(w.text(), "new in threads") || strings.Contains(w.text(), "· 2 new") {
		t.Fatalf("read replies counted again after a restart:\n%s", w.text())
	}
}

// After the server lost its data, who is online starts over: people show
// again as their windows announce themselves on the new server.
func TestOnlineStartsOverAfterADataLoss(t *testing.T) {
	f := conversation()
	s := showFake(t, f, 120, 20)
	s.waitText(t, "2 members · 2 online")
	f.events <- chat.MembersEvent{Channel: "general", Members: []string{"alice", "bob"}}
	f.events <- chat.ResetEvent{}
	s.waitText(t, "2 members · 1 online")
	// The members come back one window at a time: bob, not back yet, did
	// not leave.
	f.events <- chat.MembersEvent{Channel: "general", Members: []string{"alice"}}
	f.events <- chat.PresenceEvent{User: "bob", Online: true}
	f.events <- chat.MembersEvent{Channel: "general", Members: []string{"alice", "bob"}}
	s.waitText(t, "2 members · 2 online")
	// Someone who truly leaves later is told.
	f.events <- chat.MembersEvent{Channel: "general", Members: []string{"alice"}}
	s.waitText(t, "bob left #general")
	if strings.Count(s.text(), "bob left") != 1 || strings.Contains(s.text(), "bob joined") {
		t.Fatalf("a data loss told as people leaving and joining:\n%s", s.text())
	}
}

// A channel whose older history retention removed says so at its top,
// where a channel kept whole says where it begins.
func TestTrimmedHistorySaysSo(t *testing.T) {
	_, rdb, _ := withBob(t)
	ctx := context.Background()
	// Small stream nodes, so that a retention of 10 trims after a few
	// dozen messages (the embedded server trims exactly, and lacks this).
	_ = rdb.ConfigSet(ctx, "stream-node-max-entries", "4").Err()
	t.Cleanup(func() { _ = rdb.ConfigSet(context.Background(), "stream-node-max-entries", "100").Err() })
	carol := startClient(t, rdb, "carol", func(o *chat.Options) { o.MaxLen = 10 })
	chattest.Drain(carol)
	for _, ch := range []string{"busy", "quiet"} {
		if _, err := carol.Join(ctx, ch); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 30 {
		send(t, carol, "busy", fmt.Sprintf("busy %02d", i))
	}
	send(t, carol, "quiet", "all of it")
	w := openWindow(t, rdb, "alice", ui.Options{})
	w.waitText(t, "#general · subscribed")
	w.say(t, "/join busy", "busy 29")
	w.waitText(t, "older messages of #busy were removed (retention)")
	if strings.Contains(w.text(), "busy 00") || strings.Contains(w.text(), "beginning of #busy") {
		t.Fatalf("the trimmed channel shows its start:\n%s", w.text())
	}
	w.say(t, "/join quiet", "all of it")
	w.waitText(t, "beginning of #quiet")
}
