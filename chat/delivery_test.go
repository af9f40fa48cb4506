package chat_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rtchat/rtchat/chat"
	"github.com/rtchat/rtchat/internal/chattest"
	"github.com/rtchat/rtchat/internal/faultproxy"
	"github.com/rtchat/rtchat/internal/redistest"
)

// produce sends n messages per producer from several producers concurrently,
// each on its own connection.
func produce(t *testing.T, ctx context.Context, opts *redis.Options, channel string, producers, n int, pause time.Duration) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, producers)
	for p := range producers {
		rdb := redis.NewClient(opts)
		t.Cleanup(func() { _ = rdb.Close() })
		c := chattest.New(t, chat.Options{Redis: rdb, User: fmt.Sprintf("producer%d", p)})
		wg.Go(func() {
			for i := range n {
				if _, err := c.BroadcastMessage(ctx, channel, fmt.Sprintf("p%d-%d", p, i)); err != nil {
					errs <- err
					return
				}
				time.Sleep(pause)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func joinAll(t *testing.T, ctx context.Context, channel string, rs ...*recorder) {
	t.Helper()
	for _, r := range rs {
		if _, err := r.Join(ctx, channel); err != nil {
			t.Fatal(err)
		}
	}
}

func TestConcurrentProducersAndConsumersSeeTheStream(t *testing.T) {
	srv, rdb := startRedis(t)
	ctx := ctxT(t)
	var consumers []*recorder
	for i := range 4 {
		// Each consumer on its own connection pool.
		consumers = append(consumers, newRecorder(t, srv.Client(t), fmt.Sprintf("c%d", i)))
	}
	joinAll(t, ctx, "general", consumers...)
	produce(t, ctx, srv.Options(), "general", 4, 100, 0)
	want := streamIDs(t, rdb, "general")
	if len(want) != 400 {
		t.Fatalf("stream holds %d entries, want 400", len(want))
	}
	for _, c := range consumers {
		c.waitCount("general", 400, 20*time.Second)
		assertSameIDs(t, c.User(), c.ids("general"), want)
	}
}

func TestKilledSubscriptionCatchesUp(t *testing.T) {
	srv, rdb := startRedis(t, redistest.RealOnly())
	ctx := ctxT(t)
	a, b := newRecorder(t, srv.Client(t), "alice"), newRecorder(t, srv.Client(t), "bob")
	joinAll(t, ctx, "general", a, b)
	done := make(chan struct{})
	go func() {
		defer close(done)
		produce(t, ctx, srv.Options(), "general", 2, 150, 2*time.Millisecond)
	}()
	// Kill every Pub/Sub connection a few times while messages flow.
	for range 3 {
		time.Sleep(100 * time.Millisecond)
		if err := rdb.Do(ctx, "CLIENT", "KILL", "TYPE", "pubsub").Err(); err != nil {
			t.Fatal(err)
		}
	}
	<-done
	want := streamIDs(t, rdb, "general")
	for _, r := range []*recorder{a, b} {
		r.waitCount("general", len(want), 20*time.Second)
		assertSameIDs(t, r.User(), r.ids("general"), want)
	}
	if !a.sawEvent(func(e chat.Event) bool { s, ok := e.(chat.StateEvent); return ok && s.State == chat.StateReconnecting }) {
		t.Fatal("alice never reported reconnecting")
	}
	if a.sawEvent(func(e chat.Event) bool { _, ok := e.(chat.TruncatedEvent); return ok }) {
		t.Fatal("a reconnect without trimming reported truncated history")
	}
}

func TestLostReplyStoresOnce(t *testing.T) {
	srv, rdb := startRedis(t, redistest.RealOnly())
	ctx := ctxT(t)
	proxy := faultproxy.Start(t, srv.Addr)
	viaProxy := redistest.ClientAt(t, proxy.Addr)
	c := chattest.New(t, chat.Options{Redis: viaProxy, User: "alice"})
	if _, _, err := c.CreateChannel(ctx, "general", ""); err != nil {
		t.Fatal(err)
	}
	// Load the function library so the faulted request is the send itself.
	if _, err := c.BroadcastMessage(ctx, "general", "warm-up"); err != nil {
		t.Fatal(err)
	}
	proxy.CutReplyTo("_send\r\n") // the send function's name
	sent, err := c.BroadcastMessage(ctx, "general", "once")
	if err != nil {
		t.Fatalf("send with a lost reply failed: %v", err)
	}
	if proxy.Armed() {
		t.Fatal("the fault never fired")
	}
	if !sent.Duplicate {
		t.Fatalf("the retry was not recognised as a duplicate: %+v", sent)
	}
	xs := rdb.XRange(ctx, chat.DefaultKeys().Stream("general"), "-", "+").Val()
	if len(xs) != 2 || xs[1].ID != sent.ID.String() || xs[1].Values["text"] != "once" {
		t.Fatalf("stream holds %v, want warm-up and one 'once' with id %s", xs, sent.ID)
	}
}

func TestWatchdogReplacesFrozenSubscription(t *testing.T) {
	srv, rdb := startRedis(t, redistest.RealOnly())
	ctx := ctxT(t)
	proxy := faultproxy.Start(t, srv.Addr)
	viaProxy := redistest.ClientAt(t, proxy.Addr)
	// Production watchdog timings: it gives up after 8 s without an answer
	// (the bound below leaves room for a loaded machine).
	r := newRecorder(t, viaProxy, "alice", func(o *chat.Options) { o.PingEvery, o.DeadAfter = 0, 0 })
	joinAll(t, ctx, "general", r)
	r.waitFor(5*time.Second, "connected", func() bool { return r.State().State == chat.StateConnected })
	proxy.Freeze()
	frozen := time.Now()
	writer := chattest.New(t, chat.Options{Redis: rdb, User: "bob"})
	for i := range 5 {
		if _, err := writer.BroadcastMessage(ctx, "general", fmt.Sprint("during freeze ", i)); err != nil {
			t.Fatal(err)
		}
	}
	r.waitFor(20*time.Second, "the watchdog to notice the frozen link", func() bool {
		return r.hasEvent(func(e chat.Event) bool { s, ok := e.(chat.StateEvent); return ok && s.State == chat.StateReconnecting })
	})
	t.Logf("the watchdog noticed the frozen link after %v", time.Since(frozen).Round(time.Millisecond))
	// Catching up may first wait out go-redis's read timeout on pooled
	// connections that are frozen too.
	r.waitCount("general", 5, 20*time.Second)
	assertSameIDs(t, "alice", r.ids("general"), streamIDs(t, rdb, "general"))
}

func TestOutboxSurvivesRedisRestart(t *testing.T) {
	srv, rdb := startRedis(t, redistest.RealOnly(), redistest.WithAOF())
	ctx := ctxT(t)
	r := newRecorder(t, srv.Client(t), "alice")
	joinAll(t, ctx, "general", r)
	srv.Kill()
	var mids []string
	for i := range 3 {
		mid, err := r.Send(chat.Draft{Channel: "general", Text: fmt.Sprint("offline ", i)})
		if err != nil {
			t.Fatal(err)
		}
		mids = append(mids, mid)
	}
	r.waitFor(10*time.Second, "a pending send", func() bool {
		return r.hasEvent(func(e chat.Event) bool { s, ok := e.(chat.SendEvent); return ok && s.Pending })
	})
	srv.Restart()
	r.waitCount("general", 3, 20*time.Second)
	got := streamIDs(t, rdb, "general")
	assertSameIDs(t, "alice", r.ids("general"), got)
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, m := range r.msgs["general"] {
		if m.MsgID != mids[i] || m.Text != fmt.Sprint("offline ", i) {
			t.Fatalf("message %d = %+v, want mid %s in order", i, m, mids[i])
		}
	}
}

func TestSlowClientDroppedByOutputBufferLimitLosesNothing(t *testing.T) {
	srv, rdb := startRedis(t, redistest.RealOnly())
	ctx := ctxT(t)
	if err := rdb.ConfigSet(ctx, "client-output-buffer-limit", "pubsub 65536 16384 1").Err(); err != nil {
		t.Fatal(err)
	}
	slow := chattest.Start(t, chat.Options{Redis: srv.Client(t), User: "slow", MaxBackoff: 200 * time.Millisecond})
	if _, err := slow.Join(ctx, "flood"); err != nil {
		t.Fatal(err)
	}
	// (Join does not wait for the subscription; the flood must meet it.)
	redistest.WaitSubscribers(t, rdb, chat.DefaultKeys().Topic("flood"), 1)
	// Nobody reads slow's events while 22 MB are published: its receive
	// loop stalls, Redis's output buffer for it overflows, Redis drops it.
	writer := chattest.New(t, chat.Options{Redis: rdb, User: "writer"})
	text := strings.Repeat("x", 1500)
	for i := range 15000 {
		if _, err := writer.BroadcastMessage(ctx, "flood", fmt.Sprint(i, text)); err != nil {
			t.Fatal(err)
		}
	}
	want := streamIDs(t, rdb, "flood")
	var got []string
	reconnected := false
	deadline := time.After(30 * time.Second)
	for len(got) < len(want) {
		select {
		case ev := <-slow.Events():
			switch e := ev.(type) {
			case chat.HistoryEvent:
				for _, m := range e.Messages {
					got = append(got, m.ID.String())
				}
			case chat.MessageEvent:
				got = append(got, e.Message.ID.String())
			case chat.StateEvent:
				reconnected = reconnected || e.State == chat.StateReconnecting
			}
		case <-deadline:
			t.Fatalf("slow client got %d of %d messages", len(got), len(want))
		}
	}
	assertSameIDs(t, "slow", got, want)
	// The drop may be noticed after the last message (a read of the stream
	// can bring them all first): wait for it a little.
	for wait := time.After(10 * time.Second); !reconnected; {
		select {
		case ev := <-slow.Events():
			if e, ok := ev.(chat.StateEvent); ok && e.State == chat.StateReconnecting {
				reconnected = true
			}
		case <-wait:
			t.Fatal("Redis never dropped the slow client; the test did not test the limit")
		}
	}
}

func TestTrimmedHistoryIsReported(t *testing.T) {
	srv, rdb := startRedis(t, redistest.RealOnly())
	ctx := ctxT(t)
	proxy := faultproxy.Start(t, srv.Addr)
	viaProxy := redistest.ClientAt(t, proxy.Addr)
	r := newRecorder(t, viaProxy, "alice")
	joinAll(t, ctx, "general", r)
	writer := chattest.New(t, chat.Options{Redis: rdb, User: "bob", MaxLen: 10})
	if _, err := writer.BroadcastMessage(ctx, "general", "seen"); err != nil {
		t.Fatal(err)
	}
	r.waitCount("general", 1, 5*time.Second)
	// alice is cut off while 500 messages arrive and all but ~10 are trimmed.
	proxy.Down()
	for i := range 500 {
		if _, err := writer.ProduceMessage(ctx, "general", fmt.Sprint(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := rdb.XTrimMaxLen(ctx, chat.DefaultKeys().Stream("general"), 10).Err(); err != nil {
		t.Fatal(err)
	}
	proxy.Up()
	r.waitFor(15*time.Second, "a history-truncated event", func() bool {
		return r.hasEvent(func(e chat.Event) bool { tr, ok := e.(chat.TruncatedEvent); return ok && tr.Channel == "general" })
	})
	// What is still in the stream arrives, once.
	want := streamIDs(t, rdb, "general")
	r.waitFor(10*time.Second, "the stream's tail", func() bool {
		ids := r.msgs["general"]
		return len(ids) > 0 && ids[len(ids)-1].ID.String() == want[len(want)-1]
	})
}

func TestEntriesFromOtherToolsArriveInOrder(t *testing.T) {
	_, rdb := startRedis(t)
	ctx := ctxT(t)
	r := newRecorder(t, rdb, "alice")
	joinAll(t, ctx, "general", r)
	r.waitFor(5*time.Second, "connected", func() bool { return r.State().State == chat.StateConnected })
	writer := chattest.New(t, chat.Options{Redis: rdb, User: "bob"})
	key := chat.DefaultKeys().Stream("general")
	if _, err := writer.BroadcastMessage(ctx, "general", "one"); err != nil {
		t.Fatal(err)
	}
	// Another tool appends without publishing; the next live message
	// reveals the gap and the client reads it from the stream.
	redistest.XAdd(t, rdb, key, "user", "script", "text", "two")
	if _, err := writer.BroadcastMessage(ctx, "general", "three"); err != nil {
		t.Fatal(err)
	}
	r.waitCount("general", 3, 5*time.Second)
	assertSameIDs(t, "alice", r.ids("general"), streamIDs(t, rdb, "general"))
	// On a quiet channel, such an entry shows up within a few seconds.
	redistest.XAdd(t, rdb, key, "user", "script", "text", "four")
	r.waitCount("general", 4, 10*time.Second)
	assertSameIDs(t, "alice", r.ids("general"), streamIDs(t, rdb, "general"))
}

// TestRetriedSendsStoredOnce pins the retry guarantee without per-message
// records: a send whose reply is lost after Redis ran it is tried again,
// finds its own entry, and is stored once — from a client that knows
// nothing of the channel yet (the search goes by the server's clock), and
// through the outbox of a client that follows the channel, across the
// reconnect the lost reply causes.
func TestRetriedSendsStoredOnce(t *testing.T) {
	srv, rdb := startRedis(t, redistest.RealOnly())
	ctx := ctxT(t)
	other := chattest.New(t, chat.Options{Redis: rdb, User: "bob"})
	if _, err := other.Broadcast(ctx, chat.Draft{Channel: "general", Text: "warm-up"}); err == nil {
		t.Fatal("sent to a channel that does not exist")
	}
	if _, _, err := other.CreateChannel(ctx, "general", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := other.BroadcastMessage(ctx, "general", "warm-up"); err != nil { // the library is loaded
		t.Fatal(err)
	}
	proxy := faultproxy.Start(t, srv.Addr)
	viaProxy := redistest.ClientAt(t, proxy.Addr)

	fresh := chattest.New(t, chat.Options{Redis: viaProxy, User: "alice"})
	proxy.CutReplyTo("_send\r\n") // the send function's name
	sent, err := fresh.BroadcastMessage(ctx, "general", "once from a fresh client")
	if err != nil || !sent.Duplicate || proxy.Armed() {
		t.Fatalf("send with a lost reply: %+v, %v (fault fired: %v)", sent, err, !proxy.Armed())
	}

	r := newRecorder(t, viaProxy, "carol")
	joinAll(t, ctx, "general", r)
	r.waitConnected()
	proxy.CutReplyTo("_send\r\n") // the send function's name
	mid, err := r.Send(chat.Draft{Channel: "general", Text: "once through the outbox"})
	if err != nil {
		t.Fatal(err)
	}
	r.waitFor(20*time.Second, "the send to be stored", func() bool {
		return r.hasEvent(func(e chat.Event) bool { s, ok := e.(chat.SendEvent); return ok && s.MsgID == mid && !s.ID.IsZero() })
	})
	if proxy.Armed() {
		t.Fatal("the outbox's send never met the fault")
	}
	xs := rdb.XRange(ctx, chat.DefaultKeys().Stream("general"), "-", "+").Val()
	count := map[string]int{}
	for _, x := range xs {
		count[x.Values["text"].(string)]++
	}
	if count["once from a fresh client"] != 1 || count["once through the outbox"] != 1 || len(xs) != 3 {
		t.Fatalf("the stream holds %v", count)
	}
	r.waitCount("general", 3, 10*time.Second)
	assertSameIDs(t, "carol", r.ids("general"), streamIDs(t, rdb, "general"))
}

// BroadcastAll stores many drafts in one pipeline, in order; when the
// pipeline's replies are lost (the link cut after Redis ran it), each is
// tried again on its own and found, so every draft is stored once, in
// order.
func TestBroadcastAllStoresOnceInOrder(t *testing.T) {
	srv, rdb := startRedis(t, redistest.RealOnly())
	ctx := ctxT(t)
	proxy := faultproxy.Start(t, srv.Addr)
	viaProxy := redistest.ClientAt(t, proxy.Addr)
	c := chattest.New(t, chat.Options{Redis: viaProxy, User: "alice"})
	if _, _, err := c.CreateChannel(ctx, "general", ""); err != nil {
		t.Fatal(err)
	}
	batch := func(from, n int) []chat.Draft {
		var ds []chat.Draft
		for i := range n {
			ds = append(ds, chat.Draft{Channel: "general", Text: fmt.Sprint("line ", from+i)})
		}
		return ds
	}
	// The first batch also loads the function library (the pipeline's
	// sends fail with "Function not found" and are made again).
	sent, err := c.BroadcastAll(ctx, batch(0, 100))
	if err != nil || len(sent) != 100 {
		t.Fatalf("first batch: %d sent, %v", len(sent), err)
	}
	proxy.CutReplyTo("_send\r\n")
	sent, err = c.BroadcastAll(ctx, batch(100, 200))
	if err != nil || len(sent) != 200 {
		t.Fatalf("batch with lost replies: %d sent, %v", len(sent), err)
	}
	if proxy.Armed() {
		t.Fatal("the fault never fired")
	}
	xs := rdb.XRange(ctx, chat.DefaultKeys().Stream("general"), "-", "+").Val()
	if len(xs) != 300 {
		t.Fatalf("the stream holds %d entries, want 300", len(xs))
	}
	for i, x := range xs {
		if x.Values["text"] != fmt.Sprint("line ", i) {
			t.Fatalf("entry %d is %q", i, x.Values["text"])
		}
		if i >= 100 && sent[i-100].ID.String() != x.ID {
			t.Fatalf("line %d was reported as %s, stored as %s", i, sent[i-100].ID, x.ID)
		}
	}
}
