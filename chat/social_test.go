package chat_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rtchat/rtchat/chat"
	"github.com/rtchat/rtchat/internal/faultproxy"
	"github.com/rtchat/rtchat/internal/redistest"
)

func TestMentions(t *testing.T) {
	for text, want := range map[string]bool{
		"hi alice":          true,
		"@alice look":       true,
		"Alice: are you in": true,
		"(alice)":           true,
		"ping @ALICE!":      true,
		"malice":            false,
		"alice_bot said":    false,
		"alice-2 is here":   false,
		"alicealice":        false,
		"nothing here":      false,
		"mali alice":        true, // a later match counts after an earlier miss
		"":                  false,
	} {
		if got := chat.Mentions(text, "alice"); got != want {
			t.Errorf("Mentions(%q, alice) = %v, want %v", text, got, want)
		}
	}
	// It runs for every message shown, history included.
	if n := testing.AllocsPerRun(100, func() { chat.Mentions("Hello ALICE, the Deploy went out", "alice") }); n != 0 {
		t.Errorf("Mentions allocates %v times a call", n)
	}
}

// @here, @channel and @everyone (Slack's <!here> from a hook) call on
// everyone; the bare words, or inside a word, do not.
func TestCallsEveryone(t *testing.T) {
	for text, want := range map[string]bool{
		"@here the deploy failed": true,
		"[FIRING] @channel":       true,
		"ping @Everyone!":         true,
		"(@here)":                 true,
		"here we go":              false,
		"channel 4":               false,
		"mail@here.example":       false,
		"@hereafter":              false,
		"@":                       false,
		"":                        false,
	} {
		if got := chat.CallsEveryone(text); got != want {
			t.Errorf("CallsEveryone(%q) = %v, want %v", text, got, want)
		}
	}
}

// history waits for the HistoryEvent of channel that r received.
func history(r *recorder, channel string) chat.HistoryEvent {
	r.t.Helper()
	var h chat.HistoryEvent
	r.waitFor(5*time.Second, "the history of "+channel, func() bool {
		for _, e := range r.evs {
			if he, ok := e.(chat.HistoryEvent); ok && he.Channel == channel {
				h = he
				return true
			}
		}
		return false
	})
	return h
}

func TestReadMarkersMoveForwardAndReachEveryTerminal(t *testing.T) {
	_, rdb := startRedis(t)
	ctx := ctxT(t)
	bob := newRecorder(t, rdb, "bob")
	if _, err := bob.Join(ctx, "general"); err != nil {
		t.Fatal(err)
	}
	var ids []chat.ID
	for i := range 3 {
		s, err := bob.BroadcastMessage(ctx, "general", fmt.Sprint("m", i))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, s.ID)
	}
	// Two terminals of alice.
	a1 := newRecorder(t, rdb, "alice")
	a2 := newRecorder(t, rdb, "alice")
	for _, a := range []*recorder{a1, a2} {
		if _, err := a.Join(ctx, "general"); err != nil {
			t.Fatal(err)
		}
		a.waitConnected() // a terminal hears of markers once it listens
	}
	if err := a1.MarkRead(ctx, "general", ids[1]); err != nil {
		t.Fatal(err)
	}
	for _, a := range []*recorder{a1, a2} {
		a.waitFor(5*time.Second, "the read marker", func() bool {
			return a.hasEvent(func(e chat.Event) bool {
				r, ok := e.(chat.ReadEvent)
				return ok && r == chat.ReadEvent{Channel: "general", ID: ids[1]}
			})
		})
	}
	// Older markers never win, whatever order terminals report in.
	if err := a2.MarkRead(ctx, "general", ids[0]); err != nil {
		t.Fatal(err)
	}
	if got, _ := a1.ReadMarkers(ctx); got["general"] != ids[1] {
		t.Fatalf("marker = %s after an older report, want %s", got["general"], ids[1])
	}
	if err := a1.MarkRead(ctx, "general", chat.ID{}); err == nil {
		t.Fatal("MarkRead took a bad id")
	}
	all, err := a1.ReadMarkers(ctx)
	if err != nil || all["general"] != ids[1] {
		t.Fatalf("ReadMarkers = %v, %v", all, err)
	}
}

