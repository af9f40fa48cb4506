package chat_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rtchat/rtchat/chat"
	"github.com/rtchat/rtchat/internal/chattest"
	"github.com/rtchat/rtchat/internal/redistest"
)

// recorder is a started chat.Client plus everything it delivered.
type recorder struct {
	*chat.Client
	t    testing.TB
	mu   sync.Mutex
	cond *sync.Cond
	msgs map[string][]chat.Message // by channel, history and live alike
	evs  []chat.Event
}

// newRecorder starts a client for user on rdb and records its events until
// the test ends.
func newRecorder(t testing.TB, rdb redis.UniversalClient, user string, tweak ...func(*chat.Options)) *recorder {
	t.Helper()
	c := chattest.Start(t, chat.Options{Redis: rdb, User: user, PingEvery: 500 * time.Millisecond, DeadAfter: 2 * time.Second, MaxBackoff: 500 * time.Millisecond}, tweak...)
	r := &recorder{Client: c, t: t, msgs: map[string][]chat.Message{}}
	r.cond = sync.NewCond(&r.mu)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ev := range c.Events() {
			r.mu.Lock()
			r.evs = append(r.evs, ev)
			switch e := ev.(type) {
			case chat.HistoryEvent:
				r.msgs[e.Channel] = append(r.msgs[e.Channel], e.Messages...)
			case chat.MessageEvent:
				r.msgs[e.Message.Channel] = append(r.msgs[e.Message.Channel], e.Message)
			}
			r.cond.Broadcast()
			r.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = c.Close()
		<-done
	})
	return r
}

// waitFor waits until cond holds on the recorder's state, failing the test
// after timeout.
func (r *recorder) waitFor(timeout time.Duration, what string, cond func() bool) {
	r.t.Helper()
	deadline := time.Now().Add(timeout)
	stop := time.AfterFunc(timeout, func() { r.mu.Lock(); r.cond.Broadcast(); r.mu.Unlock() })
	defer stop.Stop()
	r.mu.Lock()
	defer r.mu.Unlock()
	for !cond() {
		if time.Now().After(deadline) {
			r.t.Fatalf("%s: timed out after %v waiting for %s", r.User(), timeout, what)
		}
		r.cond.Wait()
	}
}

// waitConnected waits until the client's link is up.
func (r *recorder) waitConnected() {
	r.t.Helper()
	r.waitFor(5*time.Second, "connected", func() bool { return r.State().State == chat.StateConnected })
}

// waitCount waits until channel holds n messages.
func (r *recorder) waitCount(channel string, n int, timeout time.Duration) {
	r.t.Helper()
	r.waitFor(timeout, fmt.Sprintf("%d messages in %s", n, channel), func() bool { return len(r.msgs[channel]) >= n })
}

// ids returns the stream ids delivered for channel, in delivery order.
func (r *recorder) ids(channel string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, 0, len(r.msgs[channel]))
	for _, m := range r.msgs[channel] {
		out = append(out, m.ID.String())
	}
	return out
}

// sawEvent reports whether an event matching match arrived.
func (r *recorder) sawEvent(match func(chat.Event) bool) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.hasEvent(match)
}

// countEvents returns how many of the events that arrived match.
func (r *recorder) countEvents(match func(chat.Event) bool) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, e := range r.evs {
		if match(e) {
			n++
		}
	}
	return n
}

// hasEvent is sawEvent for callers that hold r.mu (waitFor conditions).
func (r *recorder) hasEvent(match func(chat.Event) bool) bool {
	for _, e := range r.evs {
		if match(e) {
			return true
		}
	}
	return false
}

// streamIDs returns XRANGE - + of channel's stream.
func streamIDs(t testing.TB, rdb redis.UniversalClient, channel string) []string {
	t.Helper()
	xs, err := rdb.XRange(context.Background(), chat.DefaultKeys().Stream(channel), "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = x.ID
	}
	return out
}

// assertSameIDs fails unless got equals want exactly (same ids, same order).
func assertSameIDs(t testing.TB, who string, got, want []string) {
	t.Helper()
	if diff := redistest.DiffIDs(got, want); diff != "" {
		t.Fatalf("%s %s", who, diff)
	}
}

func startRedis(t testing.TB, opts ...redistest.Option) (*redistest.Server, *redis.Client) {
	t.Helper()
	srv := redistest.Start(t, opts...)
	return srv, srv.Client(t)
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}
