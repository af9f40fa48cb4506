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

// A link is one Pub/Sub connection and the channels it carries. Every
// client has the plain link, which carries the channel-list topic and, on a
// single node, every channel. On a Redis Cluster live messages use sharded
// Pub/Sub (SSUBSCRIBE/SPUBLISH), which stays inside one shard: the client
// then holds one more link per master node, for the channels whose slots
// that master owns, and moves channels between links when slots move
// (resharding, failover). Links are guarded by Client.mu.
type link struct {
	node   string          // master address of a sharded link; "" for the plain link
	client *redis.Client   // that master's client (sharded links)
	ps     *redis.PubSub   // current subscription; nil while down
	names  map[string]bool // channels a sharded link carries
}

func (l *link) sharded() bool { return l.node != "" }

// errSlotMoved says a sharded link lost a channel to another node.
var errSlotMoved = errors.New("a channel's slot moved to another node")

// carry puts channel on the link that must carry it and subscribes there.
func (c *Client) carry(ctx context.Context, channel string) error {
	topic := c.keys.Topic(channel)
	if c.cluster == nil {
		c.mu.Lock()
		ps := c.plain.ps
		c.mu.Unlock()
		if ps != nil {
			// An error means the link is failing; its next session
			// subscribes to every channel anyway.
			_ = ps.Subscribe(ctx, topic)
		}
		return nil
	}
	node, err := c.cluster.MasterForKey(ctx, topic)
	if err != nil {
		return fmt.Errorf("find the node of %q: %w", channel, err)
	}
	addr := node.Options().Addr
	c.mu.Lock()
	if _, joined := c.subs[channel]; !joined {
		c.mu.Unlock()
		return nil
	}
	for _, l := range c.shards {
		delete(l.names, channel)
	}
	l := c.shards[addr]
	started := l != nil
	if l == nil {
		l = &link{node: addr, client: node, names: map[string]bool{}}
		c.shards[addr] = l
	}
	l.names[channel] = true
	ps, loopCtx := l.ps, c.loopCtx
	c.mu.Unlock()
	switch {
	case !started && loopCtx != nil:
		c.startShard(loopCtx, l)
	case ps != nil:
		_ = ps.SSubscribe(ctx, topic)
	}
	return nil
}

// startShard runs l's loop on a goroutine the client waits for at Close.
func (c *Client) startShard(ctx context.Context, l *link) {
	c.done.Add(1)
	go func() { defer c.done.Done(); c.shardLoop(ctx, l) }()
}

// carries reports whether link l carries channel.
func (c *Client) carries(l *link, channel string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return l.names[channel]
}

// unfollow stops carrying channel live.
func (c *Client) unfollow(ctx context.Context, channel string) {
	topic := c.keys.Topic(channel)
	c.mu.Lock()
	delete(c.subs, channel)
	plain := c.plain.ps
	var sharded *redis.PubSub
	for _, l := range c.shards {
		if l.names[channel] {
			delete(l.names, channel)
			sharded = l.ps
		}
	}
	c.mu.Unlock()
	if sharded != nil {
		_ = sharded.SUnsubscribe(ctx, topic)
	} else if plain != nil && c.cluster == nil {
		_ = plain.Unsubscribe(ctx, topic)
	}
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

// session runs one Pub/Sub connection of link l until it fails. On every
// subscription confirmation it catches the channel up from the stream; a
// watchdog PINGs a silent link and gives up on it after DeadAfter.
func (c *Client) session(ctx context.Context, l *link, attempt *int) error {
	var ps *redis.PubSub
	if l.sharded() {
		ps = l.client.SSubscribe(ctx)
	} else {
		ps = c.rdb.Subscribe(ctx)
	}
	defer func() {
		c.mu.Lock()
		if l.ps == ps {
			l.ps = nil
		}
		c.mu.Unlock()
		_ = ps.Close()
	}()
	c.mu.Lock()
	l.ps = ps
	var topics []string
	switch {
	case l.sharded():
		for name := range l.names {
			topics = append(topics, c.keys.Topic(name))
		}
	default:
		topics = append(topics, c.eventsTopic, c.userTopic)
		if c.cluster == nil {
			for name := range c.subs {
				topics = append(topics, c.keys.Topic(name))
			}
		}
	}
	c.mu.Unlock()
	var err error
	if l.sharded() {
		err = ps.SSubscribe(ctx, topics...)
	} else {
		err = ps.Subscribe(ctx, topics...)
	}
	if err != nil {
		return fmt.Errorf("subscribe: %w", err)
	}
	heard := time.Now()
	pinged := false
	for {
		tick := min(c.opts.PingEvery, time.Second)
		msg, err := ps.ReceiveTimeout(ctx, tick)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			if !isTimeout(err) {
				return err
			}
			silent := time.Since(heard)
			if silent >= c.opts.DeadAfter {
				return errDeadLink
			}
			if silent >= c.opts.PingEvery && !pinged {
				if err := ps.Ping(ctx); err != nil {
					return fmt.Errorf("ping subscription: %w", err)
				}
				pinged = true
				// A quiet moment: pick up entries that other tools added
				// to the streams without publishing them. (The plain link
				// does it for every channel, sharded ones included.)
				if !l.sharded() {
					if err := c.catchUpAll(ctx); err != nil {
						return err
					}
				}
			}
			continue
		}
		heard, pinged = time.Now(), false
		switch m := msg.(type) {
		case *redis.Subscription:
			switch m.Kind {
			case "subscribe", "ssubscribe":
			case "sunsubscribe":
				// The server drops a shard channel whose slot moved.
				if name, ok := c.keys.channelFromTopic(m.Channel); ok && c.Joined(name) && c.carries(l, name) {
					return errSlotMoved
				}
				continue
			default:
				continue
			}
			if m.Channel == c.eventsTopic {
				// The plain link's first confirmation: the link is up.
				*attempt = 0
				c.setState(ctx, StateEvent{State: StateConnected})
				c.emit(ctx, ChannelsChangedEvent{})
				continue
			}
			if name, ok := c.keys.channelFromTopic(m.Channel); ok {
				c.checkTrimmed(ctx, name)
				if err := c.catchUp(ctx, name); err != nil {
					return err
				}
			}
		case *redis.Message:
			if err := c.handleLive(ctx, m); err != nil {
				return err
			}
		case *redis.Pong:
		}
	}
}
