// Package chattest makes and starts chat clients for tests and closes them
// when the test ends. It is for the packages that test chat from outside
// (chat_test, ui, cmd/rtchat); chat's own internal tests cannot import it.
package chattest

import (
	"context"
	"testing"

	"github.com/rtchat/rtchat/chat"
)

// New makes a client with opts, closed when the test ends; it fails the
// test if chat.New refuses opts.
func New(t testing.TB, opts chat.Options) *chat.Client {
	t.Helper()
	c, err := chat.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// Start makes a client with opts, changed by each tweak in turn, and starts
// it; it is stopped and closed when the test ends. Its events must be read
// (Drain, or the test's own loop) or it stalls.
func Start(t testing.TB, opts chat.Options, tweak ...func(*chat.Options)) *chat.Client {
	t.Helper()
	for _, f := range tweak {
		f(&opts)
	}
	c, err := chat.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := c.Start(ctx); err != nil {
		cancel()
		_ = c.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); _ = c.Close() })
	return c
}

// Drain reads c's events until c is closed, so that it never stalls.
func Drain(c *chat.Client) {
	go func() {
		for range c.Events() {
		}
	}()
}
