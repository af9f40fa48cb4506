package chat

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/redis/go-redis/v9"
)

// A link is one Pub/Sub connection and the topics it carries. Every client
// has the plain link, which carries the client's own topics (channel list,
// the user's events, presence) and, on a single node, every followed
// channel. On a Redis Cluster live messages use sharded Pub/Sub
// (SSUBSCRIBE/SPUBLISH), which stays inside one shard: the client then
// holds one more link per master node, for the channels whose slots that
// master owns, and moves channels between links when slots move
// (resharding, failover). docs/DESIGN.md, "Cluster routing", has the
// picture. Links are guarded by Client.mu; the link alone decides between
// plain and sharded commands.
type link struct {
	node   string        // node address of a sharded link (a master, or a replica with ReplicaSubscribe); "" for the plain link
	client *redis.Client // that node's client (sharded links)
	// own are the plain link's own topics, patterns its pattern
	// subscriptions (the user's direct conversations).
	own, patterns []string
	ps            *redis.PubSub   // current subscription; nil while down
	names         map[string]bool // channels a sharded link carries
	// awaiting are the channels whose subscription the server has yet to
	// confirm; confirmed those it confirmed since the last catch-up. The
	// channels of one SUBSCRIBE are caught up together once the last is
	// confirmed: a reconnect costs the round trips of one channel
	// (under Client.mu).
	awaiting  map[string]bool
	confirmed []string
}

func (l *link) sharded() bool { return l.node != "" }

// open starts a subscription with no topics yet.
func (l *link) open(ctx context.Context, rdb redis.UniversalClient) *redis.PubSub {
	if l.sharded() {
		return l.client.SSubscribe(ctx)
	}
	return rdb.Subscribe(ctx)
}

// await notes that channel's subscription is on its way (under
// Client.mu).
func (l *link) await(channel string) {
	if l.awaiting == nil {
		l.awaiting = map[string]bool{}
	}
	l.awaiting[channel] = true
}

// confirm notes channel's subscription confirmed and returns the
// channels to catch up now: all confirmed so far once none is awaited
// (under Client.mu).
func (l *link) confirm(channel string) []string {
	delete(l.awaiting, channel)
	l.confirmed = append(l.confirmed, channel)
	if len(l.awaiting) > 0 {
		return nil
	}
	due := l.confirmed
	l.confirmed = nil
	return due
}

// subscribe adds topics to ps. One SSUBSCRIBE takes the channels of one
// slot only (CROSSSLOT otherwise), and each conversation has a hash tag,
// so a slot, of its own: a sharded link subscribes to each on its own
// (the commands go out together; their confirmations come back on ps).
func (l *link) subscribe(ctx context.Context, ps *redis.PubSub, topics ...string) error {
	if !l.sharded() {
		return ps.Subscribe(ctx, topics...)
	}
	return oneByOne(ctx, ps.SSubscribe, topics)
}

// unsubscribe drops topics from ps (one a command when sharded, as
// subscribe).
func (l *link) unsubscribe(ctx context.Context, ps *redis.PubSub, topics ...string) error {
	if !l.sharded() {
		return ps.Unsubscribe(ctx, topics...)
	}
	return oneByOne(ctx, ps.SUnsubscribe, topics)
}

// oneByOne runs command once for each topic, stopping at the first error.
func oneByOne(ctx context.Context, command func(context.Context, ...string) error, topics []string) error {
	for _, t := range topics {
		if err := command(ctx, t); err != nil {
			return err
		}
	}
	return nil
}

// errSlotMoved says a sharded link lost a channel to another node.
var errSlotMoved = errors.New("a channel's slot moved to another node")

// linkFor returns the link that must carry channel now, creating a
// sharded link (not yet started) when its node has none. started reports
// whether the link already existed.
func (fd *feed) linkFor(ctx context.Context, channel string) (l *link, started bool, err error) {
	if fd.c.cluster == nil {
		return fd.plain, true, nil
	}
	var node *redis.Client
	if fd.c.opts.ReplicaSubscribe {
		node, err = fd.c.cluster.SlaveForKey(ctx, fd.c.hist.streamOf(channel))
	} else {
		node, err = fd.c.cluster.MasterForKey(ctx, fd.c.hist.streamOf(channel))
	}
	if err != nil {
		return nil, false, fmt.Errorf("find the node of %q: %w", channel, err)
	}
	addr := node.Options().Addr
	fd.mu.Lock()
	defer fd.mu.Unlock()
	l = fd.shards[addr]
	if l != nil {
		return l, true, nil
	}
	l = &link{node: addr, client: node, names: map[string]bool{}}
	fd.shards[addr] = l
	return l, false, nil
}

