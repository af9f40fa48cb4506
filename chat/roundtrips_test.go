package chat_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
	"github.com/rtchat/rtchat/chat"
	"github.com/rtchat/rtchat/internal/chattest"
	"github.com/rtchat/rtchat/internal/redistest"
)

// counted returns a client of srv whose round trips rt counts, connected
// as rtchat connects (config.RedisOptions: pipelines on the command pool,
// no CLIENT SETINFO or MAINT_NOTIFICATIONS after HELLO).
func counted(t *testing.T, srv *redistest.Server) (*redis.Client, *redistest.RoundTrips) {
	t.Helper()
	rt := &redistest.RoundTrips{}
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr, Password: srv.Password, Dialer: rt.Dial,
		PipelinePoolSize: -1, DisableIdentity: true, MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}})
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb, rt
}

// channelsOf makes n channels (prefix00…) that r joins, each with one
// message of text unless it is empty.
func channelsOf(t *testing.T, r *recorder, prefix string, n int, text string) []string {
	t.Helper()
	ctx := ctxT(t)
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("%s%02d", prefix, i)
		if _, err := r.Join(ctx, names[i]); err != nil {
			t.Fatal(err)
		}
		if text == "" {
			continue
		}
		if _, err := r.BroadcastMessage(ctx, names[i], text); err != nil {
			t.Fatal(err)
		}
	}
	return names
}

