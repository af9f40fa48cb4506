package chat

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/redis/go-redis/v9"
)

// A server can lose its data while clients stay connected (FLUSHALL) or
// come back empty after a restart without persistence. The client notices
// when its user's record, written at Start, is gone — checked when the
// plain link (re)subscribes and when the presence heartbeat finds its own
// session entry vanished — and then registers the user, its channels and
// its memberships again, and says so once with a ResetEvent.
//
// With Options.InstanceKey a changed instance is a new server too: the
// user's record alone can mislead, since another client of the same user
// (a window beside "rtchat tail") may have written it there again first.

// checkWiped registers everything again if the server lost its data.
func (fd *feed) checkWiped(ctx context.Context) error {
	pipe := fd.c.rdb.Pipeline()
	exists := pipe.Exists(ctx, fd.c.keys.User(fd.c.opts.User))
	instance := fd.queueInstance(ctx, pipe)
	_, _ = pipe.Exec(ctx) // each reply is checked below
	if err := exists.Err(); err != nil {
		if ctx.Err() == nil {
			fd.c.opts.Logger.Debug("check for a wiped server", "err", err)
		}
		return nil // the link's own errors end the session; this is a probe
	}
	if exists.Val() == 1 && !fd.newInstance(instance) {
		return nil
	}
	return fd.reregister(ctx, instance)
}

// queueInstance queues the read of Options.InstanceKey on pipe (nil
// without one).
func (fd *feed) queueInstance(ctx context.Context, pipe redis.Pipeliner) *redis.StringCmd {
	if fd.c.opts.InstanceKey == "" {
		return nil
	}
	return pipe.Get(ctx, fd.c.opts.InstanceKey)
}

// newInstance reports whether the instance read differs from the one the
// client registered on last.
func (fd *feed) newInstance(read *redis.StringCmd) bool {
	if read == nil || read.Err() != nil || read.Val() == "" {
		return false
	}
	known, _ := fd.instance.Load().(string)
	return read.Val() != known
}

// ServerLost tells the client that the server it talks to lost its data —
// an embedded server that another window started anew, say — when the
// caller knows it before the client could notice: the client registers
// everything again, and what it showed that the new server does not hold
// is taken back as lost with the data (RetractedEvent.Lost), not as made
// up; a ResetEvent says so once.
//
// With Options.InstanceKey, a server the client already registered on
// again (it noticed first) is not registered on twice.
func (c *Client) ServerLost(ctx context.Context) error {
	var read *redis.StringCmd
	if c.opts.InstanceKey != "" {
		read = c.rdb.Get(ctx, c.opts.InstanceKey)
		if read.Err() == nil && !c.feed.newInstance(read) {
			return nil
		}
	}
	return c.feed.reregister(ctx, read)
}

// reregister registers the user, their channels and memberships again
// after the server lost its data (once at a time: a second call while one
// runs returns at once). instance is the read of Options.InstanceKey
// that found the server new (nil without one).
func (fd *feed) reregister(ctx context.Context, instance *redis.StringCmd) error {
	if !fd.resetting.CompareAndSwap(false, true) {
		return nil
	}
	defer fd.resetting.Store(false)
	fd.c.opts.Logger.Warn("the server lost its data; registering the user and channels again")
	// Never a follow's lock under c.mu: a catch-up holds follows' locks
	// and then takes c.mu.
	fd.mu.Lock()
	follows := slices.Collect(maps.Values(fd.follows))
	fd.mu.Unlock()
	for _, f := range follows {
		f.mu.Lock()
		f.reset = true
		f.mu.Unlock()
	}
	// Rejoin writes the user's record last: until it succeeded, the
	// next check (the next heartbeat or resubscription) finds the server
	// still wiped and tries again. Here it is tried a few times at once.
	if instance != nil && instance.Err() == nil {
		// Known before Rejoin, so that a check meanwhile does not count
		// this server as new once more.
		fd.instance.Store(instance.Val())
	}
	var err error
	for attempt := 1; attempt <= rejoinTries; attempt++ {
		if err = fd.c.Rejoin(ctx); err == nil || ctx.Err() != nil {
			break
		}
		fd.c.opts.Logger.Warn("register again after the server lost its data", "attempt", attempt, "err", err)
		select {
		case <-ctx.Done():
		case <-time.After(Backoff(attempt, time.Second)):
		}
	}
	if err != nil {
		return fmt.Errorf("register again after the server lost its data: %w", err)
	}
	// The session entry went with the data: others would see the user
	// offline until the next beat.
	if _, err := fd.c.people.heartbeat(ctx, true); err != nil {
		fd.c.opts.Logger.Debug("presence after the server lost its data", "err", err)
	}
	fd.c.emit(ctx, ResetEvent{})
	return nil
}

// rejoinTries bounds the tries of one check to register again.
const rejoinTries = 4

// Rejoin recreates the user, every followed public channel, the
// memberships and the list of direct conversations (idempotently) after
// the server lost its data.
//
// The user's record, by which a client notices a wiped server, is written
// last, so that a Rejoin cut short is done again in full.
func (c *Client) Rejoin(ctx context.Context) error {
	c.feed.mu.Lock()
	type followed struct {
		name   string
		member bool
	}
	var all []followed
	for name, f := range c.feed.follows {
		all = append(all, followed{name, f.member})
	}
	c.feed.mu.Unlock()
	for _, f := range all {
		if peer, dm := PeerOf(f.name); dm {
			// Best effort, like opening it: the conversation itself
			// needs no key but its stream.
			_ = c.rdb.SAdd(ctx, c.keys.DMList(c.opts.User), peer).Err()
			continue
		}
		if _, private := PrivateName(f.name); private {
			continue // an admin makes private channels and their members again
		}
		ch, _, err := c.channels.Create(ctx, f.name, "", c.opts.User)
		if err != nil {
			return err
		}
		c.out.rememberChannel(f.name, ch.ID, ID{})
		if !f.member {
			continue
		}
		var odd *OddKeysError
		if _, err := c.subs.Add(ctx, c.opts.User, f.name); err != nil && !errors.As(err, &odd) {
			return err
		}
	}
	return c.register(ctx, false)
}
