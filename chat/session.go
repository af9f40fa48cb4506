package chat

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/redis/go-redis/v9"
)

// errDeadLink is why the watchdog replaces a subscription.
var errDeadLink = errors.New("subscription silent past the watchdog deadline")

// session runs one Pub/Sub connection of link l until it fails: it
// subscribes to everything l carries, then hands each message to dispatch
// while a watchdog guards against a connection that went silent. Ending
// ctx closes the connection at once, so Close never waits for a read.
func (fd *feed) session(ctx context.Context, l *link, attempt *int) error {
	ps, err := fd.subscribe(ctx, l)
	if err != nil {
		return err
	}
	defer fd.endSession(l, ps)
	stop := context.AfterFunc(ctx, func() { _ = ps.Close() })
	defer stop()
	wd := newWatchdog(fd.c.opts.PingEvery, fd.c.opts.DeadAfter)
	for {
		msg, err := ps.ReceiveTimeout(ctx, wd.tick())
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err := fd.readDue(ctx); err != nil {
			return err
		}
		if err != nil {
			if redis.HasErrorPrefix(err, "NOPERM") && !fd.syncPrivate(ctx) {
				// Not a private channel the user just left: the
				// account's rules are not rtchat's.
				return fmt.Errorf("Redis refused a subscription (%w); ask an admin to run 'rtchat admin user renew' for your account", CleanRedisError(err))
			}
			if !isTimeout(err) {
				return err
			}
			if err := wd.quiet(ctx, ps); err != nil {
				if !l.sharded() {
					fd.stalled(ctx, err)
				}
				return err
			}
			if !l.sharded() && wd.overdue() {
				fd.stalled(ctx, errNoAnswer)
			}
			continue
		}
		if wd.heard() && !l.sharded() {
			fd.recovered(ctx)
		}
		if err := fd.dispatch(ctx, l, msg, attempt); err != nil {
			return err
		}
	}
}

// subscribe opens a subscription for l with every topic it carries.
func (fd *feed) subscribe(ctx context.Context, l *link) (*redis.PubSub, error) {
	ps := l.open(ctx, fd.c.rdb)
	// The topics are read under the same lock that makes ps the link's:
	// a channel carried before is in them, one carried after subscribes
	// on ps itself (carry), so none falls between.
	fd.mu.Lock()
	topics := fd.topicsOf(l)
	l.ps = ps
	l.awaiting, l.confirmed = map[string]bool{}, nil
	for _, t := range topics {
		if name, ok := fd.c.hist.convOfTopic(t); ok {
			l.await(name)
		}
	}
	fd.mu.Unlock()
	if err := l.subscribe(ctx, ps, topics...); err != nil {
		fd.endSession(l, ps)
		return nil, fmt.Errorf("subscribe: %w", err)
	}
	if len(l.patterns) > 0 {
		if err := ps.PSubscribe(ctx, l.patterns...); err != nil {
			fd.endSession(l, ps)
			return nil, fmt.Errorf("subscribe: %w", err)
		}
	}
	return ps, nil
}

// endSession forgets and closes a subscription.
func (fd *feed) endSession(l *link, ps *redis.PubSub) {
	fd.mu.Lock()
	if l.ps == ps {
		l.ps = nil
	}
	fd.mu.Unlock()
	_ = ps.Close()
}

// errNoAnswer says the watchdog's PING went unanswered for a while.
var errNoAnswer = errors.New("no answer from Redis")

// watchdog notices a subscription that went silent: after pingEvery of
// silence it PINGs, and after deadAfter without any reply it gives up on
// the connection (go-redis alone would not notice a dead peer for
// minutes; docs/DESIGN.md, "Watchdog").
type watchdog struct {
	pingEvery, deadAfter time.Duration
	last                 time.Time
	pinged               bool
}

