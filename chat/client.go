package chat

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Options configure a Client. Redis and User are required; zero values of the
// rest take the defaults documented on each field.
type Options struct {
	// Redis is the connection (single node or cluster).
	Redis redis.UniversalClient
	// Keys is the key schema; zero means DefaultKeys().
	Keys Keys
	// User is this client's user name (validated with ValidateName).
	User string
	// PageSize is how many entries one history page holds (default 200).
	PageSize int64
	// MaxLen trims each stream to about this many entries on send (0 keeps all).
	MaxLen int64
	// MaxMessageBytes is the message size limit (default 16 KiB).
	MaxMessageBytes int
	// PingEvery is how long the subscription may be silent before the watchdog
	// PINGs it (default 2s); DeadAfter is how long without any reply before it
	// is declared dead and replaced (default 6s).
	PingEvery, DeadAfter time.Duration
	// MaxBackoff caps the reconnect delay (default 5s); see Backoff.
	MaxBackoff time.Duration
	// PresenceEvery is how often the client renews its presence (default
	// 5s); PresenceTTL is how long the user stays online after the last
	// renewal, e.g. after a crash (default 15s).
	PresenceEvery, PresenceTTL time.Duration
	// Logger receives diagnostics (default: discarded).
	Logger *slog.Logger
}

// Client is one user's connection to rtchat: it sends, it subscribes, and it
// delivers every message of its subscribed channels exactly once, in stream
// order, on Events. Create it with New, start it with Start, stop it with
// Close. A Client is safe for concurrent use.
type Client struct {
	opts     Options
	rdb      redis.UniversalClient
	keys     Keys
	Channels *ChannelManager
	Subs     *SubscriptionManager

	events chan Event
	outbox chan outgoing
	typing chan string // channels to send a typing notice to
	// sessionID names this client in the user's presence Set.
	sessionID string
	// The plain link's own topics, built once (they are compared with
	// every live message's topic).
	eventsTopic, userTopic string
	// emitMu lets Close close events only once no emit is under way;
	// closing unblocks emits that wait for a reader.
	emitMu    sync.RWMutex
	closed    bool
	closing   chan struct{}
	closeOnce sync.Once

	mu    sync.Mutex
	subs  map[string]*subState // joined channels by name
	plain *link                // the plain Pub/Sub link
	// On a Redis Cluster, live messages use sharded Pub/Sub: one link per
	// master node, for the channels whose slots it owns.
	cluster *redis.ClusterClient
	shards  map[string]*link // by master address
	loopCtx context.Context  // the context of the receive loops, once started
	state   StateEvent
	typedAt map[string]time.Time // last typing notice per channel
	cancel  context.CancelFunc
	done    sync.WaitGroup
}

type subState struct {
	last streamID // newest id delivered
}

