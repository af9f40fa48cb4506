package chat

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// readPage is how many entries one read of a stream takes when the client
// catches up or fans out: catching up after a long absence is many reads
// of this size, never one huge one.
const readPage = 1000

// verifyEvery is the most often a channel's stream is read because of live
// entries that do not follow what was shown: a flood of forged payloads
// costs one read per channel per verifyEvery, not one per payload.
const verifyEvery = 100 * time.Millisecond

// follow is the delivery state of one followed channel.
type follow struct {
	// mu serialises delivery in the channel: live entries and stream reads
	// of one channel never interleave.
	mu    sync.Mutex
	chain *chain
	// member is true when the user joined the channel (not only follows
	// it, as "tail -f" does).
	member bool
	// reset is set when the server lost its data: the next catch-up must
	// not call the loss a trimmed history.
	reset bool
	// nextRead is when the stream may next be read for an odd live entry;
	// due is set when one waits for that moment.
	nextRead time.Time
	due      bool
}

// SubscribeToChannel subscribes the client's user to channel — the
// original request's "subscribe → user added to the channel's set" and
// "live receipt": the user joins the channel's member Set, a HistoryEvent
// with the newest page is emitted, and from then on every new entry arrives
// once, in order, as a MessageEvent. The channel must exist (see
// CreateChannel). It returns the channel's member count. Subscribing again
// is harmless and emits nothing. A private channel ("+name") takes only its
// members, as an admin set them; a direct conversation ("@peer") adds each
// side to the other's list of conversations.
func (c *Client) SubscribeToChannel(ctx context.Context, channel string) (int64, error) {
	if isDM(channel) {
		if err := c.openDM(ctx, channel); err != nil {
			return 0, err
		}
		return 2, c.follow(ctx, channel, true, c.opts.PageSize)
	}
	ch, err := c.Channel(ctx, channel)
	if err != nil {
		return 0, fmt.Errorf("subscribe: %w", err)
	}
	n := ch.Members
	if _, private := PrivateName(channel); private {
		err = c.rdb.SAdd(ctx, c.keys.UserChannels(c.opts.User), channel).Err()
	} else {
		n, err = c.subs.Add(ctx, c.opts.User, channel)
	}
	var odd *OddKeysError
	if errors.As(err, &odd) || redis.HasErrorPrefix(err, "WRONGTYPE") {
		c.emit(ctx, NoticeEvent{Text: fmt.Sprintf("joined %s, but it will not reopen at the next start: %v", Display(channel), err)})
		err = nil
	}
	if err != nil {
		return 0, err
	}
	c.rememberChannel(channel, ch.ID, ID{})
	return n, c.follow(ctx, channel, true, c.opts.PageSize)
}

// openDM opens the direct conversation conv ("@peer"): the peer must have
// used rtchat here, and each side joins the other's list.
func (c *Client) openDM(ctx context.Context, conv string) error {
	peer, _ := PeerOf(conv)
	if peer == c.opts.User {
		return fmt.Errorf("a direct conversation needs someone else: %w", ErrNoSuchUser)
	}
	pipe := c.rdb.Pipeline()
	known := pipe.Exists(ctx, c.keys.User(peer), c.keys.SigningKeys(peer))
	pipe.SAdd(ctx, c.keys.DMList(c.opts.User), peer)
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("open %s: %w", conv, CleanRedisError(err))
	}
	if known.Val() == 0 {
		_ = c.rdb.SRem(ctx, c.keys.DMList(c.opts.User), peer).Err()
		return neverUsed(peer)
	}
	// Telling the peer is best effort: their client also finds a new
	// conversation by its pattern subscription.
	if err := c.rdb.SAdd(ctx, c.keys.DMList(peer), c.opts.User).Err(); err != nil {
		c.opts.Logger.Debug("tell the peer of a direct conversation", "peer", peer, "err", err)
	}
	return nil
}

// Open makes conv ready to send to, without following it: a public
// channel is created if new (with an empty description), a private one
// must exist (an admin makes those), and "@peer" opens the direct
// conversation with peer. It returns the conversation.
func (c *Client) Open(ctx context.Context, conv string) (Channel, error) {
	if err := ValidateConv(conv); err != nil {
		return Channel{}, err
	}
	if isDM(conv) {
		return Channel{Name: conv, ID: dmMark, Members: 2}, c.openDM(ctx, conv)
	}
	if _, private := PrivateName(conv); private {
		return c.Channel(ctx, conv)
	}
	ch, _, err := c.channels.Create(ctx, conv, "", c.opts.User)
	return ch, err
}

