package chat_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rtchat/rtchat/chat"
	"github.com/rtchat/rtchat/internal/embedded"
)

// The embedded server has no Functions: a client's first calls go out
// as FCALL, are refused as an unknown command, and go again as EVALSHA.
// Calls made at once (a window joins every channel it had at start) all
// went out as FCALL before the first answer switched the client, and
// each of them must be made again, not only the first.
func TestCallsMadeAtOnceOnAServerWithoutFunctions(t *testing.T) {
	srv, err := embedded.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	ctx := context.Background()
	seed := redis.NewClient(&redis.Options{Addr: srv.Addr})
	t.Cleanup(func() { _ = seed.Close() })
	writer, err := chat.New(chat.Options{Redis: seed, User: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	if err := writer.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = writer.Close() })
	const channels = 12
	for i := range channels {
		if _, err := writer.Join(ctx, fmt.Sprintf("c%d", i)); err != nil {
			t.Fatal(err)
		}
		if _, err := writer.BroadcastMessage(ctx, fmt.Sprintf("c%d", i), "hello"); err != nil {
			t.Fatal(err)
		}
	}
	for round := range 5 {
		rdb := redis.NewClient(&redis.Options{Addr: srv.Addr, PoolSize: channels})
		c, err := chat.New(chat.Options{Redis: rdb, User: "bob"})
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			for range c.Events() {
			}
		}()
		var wg sync.WaitGroup
		errs := make(chan error, channels)
		for i := range channels {
			wg.Go(func() {
				if _, err := c.Join(ctx, fmt.Sprintf("c%d", i)); err != nil {
					errs <- err
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("round %d: %v", round, err)
		}
		_ = c.Close()
		_ = rdb.Close()
	}
}

// Two clients of one user on an embedded server (a window and "rtchat
// tail"); the server is started anew and the window, which hosts it now,
// registers the user there at once. The other client must still know the
// server for a new one (by Options.InstanceKey: the user's record is back
// already) and take back what it showed as lost, not as made up.
func TestSameUserOnANewEmbeddedServer(t *testing.T) {
	srv, err := embedded.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := srv.Addr
	t.Cleanup(func() { srv.Close() })
	ctx := ctxT(t)
	tweak := func(o *chat.Options) { o.InstanceKey = embedded.MarkerKey }
	rdbA := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
	rdbB := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
	t.Cleanup(func() { _ = rdbA.Close(); _ = rdbB.Close() })
	window := newRecorder(t, rdbA, "bob", tweak)
	tail := newRecorder(t, rdbB, "bob", tweak)
	joinAll(t, ctx, "general", window, tail)
	post(t, window, chat.Draft{Channel: "general", Text: "one"})
	post(t, window, chat.Draft{Channel: "general", Text: "two"})
	tail.waitCount("general", 2, 5*time.Second)

	srv.Close()
	if srv, err = embedded.Start(addr); err != nil {
		t.Fatal(err)
	}
	if err := window.ServerLost(ctx); err != nil {
		t.Fatal(err)
	}
	tail.waitFor(15*time.Second, "a reset and the lost messages taken back", func() bool {
		return tail.hasEvent(func(e chat.Event) bool { _, ok := e.(chat.ResetEvent); return ok }) &&
			tail.hasEvent(func(e chat.Event) bool {
				r, ok := e.(chat.RetractedEvent)
				return ok && r.Lost
			})
	})
	if tail.sawEvent(func(e chat.Event) bool { r, ok := e.(chat.RetractedEvent); return ok && !r.Lost }) {
		t.Fatal("messages lost with the server were called made up")
	}
	window.waitConnected()
	time.Sleep(time.Second) // a second check of the window's own, if any
	// The window registered once, not twice, though both it and its
	// ServerLost could have noticed.
	if resets := window.countEvents(func(e chat.Event) bool { _, ok := e.(chat.ResetEvent); return ok }); resets != 1 {
		t.Fatalf("the window said the server lost its data %d times", resets)
	}
}