// New checks opts and returns a Client that is not yet receiving; call Start.
func New(opts Options) (*Client, error) {
	if opts.Redis == nil {
		return nil, errors.New("new chat client: no Redis connection")
	}
	if err := ValidateName(opts.User); err != nil {
		return nil, fmt.Errorf("user name: %w", err)
	}
	if opts.Keys == (Keys{}) {
		opts.Keys = DefaultKeys()
	}
	if opts.PageSize <= 0 {
		opts.PageSize = 200
	}
	if opts.MaxMessageBytes <= 0 {
		opts.MaxMessageBytes = DefaultMaxMessageBytes
	}
	if opts.PingEvery <= 0 {
		opts.PingEvery = 2 * time.Second
	}
	if opts.DeadAfter <= 0 {
		opts.DeadAfter = 6 * time.Second
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = 5 * time.Second
	}
	if opts.PresenceEvery <= 0 {
		opts.PresenceEvery = 5 * time.Second
	}
	if opts.PresenceTTL <= 0 {
		opts.PresenceTTL = 3 * opts.PresenceEvery
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	cluster, _ := opts.Redis.(*redis.ClusterClient)
	return &Client{
		cluster:     cluster,
		shards:      map[string]*link{},
		plain:       &link{},
		opts:        opts,
		rdb:         opts.Redis,
		keys:        opts.Keys,
		Channels:    NewChannelManager(opts.Redis, opts.Keys),
		Subs:        NewSubscriptionManager(opts.Redis, opts.Keys),
		events:      make(chan Event, 256),
		closing:     make(chan struct{}),
		outbox:      make(chan outgoing, 1024),
		typing:      make(chan string, 4),
		sessionID:   newID(),
		eventsTopic: opts.Keys.ChannelEvents(),
		userTopic:   opts.Keys.UserEvents(opts.User),
		typedAt:     map[string]time.Time{},
		subs:        make(map[string]*subState),
		state:       StateEvent{State: StateConnecting},
	}, nil
}

// User returns the client's user name.
func (c *Client) User() string { return c.opts.User }

// Events delivers everything the client has to show, in order. It is closed
// after Close returns. The consumer must keep reading: a stalled reader
// stalls delivery (nothing is lost; the client catches up afterwards).
func (c *Client) Events() <-chan Event { return c.events }

// Start registers the user and starts the receive loop and the outbox. The
// loops run until ctx is cancelled or Close is called.
func (c *Client) Start(ctx context.Context) error {
	if _, err := c.Subs.RegisterUser(ctx, c.opts.User); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	c.cancel = cancel
	c.done.Add(4)
	go func() { defer c.done.Done(); c.receiveLoop(ctx) }()
	go func() { defer c.done.Done(); c.sendLoop(ctx) }()
	go func() { defer c.done.Done(); c.presenceLoop(ctx) }()
	go func() { defer c.done.Done(); c.typingLoop(ctx) }()
	c.mu.Lock()
	c.loopCtx = ctx
	pending := make([]*link, 0, len(c.shards))
	for _, l := range c.shards {
		pending = append(pending, l)
	}
	c.mu.Unlock()
	for _, l := range pending {
		c.startShard(ctx, l)
	}
	return nil
}

// Close stops the client's loops, waits for them, and closes Events;
// calls still under way on other goroutines give up. It does not close the
// Redis connection, which the caller owns. Closing again does nothing.
func (c *Client) Close() error {
	c.closeOnce.Do(func() {
		close(c.closing)
		if c.cancel != nil {
			c.cancel()
		}
		c.done.Wait()
		c.emitMu.Lock()
		c.closed = true
		close(c.events)
		c.emitMu.Unlock()
	})
	return nil
}

// emit hands ev to the reader of Events, giving up when ctx ends or the
// client closes.
func (c *Client) emit(ctx context.Context, ev Event) bool {
	c.emitMu.RLock()
	defer c.emitMu.RUnlock()
	if c.closed {
		return false
	}
	select {
	case c.events <- ev:
		return true
	case <-ctx.Done():
		return false
	case <-c.closing:
		return false
	}
}

// Joined reports whether the client is subscribed to channel.
func (c *Client) Joined(channel string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.subs[channel]
	return ok
}

// ListChannels returns every channel (see ChannelManager.List).
func (c *Client) ListChannels(ctx context.Context) ([]Channel, error) { return c.Channels.List(ctx) }

// MyChannels returns the channels the user is subscribed to, as stored in
// Redis (they survive restarts of the client).
func (c *Client) MyChannels(ctx context.Context) ([]string, error) {
	return c.Subs.Channels(ctx, c.opts.User)
}

// SetTopic sets channel's description.
func (c *Client) SetTopic(ctx context.Context, channel, topic string) error {
	return c.Channels.UpdateDescription(ctx, channel, topic)
}

// DeleteChannel deletes channel if the user created it, and leaves it.
func (c *Client) DeleteChannel(ctx context.Context, channel string) error {
	if err := c.Channels.Delete(ctx, channel, c.opts.User); err != nil {
		return err
	}
	c.unfollow(ctx, channel)
	return nil
}

// Members returns the users subscribed to channel.
func (c *Client) Members(ctx context.Context, channel string) ([]string, error) {
	return c.Subs.Members(ctx, channel)
}