// Follow delivers channel live, like SubscribeToChannel, without making the
// user a member (for "rtchat tail -f"): a HistoryEvent with the newest
// pageSize entries, then every new entry once, in order. Following a
// channel already followed emits nothing.
func (c *Client) Follow(ctx context.Context, channel string, pageSize int64) error {
	return c.follow(ctx, channel, false, pageSize)
}

func (c *Client) follow(ctx context.Context, channel string, member bool, pageSize int64) error {
	if c.Joined(channel) {
		return nil
	}
	ev, last, members, err := c.firstPage(ctx, channel, pageSize, member)
	if err != nil {
		return err
	}
	// The page goes out before the live subscription exists, so no live
	// entry of this channel can overtake it.
	if !c.emit(ctx, ev) {
		return ctx.Err()
	}
	if member {
		c.emit(ctx, MembersEvent{Channel: channel, Members: members})
		c.watchPeople(members)
	}
	c.mu.Lock()
	if _, dup := c.follows[channel]; dup {
		c.mu.Unlock()
		return nil
	}
	c.follows[channel] = &follow{chain: newChain(last), member: member}
	c.mu.Unlock()
	return c.carry(ctx, channel)
}

// firstPage reads the newest page of channel, the user's read marker, the
// server's clock and (for a member) the channel's members in one round
// trip, and counts what is unread; last is the newest entry's id, the
// point to follow from. With pageSize ≤ 0 the event holds no messages:
// only what comes after now is wanted.
func (c *Client) firstPage(ctx context.Context, channel string, pageSize int64, member bool) (ev HistoryEvent, last ID, members []string, err error) {
	if err := ValidateConv(channel); err != nil {
		return ev, last, nil, err
	}
	n := max(pageSize, 1)
	pipe := c.rdb.Pipeline()
	stream := c.streamOf(channel)
	pageKeys, pageArgs := []string{stream, stateKey(stream)}, []any{"+", n, pageScan}
	xs := pageScript.EvalSha(ctx, pipe, pageKeys, pageArgs...)
	mark := pipe.HGet(ctx, c.keys.ReadMarks(c.opts.User), channel)
	now := pipe.Time(ctx)
	var mem *redis.StringSliceCmd
	peer, dm := PeerOf(channel)
	switch name, private := PrivateName(channel); {
	case !member:
	case dm:
		members = []string{c.opts.User, peer}
	case private:
		mem = pipe.SMembers(ctx, c.keys.PrivateMembers(name))
	default:
		mem = pipe.SMembers(ctx, c.keys.Members(channel))
	}
	_, _ = pipe.Exec(ctx) // each reply is checked below
	res, err := xs.Slice()
	if redis.HasErrorPrefix(err, "NOSCRIPT") {
		// The first page read on this server: load the script.
		res, err = pageScript.Run(ctx, c.rdb, pageKeys, pageArgs...).Slice()
	}
	if err != nil {
		return ev, last, nil, fmt.Errorf("read history of %q: %w", channel, CleanRedisError(err))
	}
	if err := mark.Err(); err != nil && err != redis.Nil {
		return ev, last, nil, fmt.Errorf("read marker of %q: %w", channel, CleanRedisError(err))
	}
	if mem != nil {
		if members, err = mem.Result(); err != nil {
			return ev, last, nil, fmt.Errorf("read members of %q: %w", channel, CleanRedisError(err))
		}
	}
	slices.Sort(members)
	if t, err := now.Result(); err == nil {
		c.clock.observe(uint64(t.UnixMilli()))
	}
	ev.Channel = channel
	// The newest entry, shown or not (a change, a thread reply), is where
	// delivery goes on from: the page's states include its effects.
	msgs, more, last := c.decodePage(channel, res)
	c.clock.observe(last.MS)
	if pageSize <= 0 {
		ev.Complete = !more && len(msgs) == 0
		return ev, last, members, nil
	}
	ev.Messages, ev.Complete = msgs, !more
	ev.ReadID = c.validMarker(channel, mark.Val())
	if ev.ReadID.IsZero() && dm {
		// A direct conversation never read is news from its start, not
		// history: its marker lies before every entry.
		ev.ReadID = beforeAll
	}
	if ev.Unread, err = c.unread(ctx, channel, ev.ReadID, msgs, !more); err != nil {
		return HistoryEvent{}, last, nil, err
	}
	return ev, last, members, nil
}

