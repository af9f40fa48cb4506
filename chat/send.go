package chat

import (
	"context"
	"errors"
	"fmt"
	"net"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// retryMargin widens a retried send's search on both sides, for clocks
// that drift (the search window is measured on the sender's clock and
// placed on the server's).
const retryMargin = 5 * time.Second

// Sent says what a send did.
type Sent struct {
	// ID is the stream id of the stored entry.
	ID ID
	// MsgID is the client-made id the entry carries.
	MsgID string
	// Receivers is how many subscriptions got it live (0 on a deduplicated retry).
	Receivers int64
	// Duplicate is true when the entry had been stored by an earlier try.
	Duplicate bool
}

// Draft is a message to send: Text in Channel, of Kind, with the client-made
// MsgID that makes retries land once (Send makes one when it is empty).
type Draft struct {
	Channel string
	Text    string
	Kind    Kind
	MsgID   string
	// Ref is the message an edit, delete or reaction (Kind) is about.
	Ref ID
	// ReplyTo is the message this one answers; Thread the root of the
	// thread it goes to (zero: none).
	ReplyTo, Thread ID
	// As is the name a hook gives this message (Message.As); only a
	// hook's client may give one. It is cleaned (CleanAs).
	As string
	// file is the file whose bytes SendFile stored for this message.
	file *FileInfo
}

// tries remembers the tries of one send that may have reached the server,
// so that a retry looks for the entry they may have stored (and only a
// retry pays for that search).
type tries struct {
	// seen is the newest id of the channel the client knew before the
	// first try: anything a try stored comes after it.
	seen ID
	// first and last are when the first and the last uncertain try were
	// made (monotonic clock); uncertain is false while none was.
	first, last time.Time
	uncertain   bool
}

// window is the script's retry argument: "" while no try was uncertain.
func (t *tries) window(readTimeout time.Duration) string {
	if !t.uncertain {
		return ""
	}
	first := time.Since(t.first)
	last := max(time.Since(t.last)-readTimeout, 0)
	return fmt.Sprintf("%s %d %d", t.seen, first.Milliseconds(), last.Milliseconds())
}

// uncertainTry records a try that failed in a way that leaves open whether
// the server ran it: the request may have been written before the
// connection broke.
func (t *tries) uncertainTry(at time.Time) {
	if !t.uncertain {
		t.first, t.uncertain = at, true
	}
	t.last = at
}

// mayHaveRun reports whether a try that failed with err may have been
// applied: the request could have reached the server. A refused
// connection, a pool with no connection, or a reply from Redis (which
// the script gives only before it writes anything) say it was not.
func mayHaveRun(err error) bool {
	var rerr redis.Error
	var op *net.OpError
	switch {
	case err == nil, errors.As(err, &rerr):
		return false
	case errors.As(err, &op) && op.Op == "dial":
		return false
	case errors.Is(err, redis.ErrPoolTimeout):
		return false
	}
	return true
}

// noRetry makes go-redis run a command once: a retried send must go
// through the script's duplicate search, which go-redis's own retries
// would skip (they resend the first try as it was).
type noRetry struct{ *redis.Cmd }

// NoRetry tells go-redis not to resend the command.
func (noRetry) NoRetry() bool { return true }

// store sends d, publishing it live when publish is set: one try, then, as
// long as again allows, more tries with the same client-made id after
// errors that may pass. A try that may have been applied makes the next
// one search for its entry instead of adding another.
func (ob *outbox) store(ctx context.Context, d Draft, publish bool, again func(attempt int, err error) bool) (Sent, error) {
	p, err := ob.prepare(ctx, d, publish)
	if err != nil {
		return Sent{}, err
	}
	return ob.tryStore(ctx, p, again)
}

// aSend is one send made ready: its message, the script's arguments,
// and its tries so far.
type aSend struct {
	d Draft
	m Message
	a sendArgs
	t tries
}

// prepare checks d, signs its message and lays out the send script's
// arguments.
func (ob *outbox) prepare(ctx context.Context, d Draft, publish bool) (*aSend, error) {
	if err := checkConvFor(ob.c.opts.User, d.Channel); err != nil {
		return nil, err
	}
	text, err := cleanDraft(d, ob.c.opts.MaxMessageBytes)
	if err != nil {
		return nil, err
	}
	if d.MsgID == "" {
		d.MsgID = newMsgID()
	}
	if d.As != "" {
		if _, hook := HookName(ob.c.opts.User); !hook {
			return nil, errors.New("only a hook's message carries a name of its own")
		}
	}
	m := Message{User: ob.c.opts.User, Text: text, Time: time.Now(), Kind: d.Kind, MsgID: d.MsgID, Ref: d.Ref, ReplyTo: d.ReplyTo, Thread: d.Thread, File: d.file, As: CleanAs(d.As)}
	if ob.c.opts.Signer != nil {
		ob.c.opts.Signer.sign(ob.c.verify.canonical(d.Channel), &m)
	}
	pub := 0
	switch {
	case publish && ob.sharded(d.Channel):
		pub = 2
	case publish:
		pub = 1
	}
	t := tries{seen: ob.knownID(d.Channel)}
	stream, hash := ob.c.hist.streamOf(d.Channel), ob.c.hist.hashOf(d.Channel)
	if _, private := PrivateName(d.Channel); private {
		if err := ob.learnPrivateID(ctx, d.Channel); err != nil {
			return nil, err
		}
		hash = ""
	}
	if hash == "" {
		hash = stream // checked here; and a direct conversation is one slot
	}
	op, target, root := change(&m)
	a := sendArgs{stream: stream, hash: hash, state: stateKey(stream), thread: stream, changes: changesKey(stream, ob.c.opts.User),
		file: stream, files: filesKey(stream),
		maxLen: ob.c.opts.MaxLen, topic: stream, publish: pub, op: op, target: target, changeJSON: stateFragment(&m)}
	if m.File != nil {
		a.file = fileKey(stream, m.User, m.File.ID)
	}
	if !root.IsZero() {
		a.thread = threadKey(stream, root)
	}
	return &aSend{d: d, m: m, a: a, t: t}, nil
}

// attempt fills in the arguments of p's next try.
func (ob *outbox) attempt(p *aSend) {
	m, a := &p.m, &p.a
	m.ChannelID = ob.channelID(p.d.Channel)
	a.live, a.retry = liveFields(*m), p.t.window(ob.readTimeout())
	a.user, a.text, a.ts, a.msgID, a.channelID = m.User, m.Text, strconv.FormatInt(m.Time.UnixMilli(), 10), m.MsgID, m.ChannelID
	a.more = entryMore(*m)
}

// tryStore runs p's send until it is stored, retrying a lost link (a try
// that may have run is searched for first, so it is stored once) as long
// as again says.
func (ob *outbox) tryStore(ctx context.Context, p *aSend, again func(attempt int, err error) bool) (Sent, error) {
	d := p.d
	for attempt := 1; ; attempt++ {
		ob.attempt(p)
		at := time.Now()
		res, err := ob.c.scripts.runOnce(ctx, sendScript, p.a.keys(), p.a.argv()...).Slice()
		if err == nil {
			return ob.sent(d, res)
		}
		if mayHaveRun(err) {
			p.t.uncertainTry(at)
		}
		err = sendError(d.Channel, err)
		if !Retryable(err) || !again(attempt, err) {
			return Sent{}, err
		}
		if !sleep(ctx, Backoff(attempt, ob.c.opts.MaxBackoff)) {
			return Sent{}, fmt.Errorf("send to %q: %w", d.Channel, ctx.Err())
		}
		if ob.c.cluster != nil {
			// A failover moves the slot to another node: ask again.
			ob.c.cluster.ReloadState(ctx)
		}
	}
}

// BroadcastAll stores and publishes drafts in order, as Broadcast does
// each, many a round trip: their sends go out in one pipeline, which
// Redis runs in order. A send the pipeline did not store (a lost link,
// a server that lacked the functions) is tried again on its own, in
// order, searched for first where it may have run, so each draft is
// stored once. It returns what was stored so far and the first error.
func (c *Client) BroadcastAll(ctx context.Context, drafts []Draft) ([]Sent, error) {
	// Signing is most of a send's cost here: the drafts are made ready
	// on every CPU.
	ps := make([]*aSend, len(drafts))
	errs := make([]error, len(drafts))
	workers := min(runtime.GOMAXPROCS(0), max(len(drafts)/16, 1))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(drafts); i += workers {
				ps[i], errs[i] = c.out.prepare(ctx, drafts[i], true)
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	cmds := make([]*redis.Cmd, len(ps))
	pipe := c.rdb.Pipeline()
	for i, p := range ps {
		c.out.attempt(p)
		cmds[i] = c.scripts.command(ctx, sendScript, p.a.keys(), p.a.argv())
		_ = pipe.Process(ctx, noRetry{cmds[i]})
	}
	at := time.Now()
	_, _ = pipe.Exec(ctx) // each command holds its own outcome
	out := make([]Sent, 0, len(ps))
	again := within(c.opts.SendTimeout)
	for i, p := range ps {
		s, err := Sent{}, cmds[i].Err()
		if err == nil {
			var res []any
			if res, err = cmds[i].Slice(); err == nil {
				s, err = c.out.sent(p.d, res)
			}
		} else {
			if mayHaveRun(err) {
				p.t.uncertainTry(at)
			}
			s, err = c.out.tryStore(ctx, p, again)
		}
		if err != nil {
			return out, err
		}
		out = append(out, s)
	}
	return out, nil
}

// sent reads the send script's reply.
func (ob *outbox) sent(d Draft, res []any) (Sent, error) {
	if len(res) != 5 {
		return Sent{}, fmt.Errorf("send to %q: unexpected reply %v", d.Channel, res)
	}
	if w, _ := res[4].(string); w != "" {
		// Stored, but a write after it failed (the account's rules are
		// older than this rtchat's, most likely).
		ob.c.opts.Logger.Warn("a message was stored, but not all of what goes with it", "channel", d.Channel, "err", w)
	}
	raw, _ := res[0].(string)
	id, err := ParseID(raw)
	if err != nil {
		return Sent{}, fmt.Errorf("send to %q: %w", d.Channel, err)
	}
	n, _ := res[1].(int64)
	stored, _ := res[2].(int64)
	if cid, _ := res[3].(string); cid != "" {
		ob.rememberChannel(d.Channel, cid, id)
	}
	ob.c.feed.clock.observe(id.MS)
	return Sent{ID: id, MsgID: d.MsgID, Receivers: n, Duplicate: stored == 0}, nil
}

// sendError turns a failed send into an error callers can branch on.
func sendError(channel string, err error) error {
	if serr, ok := structureError(err); ok {
		return fmt.Errorf("send to %q: %w", channel, serr)
	}
	switch {
	case redis.HasErrorPrefix(err, "NOCHANNEL"):
		return fmt.Errorf("send to %q: %w", channel, ErrNoSuchChannel)
	case redis.HasErrorPrefix(err, "NOFILE"):
		msg := strings.TrimPrefix(CleanRedisError(err).Error(), "NOFILE ")
		return fmt.Errorf("not sent to %s: %w: %s", Display(channel), ErrFileGone, msg)
	case redis.HasErrorPrefix(err, "BADKEY"), redis.HasErrorPrefix(err, "BADSTATE"):
		return fmt.Errorf("not sent to %s: %w", Display(channel), damaged(err))
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("send to %q: %w", channel, err)
	}
	return fmt.Errorf("send to %q: %w", channel, CleanRedisError(err))
}

// readTimeout is how long go-redis waits for a reply (its default when
// the connection's options do not say).
func (ob *outbox) readTimeout() time.Duration {
	if o, ok := ob.c.rdb.(interface{ Options() *redis.Options }); ok && o.Options().ReadTimeout > 0 {
		return o.Options().ReadTimeout
	}
	return 3 * time.Second
}

// learnPrivateID reads the id of private channel conv unless the client
// knows it: the send script may not read its hash (members only read it).
func (ob *outbox) learnPrivateID(ctx context.Context, conv string) error {
	if ob.channelID(conv) != "" {
		return nil
	}
	ch, err := ob.c.Channel(ctx, conv)
	if err != nil {
		return fmt.Errorf("send to %q: %w", conv, err)
	}
	ob.rememberChannel(conv, ch.ID, ID{})
	return nil
}

// channelID returns the id of channel if the client knows it ("" lets the
// send script read it; "@" marks a direct conversation).
func (ob *outbox) channelID(channel string) string {
	if _, dm := PeerOf(channel); dm {
		return dmMark
	}
	ob.mu.Lock()
	defer ob.mu.Unlock()
	return ob.ids[channel]
}

// knownID returns the newest id the client knows to be in channel's
// stream (from its reads and its sends; never from a live payload, which
// anyone may forge).
func (ob *outbox) knownID(channel string) ID {
	ob.mu.Lock()
	defer ob.mu.Unlock()
	return ob.known[channel]
}

// noteKnown records that id is in channel's stream. Callers may hold a
// follow's mu (never the other way round).
func (ob *outbox) noteKnown(channel string, id ID) {
	ob.mu.Lock()
	defer ob.mu.Unlock()
	if id.After(ob.known[channel]) {
		ob.known[channel] = id
	}
}

// rememberChannel records channel's id and an id known to be in its stream.
func (ob *outbox) rememberChannel(channel, cid string, id ID) {
	ob.mu.Lock()
	if cid != "" {
		ob.ids[channel] = cid
	}
	ob.mu.Unlock()
	ob.noteKnown(channel, id)
}

// within returns a retry policy that keeps trying for d.
func within(d time.Duration) func(int, error) bool {
	deadline := time.Now().Add(d)
	return func(int, error) bool { return time.Now().Before(deadline) }
}

// ProduceMessage appends text to channel's stream (XADD) without publishing
// it live — the "message producer" role. It returns the
// stream id. Live subscribers see the entry when a Client's watcher fans it
// out (Fanout), or when they next catch up.
func (c *Client) ProduceMessage(ctx context.Context, channel, text string) (ID, error) {
	s, err := c.out.store(ctx, Draft{Channel: channel, Text: text}, false, within(c.opts.SendTimeout))
	return s.ID, err
}

// BroadcastMessage stores text in channel's stream and publishes the stored
// entry to every live subscriber in one atomic step — the original
// request's "send → produced to the stream and published live", the way
// every chat message is sent. It retries lost connections for up to
// Options.SendTimeout; a retry after a lost reply is stored once.
func (c *Client) BroadcastMessage(ctx context.Context, channel, text string) (Sent, error) {
	return c.Broadcast(ctx, Draft{Channel: channel, Text: text})
}

// Broadcast is BroadcastMessage for a whole Draft (kind, client-made id).
func (c *Client) Broadcast(ctx context.Context, d Draft) (Sent, error) {
	s, err := c.out.store(ctx, d, true, within(c.opts.SendTimeout))
	if err == nil {
		c.tellMentioned(ctx, d, s)
	}
	return s, err
}

// PublishMessage publishes text to channel's live subscribers without storing
// it (Pub/Sub alone, at most once) — the "message publisher" role. It
// returns how many subscriptions received it. Receivers get
// it as a Message with Ephemeral set and the zero ID.
func (c *Client) PublishMessage(ctx context.Context, channel, text string) (int64, error) {
	if err := ValidateConv(channel); err != nil {
		return 0, err
	}
	text, err := CleanText(text, c.opts.MaxMessageBytes)
	if err != nil {
		return 0, err
	}
	m := Message{MsgID: newMsgID(), User: c.opts.User, Text: text, Time: time.Now()}
	n, err := c.out.publish(ctx, channel, liveVersion+"\n\n"+liveFields(m)).Result()
	if err != nil {
		return 0, fmt.Errorf("publish to %q: %w", channel, err)
	}
	return n, nil
}

// publish sends a live payload on conv's topic: sharded on a cluster
// (but for direct conversations, which use pattern subscriptions), plain
// otherwise.
func (ob *outbox) publish(ctx context.Context, conv, payload string) *redis.IntCmd {
	if ob.sharded(conv) {
		return ob.c.rdb.SPublish(ctx, ob.c.hist.streamOf(conv), payload)
	}
	return ob.c.rdb.Publish(ctx, ob.c.hist.streamOf(conv), payload)
}

// sharded reports whether conv's live messages use sharded Pub/Sub: on a
// cluster, every conversation but the direct ones (their receivers
// subscribe by pattern, which sharded Pub/Sub does not have).
func (ob *outbox) sharded(conv string) bool {
	_, dm := PeerOf(conv)
	return ob.c.cluster != nil && !dm
}

// outgoing is one queued send.
type outgoing struct{ draft Draft }

// outbox is the client's part that sends: Send queues drafts, sendLoop
// stores them in order and retries a lost link with the same id, so each
// is stored once. mu guards known and ids; it may be taken under a
// follow's mu (delivery notes the ids it sees), never the other way round,
// and is never held across a Redis call.
type outbox struct {
	c     *Client
	queue chan outgoing
	mu    sync.Mutex
	// known is the newest id the client knows in channels it does not
	// follow (from its own sends), the start of a retried send's search;
	// ids are the channel ids it learnt from its sends.
	known map[string]ID
	ids   map[string]string
}

func newOutbox(c *Client) *outbox {
	return &outbox{c: c, queue: make(chan outgoing, 1024), known: map[string]ID{}, ids: map[string]string{}}
}

// Send queues d for sending in order and returns its message id at once. The
// outcome arrives as SendEvents: Pending while the link is down (the client
// retries with the same id, so it is stored once), then the stream ID, or
// the error that makes it unsendable (bad name, too long, no channel).
// Validation errors are returned directly and nothing is queued.
func (c *Client) Send(d Draft) (string, error) {
	if err := checkConvFor(c.opts.User, d.Channel); err != nil {
		return "", err
	}
	if _, err := cleanDraft(d, c.opts.MaxMessageBytes); err != nil {
		return "", err
	}
	if d.MsgID == "" {
		d.MsgID = newMsgID()
	}
	c.people.sentMessage(d.Channel)
	select {
	case c.out.queue <- outgoing{d}:
		return d.MsgID, nil
	default:
		return "", errors.New("too many messages are waiting to be sent; wait for the connection to come back")
	}
}

// sendLoop sends queued drafts in order, retrying each with backoff for as
// long as the error may pass.
func (ob *outbox) sendLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case o := <-ob.queue:
			d := o.draft
			s, err := ob.store(ctx, d, true, func(attempt int, err error) bool {
				if attempt == 1 {
					ob.c.emit(ctx, SendEvent{MsgID: d.MsgID, Channel: d.Channel, Pending: true})
				}
				return true
			})
			if ctx.Err() != nil {
				return
			}
			ob.c.emit(ctx, SendEvent{MsgID: d.MsgID, Channel: d.Channel, ID: s.ID, Err: err})
			if err == nil {
				// Off the send loop: the next message does not wait for
				// the notices (one round trip, two for a reply).
				ob.c.done.Go(func() { ob.c.tellMentioned(ctx, d, s) })
			}
		}
	}
}

