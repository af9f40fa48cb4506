package chat

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// The watcher is the message consumer role, run by every
// client for the channels it follows: it notices entries that reached a
// stream without being published (added by other tools, or by
// ProduceMessage) and publishes them (Fanout), so every follower gets
// them live. It costs Redis one blocking XREAD per watchBlock while
// nothing happens, however many channels the client follows, and at most
// one per watchPause while messages flow; it never polls each stream
// (docs/DESIGN.md, "Watcher"). On a Redis Cluster, where one XREAD cannot
// span slots, it reads the newest id of each followed stream instead,
// every clusterPoll, pipelined by node.
const (
	watchBlock  = 10 * time.Second
	watchPause  = time.Second
	clusterPoll = time.Minute
)

// watchGrace is how long the watcher waits for an entry to arrive live
// before it publishes it itself: a random part spreads the clients that
// noticed the same entry, so that usually one of them publishes it.
func watchGrace() time.Duration { return 300*time.Millisecond + rand.N(700*time.Millisecond) }

// watchLoop runs the watcher until ctx ends.
func (fd *feed) watchLoop(ctx context.Context) {
	w := &watcher{c: fd.c}
	defer w.close()
	for ctx.Err() == nil {
		streams, lasts := fd.watchList()
		if len(streams) == 0 {
			select {
			case <-ctx.Done():
				return
			case <-fd.wake:
			}
			continue
		}
		found, err := w.newest(ctx, streams, lasts)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			fd.c.opts.Logger.Debug("watcher", "err", err)
			if !sleep(ctx, fd.c.opts.MaxBackoff) {
				return
			}
			continue
		}
		if len(found) > 0 && sleep(ctx, watchGrace()) {
			fd.fanOutMissed(ctx, found)
		}
		pause := watchPause
		if fd.c.cluster != nil {
			pause = clusterPoll
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(pause):
		case <-fd.wake:
			// A new channel: watch it soon, not after a whole pause.
			if !sleep(ctx, watchPause) {
				return
			}
		}
	}
}

// nudgeWatcher tells the watcher that the followed channels changed.
func (fd *feed) nudgeWatcher() {
	select {
	case fd.wake <- struct{}{}:
	default:
	}
}

// watchList returns the followed channels and the last id shown in each.
func (fd *feed) watchList() ([]string, []ID) {
	names := fd.followedNames()
	lasts := make([]ID, 0, len(names))
	kept := names[:0]
	for _, n := range names {
		f := fd.followed(n)
		if f == nil {
			continue
		}
		f.mu.Lock()
		lasts = append(lasts, f.chain.last)
		f.mu.Unlock()
		kept = append(kept, n)
	}
	return kept, lasts
}

// newest returns, for the channels whose stream holds an entry after the
// last id shown, the id of one such entry. On a single node it blocks
// until there is one (or watchBlock passes).
func (w *watcher) newest(ctx context.Context, names []string, lasts []ID) (map[string]ID, error) {
	c := w.c
	found := map[string]ID{}
	if c.cluster != nil {
		pipe := c.rdb.Pipeline()
		cmds := make([]*redis.XMessageSliceCmd, len(names))
		for i, n := range names {
			cmds[i] = pipe.XRevRangeN(ctx, c.hist.streamOf(n), "+", "-", 1)
		}
		if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
			return nil, err
		}
		for i, cmd := range cmds {
			if xs := cmd.Val(); len(xs) > 0 {
				if id, ok := parseID(xs[0].ID); ok && id.After(lasts[i]) {
					found[names[i]] = id
				}
			}
		}
		return found, nil
	}
	streams := make([]string, 0, 2*len(names))
	conv := make(map[string]string, len(names))
	for _, n := range names {
		streams = append(streams, c.hist.streamOf(n))
		conv[c.hist.streamOf(n)] = n
	}
	for i := range names {
		start := lasts[i].String()
		if start == "" {
			start = "0-0"
		}
		streams = append(streams, start)
	}
	res, err := w.read(ctx, &redis.XReadArgs{Streams: streams, Count: 1, Block: watchBlock})
	if errors.Is(err, redis.Nil) {
		return found, nil
	}
	if err != nil {
		return nil, err
	}
	for _, s := range res {
		name, ok := conv[s.Stream]
		if ok && len(s.Messages) > 0 {
			if id, ok := parseID(s.Messages[0].ID); ok {
				found[name] = id
			}
		}
	}
	return found, nil
}

// watcher holds the watch loop's connection. A blocking XREAD gets a
// client of its own (one connection) whose network connection is closed
// the moment the client stops, so that Close never waits for the block
// to run out.
type watcher struct {
	c    *Client
	rdb  *redis.Client
	stop func() bool
	mu   sync.Mutex
	conn net.Conn
}

// read runs a blocking XREAD.
func (w *watcher) read(ctx context.Context, a *redis.XReadArgs) ([]redis.XStream, error) {
	single, ok := w.c.rdb.(*redis.Client)
	if !ok {
		return w.c.rdb.XRead(ctx, a).Result()
	}
	if w.rdb == nil {
		o := *single.Options()
		dial := o.Dialer
		if dial == nil {
			dial = redis.NewDialer(&o)
		}
		o.Dialer = func(ctx context.Context, network, addr string) (net.Conn, error) {
			conn, err := dial(ctx, network, addr)
			w.mu.Lock()
			w.conn = conn
			w.mu.Unlock()
			return conn, err
		}
		o.PoolSize, o.MinIdleConns, o.MaxIdleConns = 1, 0, 1
		w.rdb = redis.NewClient(&o)
		w.stop = context.AfterFunc(ctx, w.interrupt)
	}
	return w.rdb.XRead(ctx, a).Result()
}

// interrupt closes the network connection under a blocked read.
func (w *watcher) interrupt() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.conn != nil {
		_ = w.conn.Close()
	}
}

// close gives the connection up.
func (w *watcher) close() {
	if w.rdb != nil {
		w.stop()
		_ = w.rdb.Close()
	}
}

// fanOutMissed publishes, in each channel of found, the entries after the
// last one shown when found's entry has still not arrived live.
func (fd *feed) fanOutMissed(ctx context.Context, found map[string]ID) {
	for name, id := range found {
		f := fd.followed(name)
		if f == nil {
			continue
		}
		f.mu.Lock()
		last := f.chain.last
		f.mu.Unlock()
		if !id.After(last) {
			continue // it came live meanwhile
		}
		if n, _, err := fd.c.Fanout(ctx, name, last); err != nil {
			fd.c.opts.Logger.Debug("watcher: fan out", "channel", name, "err", err)
		} else {
			fd.c.opts.Logger.Debug("watcher: published entries that were not", "channel", name, "count", n)
		}
	}
}