// beforeAll is a read marker before every entry of a stream.
var beforeAll = ID{MS: 0, Seq: 1}

// Join opens channel (see Open) and subscribes to it; it returns the
// channel.
func (c *Client) Join(ctx context.Context, channel string) (Channel, error) {
	ch, err := c.Open(ctx, channel)
	if err != nil {
		return Channel{}, err
	}
	if isDM(channel) {
		return ch, c.follow(ctx, channel, true, c.opts.PageSize) // Open did the rest
	}
	if ch.Members, err = c.SubscribeToChannel(ctx, channel); err != nil {
		return Channel{}, err
	}
	return ch, nil
}

func isDM(conv string) bool { _, ok := PeerOf(conv); return ok }

// Leave unsubscribes the user from channel: no more live messages, and the
// user leaves the member Set (a direct conversation leaves the user's
// list; a private channel's members stay as an admin set them).
func (c *Client) Leave(ctx context.Context, channel string) error {
	c.unfollow(ctx, channel)
	if peer, dm := PeerOf(channel); dm {
		return c.rdb.SRem(ctx, c.keys.DMList(c.opts.User), peer).Err()
	}
	if _, private := PrivateName(channel); private {
		return c.rdb.SRem(ctx, c.keys.UserChannels(c.opts.User), channel).Err()
	}
	return c.subs.Remove(ctx, c.opts.User, channel)
}

// State returns the link's current state.
func (c *Client) State() StateEvent {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state
}

func (c *Client) setState(ctx context.Context, s StateEvent) {
	c.mu.Lock()
	changed := c.state.State != s.State || c.state.Attempt != s.Attempt
	c.state = s
	c.mu.Unlock()
	if changed {
		c.emit(ctx, s)
	}
}

// followed returns the delivery state of channel, or nil.
func (c *Client) followed(channel string) *follow {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.follows[channel]
}

