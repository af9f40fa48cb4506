package ui_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/rtchat/rtchat/internal/chattest"
	"github.com/rtchat/rtchat/internal/faultproxy"
	"github.com/rtchat/rtchat/internal/redistest"
	"github.com/rtchat/rtchat/ui"
)

// TestFiftyOneChannelsBehindASlowNetwork: a window whose Redis is a
// round trip of 40 ms away follows all of alice's 51 channels — each
// live, and each counting what came before the window opened (how fast
// is the bench's "remote" scenario to say).
func TestFiftyOneChannelsBehindASlowNetwork(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	ctx := context.Background()
	bob := startClient(t, rdb, "bob")
	chattest.Drain(bob)
	alice := startClient(t, rdb, "alice")
	chattest.Drain(alice)
	names := make([]string, 51)
	for i := range names {
		names[i] = fmt.Sprintf("ch%02d", i)
		if _, err := alice.Join(ctx, names[i]); err != nil {
			t.Fatal(err)
		}
		first, err := bob.BroadcastMessage(ctx, names[i], "hello")
		if err != nil {
			t.Fatal(err)
		}
		if err := alice.MarkRead(ctx, names[i], first.ID); err != nil {
			t.Fatal(err)
		}
	}
	_ = alice.Close()
	// Sent while alice's window is closed: unread, one a mention.
	send(t, bob, "ch50", "alice: are you there?")
	send(t, bob, "ch25", "news")

	proxy := faultproxy.Start(t, srv.Addr)
	proxy.SetDelay(20 * time.Millisecond)
	slow := redistest.ClientAt(t, proxy.Addr)
	w := openWindowSized(t, 100, 60, slow, "alice", ui.Options{})
	w.waitList(t, "ch50", "@1 1")
	w.waitList(t, "ch25", "1")
	// Every channel is live: a message in each reaches its count.
	for _, n := range names[1:50] {
		send(t, bob, n, "live")
	}
	for _, n := range names[1:50] {
		want := "1"
		if n == "ch25" {
			want = "2"
		}
		w.waitList(t, n, want)
	}
}
