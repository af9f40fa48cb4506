package chat

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Defaults, in one place: config and ui use these too.
const (
	// DefaultPageSize is how many entries one history page holds.
	DefaultPageSize = 200
	// DefaultMaxMessageBytes is the default message size limit (16 KiB).
	DefaultMaxMessageBytes = 16 << 10
	// DefaultPingEvery is how long a subscription may be silent before the
	// watchdog PINGs it; DefaultDeadAfter how long without any reply before
	// it is declared dead and replaced.
	DefaultPingEvery = 4 * time.Second
	DefaultDeadAfter = 8 * time.Second
	// DefaultPresenceEvery is how often a client renews its presence; a
	// user stays online for 3 times that after the last renewal.
	DefaultPresenceEvery = 15 * time.Second
	// DefaultSendTimeout is how long a direct send (BroadcastMessage and
	// the like) keeps retrying a lost connection, e.g. through a cluster
	// failover, before it gives up.
	DefaultSendTimeout = 20 * time.Second
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
	// PageSize is how many entries one history page holds (DefaultPageSize).
	PageSize int64
	// MaxLen trims each stream to about this many entries on send (0 keeps all).
	MaxLen int64
	// InstanceKey, when set, names a key whose value identifies the
	// server (the embedded server's marker): when it changes, the client
	// talks to a new, empty server, even if another client of the same
	// user already registered the user there again.
	InstanceKey string
	// MaxMessageBytes is the message size limit (DefaultMaxMessageBytes).
	MaxMessageBytes int
	// MaxFileBytes is the file size limit, for files sent and fetched
	// (DefaultMaxFileBytes).
	MaxFileBytes int64
	// PingEvery and DeadAfter time the watchdog (DefaultPingEvery,
	// DefaultDeadAfter).
	PingEvery, DeadAfter time.Duration
	// MaxBackoff caps the reconnect delay (default 5s); see Backoff.
	MaxBackoff time.Duration
	// PresenceEvery is how often the client renews its presence
	// (DefaultPresenceEvery); PresenceTTL is how long the user stays online
	// after the last renewal, e.g. after a crash (3 × PresenceEvery).
	PresenceEvery, PresenceTTL time.Duration
	// SendTimeout bounds the retries of a direct send (DefaultSendTimeout).
	SendTimeout time.Duration
	// ReplicaSubscribe, on a Redis Cluster, takes each channel's live
	// messages from a replica of its master (one picked at random; the
	// master when it has none): Redis 7 passes sharded Pub/Sub messages on
	// to replicas, so a hot channel's fan-out spreads over its replicas.
	ReplicaSubscribe bool
	// AutoJoin makes the client follow the conversations others open with
	// the user while it runs: a direct conversation someone starts, a
	// private channel an admin adds the user to (JoinedEvent). The
	// full-screen client sets it; "tail -f" does not.
	AutoJoin bool
	// Signer signs every message the client stores and is registered as
	// one of the user's keys at Start (nil: messages go unsigned, and
	// readers mark them so).
	Signer *Signer
	// Accounts says that the server enforces accounts: the connection is
	// an ACL user of its own, so only the user may register the user's
	// keys. Without it the client trusts on first use: it pins the keys
	// it has seen in Pins and says when a person's keys change.
	Accounts bool
	// Pins keeps the keys seen on a server without accounts (default: kept
	// in memory for the client's life).
	Pins KeyPins
	// Scripts says how rtchat's Lua programs run: ScriptsAuto (functions
	// where the server has them) or ScriptsEval (the embedded server).
	Scripts ScriptMode
	// Index is a local copy of the user's conversations that a search
	// everywhere reads first (nil: none; package archive keeps one).
	Index Index
	// Logger receives diagnostics (default: discarded).
	Logger *slog.Logger
}