// carry puts channel on the link that must carry it and subscribes there.
// A direct conversation needs no subscription of its own (the plain link's
// patterns carry every one of them): it is caught up at once instead.
func (fd *feed) carry(ctx context.Context, channel string) error {
	if isDM(channel) {
		return fd.catchUp(ctx, channel)
	}
	l, started, err := fd.linkFor(ctx, channel)
	if err != nil {
		return err
	}
	fd.mu.Lock()
	if _, followed := fd.follows[channel]; !followed {
		fd.mu.Unlock()
		return nil
	}
	for _, other := range fd.shards {
		if other != l {
			delete(other.names, channel)
		}
	}
	if l.names != nil {
		l.names[channel] = true
	}
	ps, loopCtx := l.ps, fd.loopCtx
	if ps != nil {
		l.await(channel) // in the same session as ps (see subscribe)
	}
	fd.mu.Unlock()
	switch {
	case !started && loopCtx != nil:
		fd.startShard(loopCtx, l)
	case ps != nil && loopCtx.Err() == nil:
		// Not waited for: a subscription still connecting would hold
		// the join (and a window's first view) until it is up. An error
		// means the link is failing; its next session subscribes to
		// every channel it carries anyway.
		topic := fd.c.hist.streamOf(channel)
		fd.c.done.Go(func() { _ = l.subscribe(loopCtx, ps, topic) })
	}
	fd.nudgeWatcher()
	return nil
}

// startShard runs l's loop on a goroutine the client waits for at Close.
func (fd *feed) startShard(ctx context.Context, l *link) {
	fd.c.done.Go(func() { fd.shardLoop(ctx, l) })
}

// carries reports whether link l carries channel.
func (fd *feed) carries(l *link, channel string) bool {
	fd.mu.Lock()
	defer fd.mu.Unlock()
	if !l.sharded() {
		_, ok := fd.follows[channel]
		return ok && (fd.c.cluster == nil || isDM(channel))
	}
	return l.names[channel]
}

// unfollow stops carrying channel live.
func (fd *feed) unfollow(ctx context.Context, channel string) {
	fd.mu.Lock()
	delete(fd.follows, channel)
	var from *link
	if fd.c.cluster == nil && !isDM(channel) {
		from = fd.plain
	}
	for _, l := range fd.shards {
		if l.names[channel] {
			delete(l.names, channel)
			from = l
		}
	}
	var ps *redis.PubSub
	if from != nil {
		ps = from.ps
	}
	fd.mu.Unlock()
	if ps != nil {
		_ = from.unsubscribe(ctx, ps, fd.c.hist.streamOf(channel))
	}
	fd.nudgeWatcher()
}

// topicsOf returns every topic link l must carry now (under fd.mu).
func (fd *feed) topicsOf(l *link) []string {
	topics := slices.Clone(l.own)
	switch {
	case l.sharded():
		for name := range l.names {
			topics = append(topics, fd.c.hist.streamOf(name))
		}
	case fd.c.cluster == nil:
		for name := range fd.follows {
			if !isDM(name) {
				topics = append(topics, fd.c.hist.streamOf(name))
			}
		}
	}
	return topics
}

// receiveLoop keeps the plain link alive, starting over with backoff
// whenever it fails; its state is the client's connection state.
func (fd *feed) receiveLoop(ctx context.Context) {
	attempt := 0
	for ctx.Err() == nil {
		err := fd.session(ctx, fd.plain, &attempt)
		if ctx.Err() != nil {
			return
		}
		if redis.IsAuthError(err) {
			err = fmt.Errorf("%w: %w", ErrAuth, err)
		}
		attempt++
		fd.c.opts.Logger.Warn("subscription lost", "err", err, "attempt", attempt)
		fd.setState(ctx, StateEvent{State: StateReconnecting, Attempt: attempt, Err: err})
		if !sleep(ctx, Backoff(attempt, fd.c.opts.MaxBackoff)) {
			return
		}
	}
}

// shardLoop keeps a sharded link alive while it carries channels. After a
// failure it asks the cluster where each of its channels lives now and
// hands those that moved to their new node's link.
func (fd *feed) shardLoop(ctx context.Context, l *link) {
	attempt := 0
	for ctx.Err() == nil {
		fd.mu.Lock()
		empty := len(l.names) == 0
		if empty {
			delete(fd.shards, l.node)
		}
		fd.mu.Unlock()
		if empty {
			return
		}
		err := fd.session(ctx, l, &attempt)
		if ctx.Err() != nil {
			return
		}
		attempt++
		fd.c.opts.Logger.Warn("sharded subscription lost", "node", l.node, "err", err, "attempt", attempt)
		fd.c.cluster.ReloadState(ctx)
		if !sleep(ctx, Backoff(attempt, fd.c.opts.MaxBackoff)) {
			return
		}
		fd.mu.Lock()
		names := slices.Collect(maps.Keys(l.names))
		fd.mu.Unlock()
		for _, n := range names {
			if err := fd.carry(ctx, n); err != nil {
				fd.c.opts.Logger.Warn("re-route channel", "channel", n, "err", err)
			}
		}
	}
}
