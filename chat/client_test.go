package chat_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/rtchat/rtchat/chat"
	"github.com/rtchat/rtchat/internal/redistest"
)

func TestCloseWhileJoining(t *testing.T) {
	_, rdb := startRedis(t)
	for range 20 {
		c, err := chat.New(chat.Options{Redis: rdb, User: "closer"})
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			// Nobody reads Events: the join's history blocks until Close.
			_, _ = c.Join(context.Background(), "general")
		}()
		_ = c.Close()
		<-done
	}
}

// TestCloseIsQuick: Close interrupts the subscription's read and the
// watcher's blocking read instead of waiting for their timeouts.
func TestCloseIsQuick(t *testing.T) {
	_, rdb := startRedis(t)
	ctx := ctxT(t)
	c, err := chat.New(chat.Options{Redis: rdb, User: "closer"})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	go func() {
		for range c.Events() {
		}
	}()
	if _, err := c.Join(ctx, "general"); err != nil {
		t.Fatal(err)
	}
	redistest.Eventually(t, 5*time.Second, "connected", func() error {
		if s := c.State(); s.State != chat.StateConnected {
			return fmt.Errorf("state %+v", s)
		}
		return nil
	})
	time.Sleep(300 * time.Millisecond) // the watcher is in its blocking read
	start := time.Now()
	_ = c.Close()
	// A generous bound: the reads it interrupts wait seconds otherwise.
	if d := time.Since(start); d > 500*time.Millisecond {
		t.Fatalf("Close took %v", d)
	}
}