// handleLive handles one message on a Pub/Sub topic: the client's own
// topics, typing notices, and live entries, which are delivered when they
// follow what was shown and otherwise make the client read the stream
// (chain.go).
func (c *Client) handleLive(ctx context.Context, m *redis.Message) error {
	if c.handleOwn(ctx, m) {
		return nil
	}
	name, ok := c.convOfTopic(m.Channel)
	if !ok {
		return nil
	}
	if user, ok := strings.CutPrefix(m.Payload, typingPrefix); ok {
		if user != c.opts.User && validName(user) && c.Joined(name) {
			c.emit(ctx, TypingEvent{Channel: name, User: user})
		}
		return nil
	}
	f := c.followed(name)
	if f == nil && c.opts.AutoJoin && isDM(name) && !strings.HasPrefix(m.Payload, liveVersion+"\n") {
		// Someone opened a conversation with the user: follow it (its
		// first page holds this entry).
		peer, _ := PeerOf(name)
		_ = c.rdb.SAdd(ctx, c.keys.DMList(c.opts.User), peer).Err()
		c.emit(ctx, JoinedEvent{Channel: Channel{Name: name, ID: dmMark, Members: 2}})
		return c.follow(ctx, name, true, c.opts.PageSize)
	}
	if f == nil {
		return nil
	}
	msg, prev, err := decodeLive(name, m.Payload)
	if err != nil {
		c.opts.Logger.Warn("undecodable live message", "channel", name, "err", err)
		return nil
	}
	if msg.Ephemeral {
		c.emit(ctx, MessageEvent{Message: msg})
		return nil
	}
	if prev.IsZero() && !c.lastShown(f).IsZero() {
		// The stream was empty before this entry, yet the client has
		// shown entries of it: the server may have lost its data.
		if err := c.checkWiped(ctx); err != nil {
			return err
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	now := c.clock.now()
	switch f.chain.offer(msg.ID, prev, now) {
	case deliverIt:
		f.chain.delivered(msg.ID, now)
		c.emit(ctx, MessageEvent{Message: msg})
		return nil
	case dropIt:
		return nil
	case refuseIt:
		c.opts.Logger.Warn("refused a live entry whose id is ahead of the server's clock", "channel", name, "id", msg.ID, "server_ms", now.ms)
	}
	return c.readSoon(ctx, name, f)
}

// lastShown returns the newest entry delivered in f.
func (c *Client) lastShown(f *follow) ID {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.chain.last
}

// readSoon reads channel's stream after the floor now, or marks it due
// when the last such read was less than verifyEvery ago. f.mu is held.
func (c *Client) readSoon(ctx context.Context, channel string, f *follow) error {
	if now := time.Now(); now.Before(f.nextRead) {
		f.due = true
		c.due.Store(true)
		return nil
	}
	return c.catchUpLocked(ctx, channel, f)
}

// readDue performs the stream reads that readSoon put off, once their
// time has come.
func (c *Client) readDue(ctx context.Context) error {
	if !c.due.Swap(false) {
		return nil
	}
	c.mu.Lock()
	follows := maps.Clone(c.follows)
	c.mu.Unlock()
	for name, f := range follows {
		f.mu.Lock()
		var err error
		switch {
		case !f.due:
		case time.Now().Before(f.nextRead):
			c.due.Store(true)
		default:
			err = c.catchUpLocked(ctx, name, f)
		}
		f.mu.Unlock()
		if err != nil {
			return err
		}
	}
	return nil
}

// catchUp delivers every entry of channel's stream after the floor that
// was not delivered yet, page by page.
func (c *Client) catchUp(ctx context.Context, channel string) error {
	f := c.followed(channel)
	if f == nil {
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return c.catchUpLocked(ctx, channel, f)
}

// catchUpLocked is catchUp with f.mu held.
func (c *Client) catchUpLocked(ctx context.Context, channel string, f *follow) error {
	f.due, f.nextRead = false, time.Now().Add(verifyEvery)
	after := f.chain.floor
	newest := ID{}
	for {
		msgs, err := c.consume(ctx, channel, after, readPage)
		if err != nil {
			return fmt.Errorf("catch up: %w", err)
		}
		for _, m := range msgs {
			if f.chain.shouldDeliver(m.ID) {
				c.emit(ctx, MessageEvent{Message: m})
			}
			after, newest = m.ID, m.ID
		}
		if len(msgs) < readPage {
			break
		}
	}
	c.clock.observe(newest.MS)
	if phantoms := f.chain.read(newest); len(phantoms) > 0 {
		c.opts.Logger.Warn("live entries that the stream does not hold were shown; taking them back", "channel", channel, "ids", phantoms)
		c.emit(ctx, RetractedEvent{Channel: channel, IDs: phantoms})
	}
	c.noteKnown(channel, f.chain.floor)
	return nil
}

// checkTrimmed emits a TruncatedEvent when channel's stream was trimmed
// past the newest entry the client showed while the client was away: that
// entry is gone, yet older than what remains, so entries after it may have
// gone too. (Redis records no exact count of what trimming removed. A
// forged live entry cannot fake this: its id is not older than what
// remains.)
func (c *Client) checkTrimmed(ctx context.Context, channel string) {
	f := c.followed(channel)
	if f == nil {
		return
	}
	f.mu.Lock()
	last, reset := f.chain.last, f.reset
	f.reset = false
	f.mu.Unlock()
	if last.IsZero() || reset {
		return
	}
	key := c.streamOf(channel)
	pipe := c.rdb.Pipeline()
	self := pipe.XRangeN(ctx, key, last.String(), last.String(), 1)
	first := pipe.XRangeN(ctx, key, "-", "+", 1)
	if _, err := pipe.Exec(ctx); err != nil {
		return
	}
	if len(self.Val()) > 0 || len(first.Val()) == 0 {
		return
	}
	if oldest, ok := parseID(first.Val()[0].ID); ok && oldest.After(last) {
		c.emit(ctx, TruncatedEvent{Channel: channel})
	}
}

// followedNames returns the channels the client follows.
func (c *Client) followedNames() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Sorted(maps.Keys(c.follows))
}

// Backoff returns the delay before reconnect attempt n (1-based):
// exponential from 100 ms, doubled each attempt, capped at max, with full
// jitter in its upper half so that many clients do not return in lockstep.
func Backoff(n int, max time.Duration) time.Duration {
	d := 100 * time.Millisecond
	for i := 1; i < n && d < max; i++ {
		d *= 2
	}
	d = min(d, max)
	return d/2 + rand.N(d/2+1)
}

// sleep waits d or until ctx ends; it reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
