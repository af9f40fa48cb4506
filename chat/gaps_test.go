package chat_test

import (
	"testing"
	"time"

	"github.com/rtchat/rtchat/chat"
	"github.com/rtchat/rtchat/internal/chattest"
	"github.com/rtchat/rtchat/internal/redistest"
)

// TestHealthyLinkReadsNoGaps: on a healthy link every live entry follows
// the last one shown, so the client never reads the stream to fill a gap
// (a misfiring gap check would double the latency of every message).
func TestHealthyLinkReadsNoGaps(t *testing.T) {
	srv, rdb := startRedis(t, redistest.RealOnly())
	ctx := ctxT(t)
	r := newRecorder(t, srv.Client(t), "alice", func(o *chat.Options) { o.PingEvery, o.DeadAfter = time.Minute, 2*time.Minute })
	joinAll(t, ctx, "general", r)
	r.waitFor(5*time.Second, "connected", func() bool { return r.State().State == chat.StateConnected })
	w := chattest.New(t, chat.Options{Redis: rdb, User: "bob"})
	// Once a live message arrives, the subscription's catch-up is done.
	if _, err := w.BroadcastMessage(ctx, "general", "warm-up"); err != nil {
		t.Fatal(err)
	}
	r.waitCount("general", 1, 5*time.Second)
	if err := rdb.ConfigResetStat(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	for range 100 {
		if _, err := w.BroadcastMessage(ctx, "general", "x"); err != nil {
			t.Fatal(err)
		}
	}
	r.waitCount("general", 101, 5*time.Second)
	if n := srv.CommandCalls(t, "xrange"); n != 0 {
		t.Fatalf("the client read the stream %d times on a healthy link", n)
	}
}