// Retryable reports whether err may pass if the same call is tried again:
// a connection problem, a server that is loading, failing over or
// unwritable for a moment, or one that now wants a password (given by a
// restart of rtchat). Refusals by Redis and by validation are final.
func Retryable(err error) bool {
	if err == nil {
		return false
	}
	for _, e := range []error{ErrInvalidName, ErrMessageTooLong, ErrEmptyMessage, ErrNoSuchChannel, ErrNoSuchUser, ErrNotOwner, ErrAdminOnly, ErrPrivateName,
		ErrNoSuchMessage, ErrNotAuthor, ErrBadReaction, ErrDamaged, ErrNoLibrary, ErrFileGone, ErrFileTooLarge, ErrFileMismatch, ErrBotDM, context.Canceled, context.DeadlineExceeded} {
		if errors.Is(err, e) {
			return false
		}
	}
	var rerr redis.Error
	if errors.As(err, &rerr) {
		// BUSY: a script or function runs long (an admin can end it
		// with SCRIPT KILL or FUNCTION KILL); nothing of ours ran.
		return redis.HasErrorPrefix(err, "BUSY") || redis.IsLoadingError(err) || redis.IsClusterDownError(err) || redis.IsTryAgainError(err) ||
			redis.IsMasterDownError(err) || redis.IsReadOnlyError(err) || redis.IsAuthError(err) || redis.IsMaxClientsError(err)
	}
	return true
}

