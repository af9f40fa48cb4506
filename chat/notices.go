package chat

import (
	"context"
	"sync"
	"time"
)

// noticeEvery is the least time between two runs of the work one notice
// asks for: a flood of "members:general" notices (any account may publish
// them) costs each client one read of the members per noticeEvery, not
// one per notice.
const noticeEvery = 100 * time.Millisecond

// maxNotices is how many different notices may wait; more are dropped
// (each is a hint: the next one, or the next catch-up, brings it again).
const maxNotices = 1024

// notices is the client's part that does, off the receive loop, the Redis
// reads that notices on the live topics ask for: the members of a
// channel, the settings, the private channels, someone's away state, a
// direct conversation someone opened. The receive loop only queues; one
// worker runs the work in order. A notice that repeats one still waiting
// merges into it, and the same work runs at most once per noticeEvery.
//
// mu guards waiting, order and last; it is never held with another lock
// nor across a Redis call.
type notices struct {
	mu      sync.Mutex
	waiting map[string]func(context.Context) // by key
	order   []string                         // keys, first come first
	last    map[string]time.Time             // when a key's work last ran
	wake    chan struct{}
	logf    func(msg string, args ...any)
}

func newNotices(logf func(string, ...any)) *notices {
	return &notices{waiting: map[string]func(context.Context){}, last: map[string]time.Time{}, wake: make(chan struct{}, 1), logf: logf}
}

// add queues work under key unless work of that key waits already (the
// waiting one does it). It never blocks.
func (n *notices) add(key string, work func(context.Context)) {
	n.mu.Lock()
	switch _, dup := n.waiting[key]; {
	case dup:
	case len(n.order) >= maxNotices:
		n.logf("dropped a notice: too many waiting", "key", key)
	default:
		n.waiting[key] = work
		n.order = append(n.order, key)
	}
	n.mu.Unlock()
	select {
	case n.wake <- struct{}{}:
	default:
	}
}

// next takes the first waiting work, and when its key ran less than
// noticeEvery ago, how long to wait first.
func (n *notices) next(now time.Time) (work func(context.Context), wait time.Duration, ok bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if len(n.order) == 0 {
		return nil, 0, false
	}
	key := n.order[0]
	n.order = n.order[1:]
	work = n.waiting[key]
	delete(n.waiting, key)
	if t, ran := n.last[key]; ran {
		wait = t.Add(noticeEvery).Sub(now)
	}
	for k, t := range n.last {
		if now.Sub(t) > noticeEvery {
			delete(n.last, k)
		}
	}
	n.last[key] = now.Add(max(wait, 0))
	return work, wait, true
}

// loop runs the queued work until ctx ends.
func (n *notices) loop(ctx context.Context) {
	for {
		work, wait, ok := n.next(time.Now())
		if !ok {
			select {
			case <-ctx.Done():
				return
			case <-n.wake:
			}
			continue
		}
		if wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
		}
		work(ctx)
	}
}