// TestRoundTrips: what the headless commands and a window's start cost
// in round trips, so that one more sequential round trip on these paths
// fails here (the bench's "remote" scenario says what they cost in time).
func TestRoundTrips(t *testing.T) {
	// The counts are a real server's: the embedded one runs rtchat's
	// programs as EVAL, which costs a load of its own.
	srv, admin := startRedis(t, redistest.RealOnly())
	ctx := ctxT(t)
	bob := newRecorder(t, admin, "bob")
	names := channelsOf(t, bob, "c", 30, "hi")
	rdb, rt := counted(t, srv)
	c := chattest.New(t, chat.Options{Redis: rdb, User: "alice", Signer: chat.NewSigner(), PageSize: 5})
	if n := rt.Since(func() { _ = rdb.Ping(ctx).Err() }); n != 3 {
		t.Errorf("a first command: %d round trips, want 3 (connect, HELLO, the command)", n)
	}
	check := func(what string, want int64, f func() error) {
		t.Helper()
		var err error
		if n := rt.Since(func() { err = f() }); err != nil || n != want {
			t.Errorf("%s: %d round trips (%v), want %d", what, n, err, want)
		}
	}
	check("send: prepare", 1, func() error { _, err := c.Prepare(ctx, "c00", true); return err })
	check("send", 1, func() error { _, err := c.BroadcastMessage(ctx, "c00", "x"); return err })
	check("tail: the newest messages", 1, func() error { _, _, _, err := c.Newest(ctx, "c00", 20); return err })
	check("channels", 2, func() error { _, err := c.ListChannels(ctx); return err })
	// Joining costs the same for 2 channels or for 20: the first page of
	// each, then one PUBLISH for the new memberships (once, the first
	// time) and the unread counts of the pages older than their marker.
	joinAll := func(names []string) int64 {
		return rt.Since(func() {
			if _, errs := c.JoinAll(ctx, names); len(errs) > 0 {
				t.Fatal(errs)
			}
		})
	}
	two, twenty := joinAll(names[:2]), joinAll(names[2:22])
	if two != twenty || twenty > 2 {
		t.Errorf("joining 2 channels took %d round trips, 20 channels %d; want the same, at most 2", two, twenty)
	}
	// A window's next start: already a member, the marker in the page.
	for _, n := range names[22:] {
		if _, err := bob.Join(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	again, rt2 := counted(t, srv)
	c2 := chattest.New(t, chat.Options{Redis: again, User: "bob", PageSize: 5})
	_ = again.Ping(ctx).Err()
	if n := rt2.Since(func() {
		if _, errs := c2.JoinAll(ctx, names[22:]); len(errs) > 0 {
			t.Fatal(errs)
		}
	}); n != 1 {
		t.Errorf("reopening 8 channels took %d round trips, want 1", n)
	}
}

// TestJoinAll: the channels a window reopens at start, joined at once,
// each with its page, unread count (also when the marker lies before the
// page) and live delivery; a new channel and a direct conversation among
// them too.
func TestJoinAll(t *testing.T) {
	_, rdb := startRedis(t)
	ctx := ctxT(t)
	bob := newRecorder(t, rdb, "bob")
	alice := newRecorder(t, rdb, "alice", func(o *chat.Options) { o.PageSize = 3 })
	alice.waitConnected()
	for _, ch := range []string{"a", "b"} {
		if _, err := bob.Join(ctx, ch); err != nil {
			t.Fatal(err)
		}
		m, err := bob.BroadcastMessage(ctx, ch, "read")
		if err != nil {
			t.Fatal(err)
		}
		if err := alice.MarkRead(ctx, ch, m.ID); err != nil {
			t.Fatal(err)
		}
	}
	// #a: more unread than a page (the marker lies before it), one a
	// mention; #b: one unread.
	for _, text := range []string{"1", "alice: 2", "3", "4", "5"} {
		send := func(ch string) {
			if _, err := bob.BroadcastMessage(ctx, ch, text); err != nil {
				t.Fatal(err)
			}
		}
		send("a")
		if text == "5" {
			send("b")
		}
	}
	want := []string{"a", "b", "new", "@bob"}
	joined, errs := alice.JoinAll(ctx, []string{"a", "b", "new", "@bob", "bad name"})
	if len(errs) != 1 || errs["bad name"] == nil {
		t.Fatalf("errors: %v", errs)
	}
	var got []string
	for _, ch := range joined {
		got = append(got, ch.Name)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("joined %v, want %v", got, want)
	}
	unread := map[string]chat.Unread{}
	alice.waitFor(5*time.Second, "four pages", func() bool {
		for _, e := range alice.evs {
			if h, ok := e.(chat.HistoryEvent); ok {
				unread[h.Channel] = h.Unread
			}
		}
		return len(unread) == 4
	})
	if u := unread["a"]; u.Count != 5 || u.Mentions != 1 {
		t.Errorf("#a unread %+v, want 5 with 1 mention", u)
	}
	if u := unread["b"]; u.Count != 1 {
		t.Errorf("#b unread %+v, want 1", u)
	}
	for _, ch := range want {
		if !alice.Joined(ch) {
			t.Errorf("%s not followed", ch)
		}
		if ch[0] != '@' {
			if _, err := bob.BroadcastMessage(ctx, ch, "live in "+ch); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, ch := range []string{"a", "b", "new"} {
		alice.waitFor(5*time.Second, "live in "+ch, func() bool {
			return slices.ContainsFunc(alice.msgs[ch], func(m chat.Message) bool { return m.Text == "live in "+ch })
		})
	}
	// A window's next start reopens them from what Start read.
	again := newRecorder(t, rdb, "alice")
	if err := again.ChangeSettings(ctx, chat.SetLevel{Conv: "a", Level: chat.LevelAll}); err != nil {
		t.Fatal(err)
	}
	open, err := again.Opening(ctx) // read at Start: before the level
	if err != nil || !slices.Equal(open.Channels, []string{"@bob", "a", "b", "new"}) || open.Settings.Level("a") != chat.LevelMentions {
		t.Fatalf("Opening = %+v, %v", open, err)
	}
	if mine, err := again.MyChannels(ctx); err != nil || !slices.Equal(mine, open.Channels) {
		t.Fatalf("MyChannels = %v, %v; Opening said %v", mine, err, open.Channels)
	}
	if open, err := again.Opening(ctx); err != nil || open.Settings.Level("a") != chat.LevelAll {
		t.Fatalf("Opening again = %+v, %v: not read afresh", open, err)
	}
}

// TestReconnectCatchesUpTogether: after the Pub/Sub link drops, the
// channels it carries are caught up together once their subscriptions
// are confirmed — a few round trips for 20 channels, not two each.
func TestReconnectCatchesUpTogether(t *testing.T) {
	srv, admin := startRedis(t, redistest.RealOnly()) // CLIENT KILL, which the embedded server lacks
	ctx := ctxT(t)
	bob := newRecorder(t, admin, "bob")
	names := channelsOf(t, bob, "r", 20, "")
	rdb, rt := counted(t, srv)
	alice := newRecorder(t, rdb, "alice")
	alice.waitConnected()
	if _, errs := alice.JoinAll(ctx, names); len(errs) > 0 {
		t.Fatal(errs)
	}
	redistest.WaitSubscribers(t, admin, chat.DefaultKeys().Stream(names[len(names)-1]), 1)
	// The joins' own echoes (each channel's "members changed") settle.
	for last := int64(-1); rt.Count() != last; time.Sleep(300 * time.Millisecond) {
		last = rt.Count()
	}
	n := rt.Since(func() {
		if err := admin.ClientKillByFilter(ctx, "TYPE", "pubsub").Err(); err != nil {
			t.Fatal(err)
		}
		for i, ch := range names {
			if _, err := bob.BroadcastMessage(ctx, ch, fmt.Sprintf("missed %d", i)); err != nil {
				t.Fatal(err)
			}
		}
		alice.waitFor(10*time.Second, "every missed message", func() bool {
			got := 0
			for _, ch := range names {
				got += len(alice.msgs[ch])
			}
			return got == len(names)
		})
	})
	// The new Pub/Sub connection (connect, HELLO, SUBSCRIBE), the check
	// for a wiped server, the catch-up, and what the watcher and the
	// presence heartbeat may do meanwhile: one catch-up a channel would
	// be 40 more.
	if n > 12 {
		t.Errorf("the reconnect took %d round trips for %d channels", n, len(names))
	}
}