// withDefaults checks o and fills in the defaults.
func (o Options) withDefaults() (Options, error) {
	if o.Redis == nil {
		return o, errors.New("new chat client: no Redis connection")
	}
	if _, hook := HookName(o.User); !hook {
		if err := ValidateAccount(o.User); err != nil {
			return o, fmt.Errorf("user name: %w", err)
		}
	}
	if o.Keys == (Keys{}) {
		o.Keys = DefaultKeys()
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	if o.PageSize <= 0 {
		o.PageSize = DefaultPageSize
	}
	if o.MaxMessageBytes <= 0 {
		o.MaxMessageBytes = DefaultMaxMessageBytes
	}
	if o.MaxFileBytes <= 0 {
		o.MaxFileBytes = DefaultMaxFileBytes
	}
	def(&o.PingEvery, DefaultPingEvery)
	def(&o.DeadAfter, DefaultDeadAfter)
	def(&o.MaxBackoff, 5*time.Second)
	def(&o.PresenceEvery, DefaultPresenceEvery)
	def(&o.PresenceTTL, 3*o.PresenceEvery)
	def(&o.SendTimeout, DefaultSendTimeout)
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o, nil
}

// Client is one user's connection to rtchat: it sends, it subscribes, and it
// delivers every message of its subscribed channels exactly once, in stream
// order, on Events. Create it with New, start it with Start, stop it with
// Close. A Client is safe for concurrent use.
type Client struct {
	opts     Options
	rdb      redis.UniversalClient
	keys     Keys
	channels *ChannelManager
	subs     *SubscriptionManager
	scripts  *scripts
	// cluster is set on a Redis Cluster, where live messages use sharded
	// Pub/Sub (see links.go).
	cluster *redis.ClusterClient

	// The parts, each with its own state and lock (see their types). Lock
	// order: a follow's mu (one channel's delivery) may be held while
	// taking feed.mu, out.mu or verify.mu; no two of the parts' locks are
	// ever held together, and none is held across a Redis call.
	feed   *feed     // delivery: links, catch-up, chains, watcher, reset
	out    *outbox   // sends, in order, retried
	people *people   // presence, members, typing
	prefs  prefs     // settings and read markers
	verify *verifier // who wrote what
	hist   history   // reads of streams: pages, ranges, threads
	// notices does the reads that notices ask for, off the receive loop.
	notices *notices

	events chan Event
	// emitMu lets Close close events only once no emit is under way;
	// closing unblocks emits that wait for a reader.
	emitMu    sync.RWMutex
	closed    bool
	closing   chan struct{}
	closeOnce sync.Once

	// startMu guards startOpening: what Opening answers, asked when Start
	// registered the user (the first Opening takes it).
	startMu      sync.Mutex
	startOpening func(context.Context) (Opening, error)
	cancel       context.CancelFunc
	done         sync.WaitGroup
}

// New checks opts and returns a Client that is not yet receiving; call Start.
func New(opts Options) (*Client, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	cluster, _ := opts.Redis.(*redis.ClusterClient)
	run := newScripts(opts.Redis, opts.Scripts)
	c := &Client{
		scripts:  run,
		cluster:  cluster,
		opts:     opts,
		rdb:      opts.Redis,
		keys:     opts.Keys,
		channels: &ChannelManager{rdb: opts.Redis, keys: opts.Keys, scripts: run},
		subs:     NewSubscriptionManager(opts.Redis, opts.Keys),
		events:   make(chan Event, 256),
		closing:  make(chan struct{}),
	}
	c.feed = newFeed(c)
	c.out = newOutbox(c)
	c.people = newPeople(c)
	c.prefs = prefs{c}
	c.verify = newVerifier(c)
	c.hist = history{c}
	c.notices = newNotices(func(msg string, args ...any) { c.opts.Logger.Debug(msg, args...) })
	if c.opts.Pins == nil {
		c.opts.Pins = &memoryPins{}
	}
	return c, nil
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
	if err := c.register(ctx, true); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	c.cancel = cancel
	for _, loop := range []func(context.Context){c.feed.receiveLoop, c.out.sendLoop, c.people.presenceLoop, c.people.typingLoop, c.feed.watchLoop, c.verify.verifyLoop, c.notices.loop} {
		c.done.Go(func() { loop(ctx) })
	}
	c.feed.mu.Lock()
	c.feed.loopCtx = ctx
	pending := make([]*link, 0, len(c.feed.shards))
	for _, l := range c.feed.shards {
		pending = append(pending, l)
	}
	c.feed.mu.Unlock()
	for _, l := range pending {
		c.feed.startShard(ctx, l)
	}
	return nil
}

// RegisterKey records the device's signing key among the user's keys, as
// Start does: for a client that sends without starting (the user's own
// record is Start's to write: it is how a client notices a wiped server).
func (c *Client) RegisterKey(ctx context.Context) error {
	s := c.opts.Signer
	if s == nil {
		return nil
	}
	if err := c.rdb.HSet(ctx, c.keys.SigningKeys(c.opts.User), s.KeyID(), s.PublicKey()).Err(); err != nil {
		return fmt.Errorf("register your signing key: %w", CleanRedisError(err))
	}
	return nil
}

// register records the user and the device's signing key; at Start
// (start set) the same round trip carries the session's first presence
// heartbeat and what a window opens with (Opening).
func (c *Client) register(ctx context.Context, start bool) error {
	var opening func(context.Context) (Opening, error)
	var beat *redis.IntCmd
	var instance *redis.StringCmd
	_, err := c.subs.registerUser(ctx, c.opts.User, func(pipe redis.Pipeliner) []redis.Cmder {
		var must []redis.Cmder
		if s := c.opts.Signer; s != nil {
			must = append(must, pipe.HSet(ctx, c.keys.SigningKeys(c.opts.User), s.KeyID(), s.PublicKey()))
		}
		if start {
			opening = c.queueOpening(ctx, pipe)
			beat = c.people.queueHeartbeat(ctx, pipe, true)
			if c.opts.InstanceKey != "" {
				instance = pipe.Get(ctx, c.opts.InstanceKey)
			}
		}
		return must
	})
	if instance != nil {
		c.feed.instance.Store(instance.Val())
	}
	if err == nil && start {
		c.startMu.Lock()
		c.startOpening = opening
		c.startMu.Unlock()
		c.people.startBeat.Store(beat.Err() == nil) // else the presence loop beats first
	}
	return err
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
	switch e := ev.(type) {
	case MessageEvent:
		if c.verify.refuses(e.Message) {
			// Written around the send script (which refuses it), e.g. by
			// redis-cli: it changes nothing, so nobody is told of it.
			c.opts.Logger.Warn("a change of a message not by its author's key; ignored", "channel", e.Message.Channel, "id", e.Message.ID, "of", e.Message.Ref)
			return true
		}
		c.verify.remember(e.Message)
	case HistoryEvent:
		c.verify.rememberAll(e.Messages)
	}
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
	c.feed.mu.Lock()
	defer c.feed.mu.Unlock()
	_, ok := c.feed.follows[channel]
	return ok
}

// CreateChannel makes channel name with a description unless it exists
// (see ChannelManager.Create).
func (c *Client) CreateChannel(ctx context.Context, name, description string) (Channel, bool, error) {
	return c.channels.Create(ctx, name, description, c.opts.User)
}

// Channel returns channel name with its member count; the error wraps
// ErrNoSuchChannel when there is none. A private channel ("+name") comes
// back with Private set and its name as given.
func (c *Client) Channel(ctx context.Context, name string) (Channel, error) {
	if pname, ok := PrivateName(name); ok {
		return c.privateChannel(ctx, pname)
	}
	if peer, ok := PeerOf(name); ok {
		if err := ValidateName(peer); err != nil {
			return Channel{}, err
		}
		n, err := c.rdb.Exists(ctx, c.keys.User(peer), c.keys.SigningKeys(peer)).Result()
		switch {
		case err != nil:
			return Channel{}, fmt.Errorf("look up %s: %w", peer, CleanRedisError(err))
		case n == 0:
			return Channel{}, neverUsed(peer)
		}
		return Channel{Name: name, ID: dmMark, Members: 2}, nil
	}
	return c.channels.Get(ctx, name)
}

// privateChannel reads private channel name.
func (c *Client) privateChannel(ctx context.Context, name string) (Channel, error) {
	if err := ValidateName(name); err != nil {
		return Channel{}, err
	}
	ch, err := readChannel(ctx, c.rdb, Private(name), c.keys.PrivateChannel(name), c.keys.PrivateMembers(name))
	ch.Private = err == nil
	return ch, err
}

// ListChannels returns every public channel and the private channels the
// user belongs to (see ChannelManager.List; Private marks those, their
// names start with "+").
func (c *Client) ListChannels(ctx context.Context) ([]Channel, error) {
	// Two round trips whatever the number of channels: the names, then
	// every channel's record and member count.
	return ownPipeline(ctx, c.rdb, func(pipe redis.Pipeliner) func(context.Context) ([]Channel, error) {
		return c.QueueListChannels(ctx, pipe)
	})
}

// ownPipeline runs what queue puts on a pipeline of its own and answers
// with what queue returned: the Queue* reads for a caller without a
// pipeline to carry them. Each reply is checked by finish.
func ownPipeline[T any](ctx context.Context, rdb redis.UniversalClient, queue func(redis.Pipeliner) func(context.Context) (T, error)) (T, error) {
	pipe := rdb.Pipeline()
	finish := queue(pipe)
	if pipe.Len() > 0 {
		_, _ = pipe.Exec(ctx) // checked in finish
	}
	return finish(ctx)
}

// QueueListChannels is ListChannels for a caller that carries its first
// round trip (the names) in an exchange of its own: it queues it on pipe,
// and finish, once pipe ran, reads the records and answers as
// ListChannels does.
func (c *Client) QueueListChannels(ctx context.Context, pipe redis.Pipeliner) (finish func(context.Context) ([]Channel, error)) {
	index := pipe.SMembers(ctx, c.keys.ChannelIndex())
	mine := pipe.SMembers(ctx, c.keys.UserPrivate(c.opts.User))
	return func(ctx context.Context) ([]Channel, error) { return c.listChannels(ctx, index, mine) }
}

// listChannels reads the records of the channels named by index and
// mine (the user's private channels).
func (c *Client) listChannels(ctx context.Context, index, mine *redis.StringSliceCmd) ([]Channel, error) {
	if err := index.Err(); err != nil {
		return nil, fmt.Errorf("list channels: %w", CleanRedisError(err))
	}
	perr := mine.Err()
	if perr != nil && !redis.HasErrorPrefix(perr, "WRONGTYPE") {
		return nil, fmt.Errorf("list your private channels: %w", CleanRedisError(perr))
	}
	private := slices.Sorted(slices.Values(mine.Val()))
	reads := make([]channelRead, 0, len(private))
	list, err := c.channels.describe(ctx, index.Val(), func(pipe redis.Pipeliner) {
		for _, name := range private {
			if ValidateName(name) == nil {
				reads = append(reads, queueChannel(ctx, pipe, Private(name), c.keys.PrivateChannel(name), c.keys.PrivateMembers(name)))
			}
		}
	})
	var odd *OddKeysError
	if err != nil && !errors.As(err, &odd) {
		return nil, err
	}
	for _, r := range reads {
		// One that cannot be read (no longer a member: NOPERM) or that
		// is gone is left out, as for anyone not in it.
		if ch, err := r.result(); err == nil {
			ch.Private = true
			list = append(list, ch)
		}
	}
	if odd != nil {
		return list, odd
	}
	return list, nil
}

// MyChannels returns the conversations the user keeps, as stored in Redis
// (they survive restarts of the client): the channels they joined (a
// private one, "+name", while they still belong to it) and their direct
// conversations ("@peer"), in one round trip.
func (c *Client) MyChannels(ctx context.Context) ([]string, error) {
	return ownPipeline(ctx, c.rdb, func(pipe redis.Pipeliner) func(context.Context) ([]string, error) {
		return c.queueMine(ctx, pipe)
	})
}

// Opening is what a window needs before it can show anything: the
// conversations to reopen (see MyChannels) and the person's settings.
type Opening struct {
	Channels []string
	Settings Settings
}

// Opening returns what a window reopens with: read with Start's
// registration (no round trip of its own) the first time, afresh (one
// round trip) after. An error says what could not be read; what could
// is there (default settings, the channels that could be read).
func (c *Client) Opening(ctx context.Context) (Opening, error) {
	c.startMu.Lock()
	read := c.startOpening
	c.startOpening = nil
	c.startMu.Unlock()
	if read == nil {
		pipe := c.rdb.Pipeline()
		read = c.queueOpening(ctx, pipe)
		_, _ = pipe.Exec(ctx) // checked in read
	}
	return read(ctx)
}

// queueOpening queues Opening's reads on pipe.
func (c *Client) queueOpening(ctx context.Context, pipe redis.Pipeliner) func(context.Context) (Opening, error) {
	mine, settings := c.queueMine(ctx, pipe), c.prefs.queueSettings(ctx, pipe)
	return func(ctx context.Context) (Opening, error) {
		var o Opening
		var err1, err2 error
		o.Channels, err1 = mine(ctx)
		if o.Settings, err2 = settings(); err2 != nil {
			o.Settings = decodeSettings(nil)
		}
		return o, errors.Join(err1, err2)
	}
}

// queueMine queues on pipe the reads of MyChannels; read gives their
// answer once pipe ran (taking in the inbox's notices, when there are
// any, costs a round trip more).
func (c *Client) queueMine(ctx context.Context, pipe redis.Pipeliner) (read func(context.Context) ([]string, error)) {
	joined := pipe.SMembers(ctx, c.keys.UserChannels(c.opts.User))
	private := pipe.SMembers(ctx, c.keys.UserPrivate(c.opts.User))
	dms := pipe.SMembers(ctx, c.keys.DMList(c.opts.User))
	inbox := c.queueInbox(ctx, pipe)
	return func(ctx context.Context) ([]string, error) {
		var odd OddKeysError
		for _, cmd := range []*redis.StringSliceCmd{joined, private, dms} {
			key := cmd.Args()[1].(string)
			if err := odd.check(key, cmd.Err()); err != nil {
				return nil, fmt.Errorf("channels of %s: %w", c.opts.User, err)
			}
		}
		set := map[string]bool{}
		member := map[string]bool{}
		for _, n := range private.Val() {
			member[n] = true
		}
		for _, n := range joined.Val() {
			name, private := PrivateName(n)
			if ValidateName(name) == nil && (!private || member[name]) {
				set[n] = true
			}
		}
		if err := odd.check(inbox.Args()[1].(string), inbox.Err()); err != nil {
			return nil, fmt.Errorf("channels of %s: %w", c.opts.User, err)
		}
		for _, p := range append(dms.Val(), c.takeInbox(ctx, inbox.Val())...) {
			if ValidateName(p) == nil && p != c.opts.User {
				set[DM(p)] = true
			}
		}
		out := slices.Sorted(maps.Keys(set))
		if len(odd.Keys) > 0 {
			return out, fmt.Errorf("channels of %s: %w", c.opts.User, &odd)
		}
		return out, nil
	}
}

// SetTopic sets channel's description.
func (c *Client) SetTopic(ctx context.Context, channel, topic string) error {
	return c.channels.UpdateDescription(ctx, channel, topic)
}

// DeleteChannel deletes channel if the user created it, and leaves it.
func (c *Client) DeleteChannel(ctx context.Context, channel string) error {
	if c.opts.Accounts {
		return fmt.Errorf("delete %s: %w", Display(channel), ErrAdminOnly)
	}
	if err := c.channels.Delete(ctx, channel, c.opts.User); err != nil {
		return err
	}
	c.feed.unfollow(ctx, channel)
	return nil
}
