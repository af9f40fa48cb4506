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

// subscribe adds topics to ps.
func (l *link) subscribe(ctx context.Context, ps *redis.PubSub, topics ...string) error {
	if l.sharded() {
		return ps.SSubscribe(ctx, topics...)
	}
	return ps.Subscribe(ctx, topics...)
}

// unsubscribe drops topics from ps.
func (l *link) unsubscribe(ctx context.Context, ps *redis.PubSub, topics ...string) error {
	if l.sharded() {
		return ps.SUnsubscribe(ctx, topics...)
	}
	return ps.Unsubscribe(ctx, topics...)
}

// errSlotMoved says a sharded link lost a channel to another node.
var errSlotMoved = errors.New("a channel's slot moved to another node")

// linkFor returns the link that must carry channel now, creating a
// sharded link (not yet started) when its node has none. started reports
// whether the link already existed.
func (c *Client) linkFor(ctx context.Context, channel string) (l *link, started bool, err error) {
	if c.cluster == nil {
		return c.plain, true, nil
	}
	var node *redis.Client
	if c.opts.ReplicaSubscribe {
		node, err = c.cluster.SlaveForKey(ctx, c.streamOf(channel))
	} else {
		node, err = c.cluster.MasterForKey(ctx, c.streamOf(channel))
	}
	if err != nil {
		return nil, false, fmt.Errorf("find the node of %q: %w", channel, err)
	}
	addr := node.Options().Addr
	c.mu.Lock()
	defer c.mu.Unlock()
	l = c.shards[addr]
	if l != nil {
		return l, true, nil
	}
	l = &link{node: addr, client: node, names: map[string]bool{}}
	c.shards[addr] = l
	return l, false, nil
}

// carry puts channel on the link that must carry it and subscribes there.
// A direct conversation needs no subscription of its own (the plain link's
// patterns carry every one of them): it is caught up at once instead.
func (c *Client) carry(ctx context.Context, channel string) error {
	if isDM(channel) {
		return c.catchUp(ctx, channel)
	}
	l, started, err := c.linkFor(ctx, channel)
	if err != nil {
		return err
	}
	c.mu.Lock()
	if _, followed := c.follows[channel]; !followed {
		c.mu.Unlock()
		return nil
	}
	for _, other := range c.shards {
		if other != l {
			delete(other.names, channel)
		}
	}
	if l.names != nil {
		l.names[channel] = true
	}
	ps, loopCtx := l.ps, c.loopCtx
	if ps != nil {
		l.await(channel) // in the same session as ps (see subscribe)
	}
	c.mu.Unlock()
	switch {
	case !started && loopCtx != nil:
		c.startShard(loopCtx, l)
	case ps != nil && loopCtx.Err() == nil:
		// Not waited for: a subscription still connecting would hold
		// the join (and a window's first view) until it is up. An error
		// means the link is failing; its next session subscribes to
		// every channel it carries anyway.
		topic := c.streamOf(channel)
		c.done.Go(func() { _ = l.subscribe(loopCtx, ps, topic) })
	}
	c.nudgeWatcher()
	return nil
}

// startShard runs l's loop on a goroutine the client waits for at Close.
func (c *Client) startShard(ctx context.Context, l *link) {
	c.done.Go(func() { c.shardLoop(ctx, l) })
}

// carries reports whether link l carries channel.
func (c *Client) carries(l *link, channel string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !l.sharded() {
		_, ok := c.follows[channel]
		return ok && (c.cluster == nil || isDM(channel))
	}
	return l.names[channel]
}

// unfollow stops carrying channel live.
func (c *Client) unfollow(ctx context.Context, channel string) {
	c.mu.Lock()
	delete(c.follows, channel)
	var from *link
	if c.cluster == nil && !isDM(channel) {
		from = c.plain
	}
	for _, l := range c.shards {
		if l.names[channel] {
			delete(l.names, channel)
			from = l
		}
	}
	var ps *redis.PubSub
	if from != nil {
		ps = from.ps
	}
	c.mu.Unlock()
	if ps != nil {
		_ = from.unsubscribe(ctx, ps, c.streamOf(channel))
	}
	c.nudgeWatcher()
}

// topicsOf returns every topic link l must carry now.
func (c *Client) topicsOf(l *link) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	topics := slices.Clone(l.own)
	switch {
	case l.sharded():
		for name := range l.names {
			topics = append(topics, c.streamOf(name))
		}
	case c.cluster == nil:
		for name := range c.follows {
			if !isDM(name) {
				topics = append(topics, c.streamOf(name))
			}
		}
	}
	return topics
}

// receiveLoop keeps the plain link alive, starting over with backoff
// whenever it fails; its state is the client's connection state.
func (c *Client) receiveLoop(ctx context.Context) {
	attempt := 0
	for ctx.Err() == nil {
		err := c.session(ctx, c.plain, &attempt)
		if ctx.Err() != nil {
			return
		}
		if redis.IsAuthError(err) {
			err = fmt.Errorf("%w: %w", ErrAuth, err)
		}
		attempt++
		c.opts.Logger.Warn("subscription lost", "err", err, "attempt", attempt)
		c.setState(ctx, StateEvent{State: StateReconnecting, Attempt: attempt, Err: err})
		if !sleep(ctx, Backoff(attempt, c.opts.MaxBackoff)) {
			return
		}
	}
}

// shardLoop keeps a sharded link alive while it carries channels. After a
// failure it asks the cluster where each of its channels lives now and
// hands those that moved to their new node's link.
func (c *Client) shardLoop(ctx context.Context, l *link) {
	attempt := 0
	for ctx.Err() == nil {
		c.mu.Lock()
		empty := len(l.names) == 0
		if empty {
			delete(c.shards, l.node)
		}
		c.mu.Unlock()
		if empty {
			return
		}
		err := c.session(ctx, l, &attempt)
		if ctx.Err() != nil {
			return
		}
		attempt++
		c.opts.Logger.Warn("sharded subscription lost", "node", l.node, "err", err, "attempt", attempt)
		c.cluster.ReloadState(ctx)
		if !sleep(ctx, Backoff(attempt, c.opts.MaxBackoff)) {
			return
		}
		c.mu.Lock()
		names := slices.Collect(maps.Keys(l.names))
		c.mu.Unlock()
		for _, n := range names {
			if err := c.carry(ctx, n); err != nil {
				c.opts.Logger.Warn("re-route channel", "channel", n, "err", err)
			}
		}
	}
}
