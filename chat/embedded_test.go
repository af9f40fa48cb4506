package chat_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

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