func newWatchdog(pingEvery, deadAfter time.Duration) *watchdog {
	return &watchdog{pingEvery: pingEvery, deadAfter: deadAfter, last: time.Now()}
}

// tick is how long one receive may wait.
func (w *watchdog) tick() time.Duration { return min(w.pingEvery, time.Second) }

// heard records that something arrived; it reports whether a PING was
// waiting for an answer.
func (w *watchdog) heard() bool {
	was := w.pinged
	w.last, w.pinged = time.Now(), false
	return was
}

// quiet handles a receive that timed out: it PINGs once the link was
// silent for pingEvery and fails it after deadAfter.
func (w *watchdog) quiet(ctx context.Context, ps *redis.PubSub) error {
	silent := time.Since(w.last)
	if silent >= w.deadAfter {
		return errDeadLink
	}
	if silent >= w.pingEvery && !w.pinged {
		w.pinged = true
		if err := ps.Ping(ctx); err != nil {
			return fmt.Errorf("ping subscription: %w", err)
		}
	}
	return nil
}

// overdue reports whether the PING's answer is late (more than a second
// past what a healthy server needs), so the link cannot be called up.
func (w *watchdog) overdue() bool {
	return w.pinged && time.Since(w.last) >= w.pingEvery+time.Second
}

// dispatch handles one message of a subscription: a (re)subscription
// confirmation catches its channel up from the stream; a live message is
// delivered.
func (fd *feed) dispatch(ctx context.Context, l *link, msg any, attempt *int) error {
	switch m := msg.(type) {
	case *redis.Subscription:
		return fd.subscribed(ctx, l, m, attempt)
	case *redis.Message:
		return fd.handleLive(ctx, m)
	}
	return nil
}

// subscribed handles a subscription confirmation.
func (fd *feed) subscribed(ctx context.Context, l *link, m *redis.Subscription, attempt *int) error {
	switch m.Kind {
	case "subscribe", "ssubscribe":
	case "psubscribe":
		// The user's direct conversations: catch up every one followed.
		if m.Channel == l.patterns[0] {
			return fd.catchUpDMs(ctx)
		}
		return nil
	case "sunsubscribe":
		// The server drops a shard channel whose slot moved.
		if name, ok := fd.c.hist.convOfTopic(m.Channel); ok && fd.carries(l, name) {
			return errSlotMoved
		}
		return nil
	default:
		return nil
	}
	if !l.sharded() && m.Channel == l.own[0] {
		// The plain link's first confirmation: the link is up.
		*attempt = 0
		if err := fd.checkWiped(ctx); err != nil {
			return err
		}
		fd.setState(ctx, StateEvent{State: StateConnected})
		fd.c.emit(ctx, ChannelsChangedEvent{})
		return nil
	}
	if name, ok := fd.c.hist.convOfTopic(m.Channel); ok {
		fd.mu.Lock()
		due := l.confirm(name)
		fd.mu.Unlock()
		return fd.catchUpAll(ctx, due)
	}
	return nil
}

// catchUpDMs catches up every followed direct conversation.
func (fd *feed) catchUpDMs(ctx context.Context) error {
	var dms []string
	for _, name := range fd.followedNames() {
		if isDM(name) {
			dms = append(dms, name)
		}
	}
	return fd.catchUpAll(ctx, dms)
}

// stalled reports that the plain link has not heard from Redis for a
// while: it is not called connected until it hears again.
func (fd *feed) stalled(ctx context.Context, why error) {
	fd.mu.Lock()
	up := fd.state.State == StateConnected
	fd.mu.Unlock()
	if up {
		fd.setState(ctx, StateEvent{State: StateStalled, Err: why})
	}
}

// recovered undoes stalled when the link answers again.
func (fd *feed) recovered(ctx context.Context) {
	fd.mu.Lock()
	was := fd.state.State == StateStalled
	fd.mu.Unlock()
	if was {
		fd.setState(ctx, StateEvent{State: StateConnected})
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