// scriptSuffix is what Redis adds to an error raised inside a script or
// a function: ". script: <sha or function>, on @user_script:12." (or
// "@user_function:12."), and the line a Lua error names.
var scriptSuffix = regexp.MustCompile(`(?:\.)? script: [0-9A-Za-z_]+, on @user_(?:script|function):\d+\.?$|^ERR Error running script \(call to f_[0-9a-f]+\): @user_script:\d+: |^ERR user_(?:script|function):\d+: `)

// CleanRedisError drops the script id and line number Redis adds to an
// error raised inside a script, which mean nothing to a user; the error
// still matches go-redis's predicates.
func CleanRedisError(err error) error {
	var rerr redis.Error
	if !errors.As(err, &rerr) {
		return err
	}
	msg := scriptSuffix.ReplaceAllString(rerr.Error(), "")
	if redis.HasErrorPrefix(err, "NOPERM") || strings.Contains(msg, "can't run this command") {
		// A rule of the account's, not a fault: say who can mend it.
		msg = strings.TrimPrefix(msg, "ERR ") + " — your Redis account may not do this; if rtchat was upgraded, ask an admin to run 'rtchat admin user renew' for you"
	}
	if msg == rerr.Error() {
		return err
	}
	return cleanedError{msg: msg, err: err}
}

// ErrDamaged says that a key rtchat uses holds what another tool wrote
// (a value of another type, a record that does not decode): the program
// that met it refused and wrote nothing.
var ErrDamaged = errors.New("a key holds what another tool wrote")

// damaged turns a program's BADKEY or BADSTATE refusal into an error
// that wraps ErrDamaged and says which key, and what to do.
func damaged(err error) error {
	msg := CleanRedisError(err).Error()
	for _, p := range []string{"BADKEY ", "BADSTATE "} {
		msg = strings.TrimPrefix(msg, p)
	}
	return cleanedError{msg: msg, err: fmt.Errorf("%w: %w", ErrDamaged, err)}
}

type cleanedError struct {
	msg string
	err error
}

func (e cleanedError) Error() string { return e.msg }
func (e cleanedError) Unwrap() error { return e.err }