func TestUnreadCountedOnJoinAfterRestart(t *testing.T) {
	_, rdb := startRedis(t)
	ctx := ctxT(t)
	bob := newRecorder(t, rdb, "bob")
	if _, err := bob.Join(ctx, "general"); err != nil {
		t.Fatal(err)
	}
	first, err := bob.BroadcastMessage(ctx, "general", "before")
	if err != nil {
		t.Fatal(err)
	}
	// alice read up to "before" in an earlier run.
	a0 := newRecorder(t, rdb, "alice")
	if err := a0.MarkRead(ctx, "general", first.ID); err != nil {
		t.Fatal(err)
	}
	// Then, while she is away: 5 pages' worth of bob, one mention, and her
	// own message from another terminal (not unread).
	small := func(o *chat.Options) { o.PageSize = 4 }
	for i := range 20 {
		text := fmt.Sprint("msg ", i)
		if i == 7 {
			text = "hey @alice, look"
		}
		if _, err := bob.BroadcastMessage(ctx, "general", text); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := a0.Join(ctx, "general"); err != nil {
		t.Fatal(err)
	}
	if _, err := a0.BroadcastMessage(ctx, "general", "my own"); err != nil {
		t.Fatal(err)
	}
	a := newRecorder(t, rdb, "alice", small)
	if _, err := a.Join(ctx, "general"); err != nil {
		t.Fatal(err)
	}
	h := history(a, "general")
	if h.ReadID != first.ID || h.Unread != (chat.Unread{Count: 20, Mentions: 1}) {
		t.Fatalf("history: read %s unread %+v, want read %s and 20 unread with 1 mention", h.ReadID, h.Unread, first.ID)
	}
	// An odd marker written by another tool counts as never read.
	if err := rdb.HSet(ctx, chat.DefaultKeys().ReadMarks("dave"), "general", "yesterday").Err(); err != nil {
		t.Fatal(err)
	}
	d := newRecorder(t, rdb, "dave", small)
	if _, err := d.Join(ctx, "general"); err != nil {
		t.Fatalf("join with an odd read marker: %v", err)
	}
	if h := history(d, "general"); h.Unread != (chat.Unread{}) || !h.ReadID.IsZero() {
		t.Fatalf("dave: %+v", h)
	}
	// A user who never read the channel has nothing unread.
	c := newRecorder(t, rdb, "carol", small)
	if _, err := c.Join(ctx, "general"); err != nil {
		t.Fatal(err)
	}
	if h := history(c, "general"); h.Unread != (chat.Unread{}) || !h.ReadID.IsZero() {
		t.Fatalf("carol: %+v", h.Unread)
	}
}

func TestUnreadCountStopsAtTheLimit(t *testing.T) {
	_, rdb := startRedis(t)
	ctx := ctxT(t)
	bob := newRecorder(t, rdb, "bob")
	if _, err := bob.Join(ctx, "big"); err != nil {
		t.Fatal(err)
	}
	first, err := bob.BroadcastMessage(ctx, "big", "start")
	if err != nil {
		t.Fatal(err)
	}
	pipe := rdb.Pipeline()
	for i := range chat.UnreadLimit + 500 {
		pipe.XAdd(ctx, &redis.XAddArgs{Stream: chat.DefaultKeys().Stream("big"), Values: []any{"user", "bob", "text", fmt.Sprint(i)}})
	}
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	a := newRecorder(t, rdb, "alice")
	if err := a.MarkRead(ctx, "big", first.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Join(ctx, "big"); err != nil {
		t.Fatal(err)
	}
	h := history(a, "big")
	if !h.Unread.More || h.Unread.Count != chat.UnreadLimit+200 {
		t.Fatalf("unread %+v, want %d and more", h.Unread, chat.UnreadLimit+200)
	}
}

func TestPresenceExpiresAfterACrash(t *testing.T) {
	srv, rdb := startRedis(t)
	ctx := ctxT(t)
	fast := func(o *chat.Options) { o.PresenceEvery, o.PresenceTTL = 100*time.Millisecond, 600*time.Millisecond }
	alice := newRecorder(t, rdb, "alice", fast)
	if _, err := alice.Join(ctx, "general"); err != nil {
		t.Fatal(err)
	}
	// bob runs two terminals; one of them reaches Redis through a proxy we
	// can cut (a crash: no goodbye).
	proxy := faultproxy.Start(t, srv.Addr)
	viaProxy := redistest.ClientAt(t, proxy.Addr, redistest.NoRetries)
	bob1 := newRecorder(t, viaProxy, "bob", fast)
	if _, err := bob1.Join(ctx, "general"); err != nil {
		t.Fatal(err)
	}
	waitOnline := func(want ...string) {
		t.Helper()
		redistest.Eventually(t, 15*time.Second, fmt.Sprint(want, " online"), func() error {
			who, err := alice.Who(ctx, "general")
			if err == nil && !slices.Equal(who.Online, want) {
				err = fmt.Errorf("online = %v", who.Online)
			}
			return err
		})
	}
	waitOnline("alice", "bob")
	proxy.Down()
	start := time.Now()
	waitOnline("alice")
	if d := time.Since(start); d < 300*time.Millisecond {
		t.Fatalf("bob went offline after %v, before his heartbeat expired", d)
	}
	// A clean exit is offline at once; a second terminal keeps one online.
	bob2 := newRecorder(t, rdb, "bob", func(o *chat.Options) { fast(o); o.PresenceTTL = time.Minute })
	bob3 := newRecorder(t, rdb, "bob", func(o *chat.Options) { fast(o); o.PresenceTTL = time.Minute })
	waitOnline("alice", "bob")
	_ = bob2.Close()
	waitOnline("alice", "bob")
	_ = bob3.Close()
	waitOnline("alice")
}

func TestTypingNoticesAreThrottledAndNotStored(t *testing.T) {
	_, rdb := startRedis(t)
	ctx := ctxT(t)
	alice := newRecorder(t, rdb, "alice")
	bob := newRecorder(t, rdb, "bob")
	for _, c := range []*recorder{alice, bob} {
		if _, err := c.Join(ctx, "general"); err != nil {
			t.Fatal(err)
		}
	}
	typing := func(r *recorder) int {
		r.mu.Lock()
		defer r.mu.Unlock()
		n := 0
		for _, e := range r.evs {
			if ty, ok := e.(chat.TypingEvent); ok && ty == (chat.TypingEvent{Channel: "general", User: "alice"}) {
				n++
			}
		}
		return n
	}
	redistest.WaitSubscribers(t, rdb, chat.DefaultKeys().Topic("general"), 2)
	for range 20 {
		alice.Typing("general")
	}
	bob.waitFor(5*time.Second, "alice typing", func() bool { return bob.hasEvent(func(e chat.Event) bool { _, ok := e.(chat.TypingEvent); return ok }) })
	// A marker to know every earlier live message has arrived.
	if _, err := alice.BroadcastMessage(ctx, "general", "done"); err != nil {
		t.Fatal(err)
	}
	bob.waitCount("general", 1, 5*time.Second)
	if n := typing(bob); n != 1 {
		t.Fatalf("bob got %d typing notices for 20 keystrokes within %v, want 1", n, chat.TypingEvery)
	}
	if n := typing(alice); n != 0 {
		t.Fatalf("alice was told that she is typing (%d)", n)
	}
	if ids := streamIDs(t, rdb, "general"); len(ids) != 1 {
		t.Fatalf("typing notices were stored: %d entries", len(ids))
	}
}

func TestSearchPagesThroughALongStream(t *testing.T) {
	_, rdb := startRedis(t)
	ctx := context.Background()
	c := newRecorder(t, rdb, "alice")
	if _, err := c.Join(ctx, "big"); err != nil {
		t.Fatal(err)
	}
	key := chat.DefaultKeys().Stream("big")
	const total = 12000
	var want []string
	pipe := rdb.Pipeline()
	for i := range total {
		text := fmt.Sprint("filler ", i)
		if i%1000 == 3 {
			text = fmt.Sprintf("the Needle number %d", i)
		}
		pipe.XAdd(ctx, &redis.XAddArgs{Stream: key, ID: fmt.Sprintf("%d-1", i+1), Values: []any{"user", "bob", "text", text}})
	}
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	for i := total - 1; i >= 0; i-- {
		if i%1000 == 3 {
			want = append(want, fmt.Sprintf("%d-1", i+1))
		}
	}
	var got []string
	cursor, calls := chat.ID{}, 0
	for {
		page, err := c.Search(ctx, "big", "NEEDLE", cursor, 5)
		if err != nil {
			t.Fatal(err)
		}
		calls++
		if page.Scanned > chat.SearchScan || len(page.Hits) > 5 {
			t.Fatalf("one call scanned %d entries and returned %d hits", page.Scanned, len(page.Hits))
		}
		for _, h := range page.Hits {
			got = append(got, h.ID.String())
		}
		if page.Done {
			break
		}
		cursor = page.Next
	}
	if !slices.Equal(got, want) {
		t.Fatalf("hits %v, want %v", got, want)
	}
	if calls < total/chat.SearchScan {
		t.Fatalf("%d calls for %d entries: not paged", calls, total)
	}
	first, _ := chat.ParseID(want[0])
	around, err := c.Around(ctx, "big", first, 3)
	if err != nil || len(around) != 7 || around[3].ID != first {
		t.Fatalf("Around = %d messages, %v", len(around), err)
	}
	if _, err := c.Search(ctx, "big", "  ", chat.ID{}, 5); err == nil {
		t.Fatal("an empty query was accepted")
	}
}
