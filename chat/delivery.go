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
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// catchUpBatch is how many entries one read of a stream takes when the client
// catches up or fans out: catching up after a long absence is many reads
// of this size, never one huge one.
const catchUpBatch = 1000

// oddReadEvery is the most often a channel's stream is read because of live
// entries that do not follow what was shown: a flood of forged payloads
// costs one read per channel per oddReadEvery, not one per payload.
const oddReadEvery = 100 * time.Millisecond

// feed is the exactly-once delivery engine, the part to audit alone: it
// follows channels and keeps each one's chain (delivery.go, chain.go), runs
// the Pub/Sub links and their receive loops (links.go, session.go), catches
// up from the streams, fans out entries stored without being published
// (watch.go) and registers the user again after the server lost its data
// (reset.go).
//
// mu guards follows, plain's and the shards' names, shards, loopCtx and
// state. A follow's own mu may be held while taking mu, never the other
// way round; mu is never held across a Redis call.
type feed struct {
	c  *Client
	mu sync.Mutex
	// follows are the followed channels by name.
	follows map[string]*follow
	plain   *link            // the plain Pub/Sub link
	shards  map[string]*link // sharded links by master address (cluster)
	loopCtx context.Context  // the context of the receive loops, once started
	state   StateEvent
	// clock estimates the server's time (from ids read and sent, and TIME).
	clock serverClock
	// wake tells the watcher that the set of followed channels changed.
	wake chan struct{}
	// due is set while a stream read put off by readSoon waits;
	// resetting while the client registers again after a data loss.
	due, resetting atomic.Bool
	// instance is the value of Options.InstanceKey on the server the
	// client registered on last ("" without one).
	instance atomic.Value
}

func newFeed(c *Client) *feed {
	k, user := c.opts.Keys, c.opts.User
	patterns := k.dmPatterns(user)
	if _, bot := IntegrationName(user); bot {
		// A hook or a bot has no direct conversations: nothing to hear
		// (and a hooks account may not subscribe to them, each hook's
		// name being a pattern of its own).
		patterns = nil
	}
	return &feed{
		c:       c,
		follows: map[string]*follow{},
		plain:   &link{own: []string{k.ChannelEvents(), k.UserEvents(user), k.PresenceEvents()}, patterns: patterns},
		shards:  map[string]*link{},
		state:   StateEvent{State: StateConnecting},
		wake:    make(chan struct{}, 1),
	}
}

// openedByPeer follows direct conversation name, which the other person
// opened, and keeps it in the user's list (unless it is followed by now).
func (fd *feed) openedByPeer(ctx context.Context, name string) {
	if fd.followed(name) != nil {
		return
	}
	peer, _ := PeerOf(name)
	if err := fd.c.rdb.SAdd(ctx, fd.c.keys.DMList(fd.c.opts.User), peer).Err(); err != nil {
		fd.c.opts.Logger.Warn("keep a conversation someone opened in your list", "conversation", name, "err", err)
	}
	fd.c.emit(ctx, JoinedEvent{Channel: Channel{Name: name, ID: dmMark, Members: 2}})
	if err := fd.follow(ctx, name, true, fd.c.opts.PageSize); err != nil {
		fd.c.opts.Logger.Warn("follow a conversation someone opened", "conversation", name, "err", err)
	}
}

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

// SubscribeToChannel subscribes the client's user to channel — "subscribe
// → user added to the channel's set" and "live receipt": the user joins the channel's member Set, a HistoryEvent
// with the newest page is emitted, and from then on every new entry arrives
// once, in order, as a MessageEvent. The channel must exist (see
// CreateChannel). It returns the channel's member count. Subscribing again
// is harmless and emits nothing. A private channel ("+name") takes only its
// members, as an admin set them; a direct conversation ("@peer") adds each
// side to the other's list of conversations.
func (c *Client) SubscribeToChannel(ctx context.Context, channel string) (int64, error) {
	if isDM(channel) {
		if err := c.feed.openDM(ctx, channel); err != nil {
			return 0, err
		}
		return 2, c.feed.follow(ctx, channel, true, c.opts.PageSize)
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
	c.out.rememberChannel(channel, ch.ID, ID{})
	return n, c.feed.follow(ctx, channel, true, c.opts.PageSize)
}

// openDM opens the direct conversation conv ("@peer"): the peer must have
// used rtchat here (or have an account), it joins the user's list, and a
// notice goes to the peer's inbox so that their next start finds it
// (docs/DESIGN.md, "Conversations").
func (fd *feed) openDM(ctx context.Context, conv string) error {
	peer, _ := PeerOf(conv)
	if peer == fd.c.opts.User {
		return fmt.Errorf("a direct conversation needs someone else: %w", ErrNoSuchUser)
	}
	pipe := fd.c.rdb.Pipeline()
	known := pipe.Exists(ctx, fd.c.keys.User(peer), fd.c.keys.SigningKeys(peer))
	pipe.SAdd(ctx, fd.c.keys.DMList(fd.c.opts.User), peer)
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("open %s: %w", conv, CleanRedisError(err))
	}
	if known.Val() == 0 {
		_ = fd.c.rdb.SRem(ctx, fd.c.keys.DMList(fd.c.opts.User), peer).Err()
		return neverUsed(peer)
	}
	// Telling the peer is best effort: their client also finds a new
	// conversation by its pattern subscription while it runs.
	if err := fd.c.rdb.ZAdd(ctx, fd.c.keys.DMInbox(peer), inboxNotice(fd.c.opts.User)).Err(); err != nil {
		fd.c.opts.Logger.Debug("tell the peer of a direct conversation", "peer", peer, "err", err)
	}
	return nil
}

// Open makes conv ready to send to, without following it: a public
// channel is created if new (with an empty description), a private one
// must exist (an admin makes those), and "@peer" opens the direct
// conversation with peer. It returns the conversation.
func (c *Client) Open(ctx context.Context, conv string) (Channel, error) {
	if err := checkConvFor(c.opts.User, conv); err != nil {
		return Channel{}, err
	}
	if isDM(conv) {
		return Channel{Name: conv, ID: dmMark, Members: 2}, c.feed.openDM(ctx, conv)
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
	return c.feed.follow(ctx, channel, false, pageSize)
}

func (fd *feed) follow(ctx context.Context, channel string, member bool, pageSize int64) error {
	if fd.c.Joined(channel) {
		return nil
	}
	ev, last, members, err := fd.firstPage(ctx, channel, pageSize, member)
	if err != nil {
		return err
	}
	if err := fd.followFrom(ctx, channel, member, ev, last, members); err != nil {
		return err
	}
	fd.c.people.watchPeople(members)
	return nil
}

// followFrom follows channel from its first page: ev goes out, then live
// delivery starts after last. (The caller watches the members' presence:
// JoinAll once for all its channels.)
func (fd *feed) followFrom(ctx context.Context, channel string, member bool, ev HistoryEvent, last ID, members []string) error {
	// The page goes out before the live subscription exists, so no live
	// entry of this channel can overtake it.
	if !fd.c.emit(ctx, ev) {
		return ctx.Err()
	}
	if member {
		fd.c.emit(ctx, MembersEvent{Channel: channel, Members: members})
	}
	fd.mu.Lock()
	if _, dup := fd.follows[channel]; dup {
		fd.mu.Unlock()
		return nil
	}
	fd.follows[channel] = &follow{chain: newChain(last), member: member}
	fd.mu.Unlock()
	return fd.carry(ctx, channel)
}

// firstPage reads the newest page of channel, the user's read marker, the
// server's clock and (for a member) the channel's members in one round
// trip, and counts what is unread; last is the newest entry's id, the
// point to follow from. With pageSize ≤ 0 the event holds no messages:
// only what comes after now is wanted.
func (fd *feed) firstPage(ctx context.Context, channel string, pageSize int64, member bool) (ev HistoryEvent, last ID, members []string, err error) {
	if err := ValidateConv(channel); err != nil {
		return ev, last, nil, err
	}
	pipe := fd.c.rdb.Pipeline()
	p := fd.queuePage(ctx, pipe, channel, pageSize, member)
	_, _ = pipe.Exec(ctx) // each reply is checked in read
	if err := p.read(ctx, fd.c); err != nil {
		return ev, last, nil, err
	}
	if err := fd.c.prefs.countUnread(ctx, []*pageRead{p}); err != nil {
		return HistoryEvent{}, last, nil, err
	}
	return p.ev, p.last, p.members, nil
}

// pageRead is the first page of a channel on its way: the commands
// queued on a pipeline (queuePage), then what they said (read), then the
// unread count (countUnread), so that many channels take the round trips
// of one.
type pageRead struct {
	channel  string
	pageSize int64
	page     queuedScript
	mark     *redis.StringCmd
	now      *redis.TimeCmd
	mem      *redis.StringSliceCmd
	// What was read.
	ev      HistoryEvent
	last    ID
	members []string
}

// queuePage queues on pipe the reads of channel's first page (see
// firstPage).
func (fd *feed) queuePage(ctx context.Context, pipe redis.Pipeliner, channel string, pageSize int64, member bool) *pageRead {
	p := &pageRead{channel: channel, pageSize: pageSize, page: fd.c.hist.queueNewestPage(ctx, pipe, channel, pageSize)}
	p.mark = pipe.HGet(ctx, fd.c.keys.ReadMarks(fd.c.opts.User), channel)
	p.now = pipe.Time(ctx)
	peer, dm := PeerOf(channel)
	switch name, private := PrivateName(channel); {
	case !member:
	case dm:
		p.members = []string{fd.c.opts.User, peer}
	case private:
		p.mem = pipe.SMembers(ctx, fd.c.keys.PrivateMembers(name))
	default:
		p.mem = pipe.SMembers(ctx, fd.c.keys.Members(channel))
	}
	return p
}

// read takes the answers of the queued commands.
func (p *pageRead) read(ctx context.Context, c *Client) error {
	channel := p.channel
	res, err := p.page.result(ctx).Slice()
	if err != nil {
		return fmt.Errorf("read history of %q: %w", channel, CleanRedisError(err))
	}
	if err := p.mark.Err(); err != nil && err != redis.Nil {
		return fmt.Errorf("read marker of %q: %w", channel, CleanRedisError(err))
	}
	if p.mem != nil {
		if p.members, err = p.mem.Result(); err != nil {
			return fmt.Errorf("read members of %q: %w", channel, CleanRedisError(err))
		}
	}
	slices.Sort(p.members)
	if t, err := p.now.Result(); err == nil {
		c.feed.clock.observe(uint64(t.UnixMilli()))
	}
	p.ev.Channel = channel
	// The newest entry, shown or not (a change, a thread reply), is where
	// delivery goes on from: the page's states include its effects.
	r := c.hist.decodePage(channel, res)
	if r.odd != nil {
		c.emit(ctx, NoticeEvent{Text: fmt.Sprintf("%s: %v", Display(channel), r.odd)})
	}
	p.last = r.top
	c.feed.clock.observe(r.top.MS)
	if p.pageSize <= 0 {
		p.ev.Complete = !r.More && len(r.Messages) == 0
		return nil
	}
	p.ev.Messages, p.ev.Complete, p.ev.Trimmed = r.Messages, !r.More, r.Trimmed
	p.ev.ReadID = c.prefs.validMarker(channel, p.mark.Val())
	if _, dm := PeerOf(channel); p.ev.ReadID.IsZero() && dm {
		// A direct conversation never read is news from its start, not
		// history: its marker lies before every entry.
		p.ev.ReadID = beforeAll
	}
	return nil
}

// beforeAll is a read marker before every entry of a stream.
var beforeAll = ID{MS: 0, Seq: 1}

// JoinAll joins conversations names (see Join) at once, as a window does
// with the user's conversations at start: the public channels that exist
// in one round trip for all of them (their records, memberships, first
// pages, read markers and members) and one more for the unread counts of
// those whose marker lies before their page; a new channel, a private
// one or a direct conversation is joined on its own, beside. It returns
// the channels joined, in the order of names, and the error of each that
// could not be.
func (c *Client) JoinAll(ctx context.Context, names []string) ([]Channel, map[string]error) {
	errs := map[string]error{}
	joined := map[string]Channel{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	alone := func(name string) {
		wg.Go(func() {
			ch, err := c.Join(ctx, name)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs[name] = err
			} else {
				joined[name] = ch
			}
		})
	}
	var batch []*joining
	pipe := c.rdb.Pipeline()
	for _, name := range names {
		_, private := PrivateName(name)
		if ValidateConv(name) != nil || isDM(name) || private || c.Joined(name) {
			alone(name)
			continue
		}
		batch = append(batch, c.feed.queueJoin(ctx, pipe, name))
	}
	if len(batch) > 0 {
		_, _ = pipe.Exec(ctx) // each reply is checked below
	}
	var pages []*pageRead
	var ready []*joining
	announce := c.rdb.Pipeline()
	for _, j := range batch {
		if j.added.Val() > 0 {
			// A new member: the others' windows hear it (one round
			// trip for all).
			announce.Publish(ctx, c.keys.ChannelEvents(), membersChanged+j.name)
		}
		switch ok, err := j.read(ctx, c); {
		case err != nil:
			mu.Lock()
			errs[j.name] = err
			mu.Unlock()
		case !ok:
			alone(j.name) // a new channel: Join creates it
		default:
			pages, ready = append(pages, j.page), append(ready, j)
		}
	}
	if announce.Len() > 0 {
		_, _ = announce.Exec(ctx) // best effort, as for Join
	}
	counted := c.prefs.countUnread(ctx, pages) // the batch's: all or none
	var people []string
	for _, j := range ready {
		err := counted
		if err == nil {
			err = c.feed.followFrom(ctx, j.name, true, j.page.ev, j.page.last, j.page.members)
			people = append(people, j.page.members...)
		}
		mu.Lock()
		if err != nil {
			errs[j.name] = err
		} else {
			joined[j.name] = j.ch
		}
		mu.Unlock()
	}
	slices.Sort(people)
	c.people.watchPeople(slices.Compact(people))
	wg.Wait()
	out := make([]Channel, 0, len(joined))
	for _, name := range names {
		if ch, ok := joined[name]; ok {
			out = append(out, ch)
		}
	}
	return out, errs
}

// joining is a public channel on its way into JoinAll's batch.
type joining struct {
	name        string
	hash        *redis.MapStringStringCmd
	mine, added *redis.IntCmd
	count       *redis.IntCmd
	page        *pageRead
	ch          Channel
}

// queueJoin queues on pipe what joining channel name reads and writes.
func (fd *feed) queueJoin(ctx context.Context, pipe redis.Pipeliner, name string) *joining {
	j := &joining{name: name}
	j.hash = pipe.HGetAll(ctx, fd.c.keys.Channel(name))
	j.mine = pipe.SAdd(ctx, fd.c.keys.UserChannels(fd.c.opts.User), name)
	j.added = pipe.SAdd(ctx, fd.c.keys.Members(name), fd.c.opts.User)
	j.count = pipe.SCard(ctx, fd.c.keys.Members(name))
	j.page = fd.queuePage(ctx, pipe, name, fd.c.opts.PageSize, true)
	return j
}

// read takes the answers; ok is false when the channel does not exist
// (yet).
func (j *joining) read(ctx context.Context, c *Client) (ok bool, err error) {
	for _, err := range []error{j.hash.Err(), j.added.Err(), j.count.Err()} {
		if err != nil {
			return false, fmt.Errorf("join %q: %w", j.name, CleanRedisError(err))
		}
	}
	if len(j.hash.Val()) == 0 || j.hash.Val()["id"] == "" {
		return false, nil
	}
	if err := j.mine.Err(); err != nil {
		c.emit(ctx, NoticeEvent{Text: fmt.Sprintf("joined %s, but it will not reopen at the next start: %v", Display(j.name), CleanRedisError(err))})
	}
	if err := j.page.read(ctx, c); err != nil {
		return false, err
	}
	j.ch = channelFromHash(j.name, j.hash.Val())
	j.ch.Members = j.count.Val()
	c.out.rememberChannel(j.name, j.ch.ID, ID{})
	return true, nil
}

// Join opens channel (see Open) and subscribes to it; it returns the
// channel.
func (c *Client) Join(ctx context.Context, channel string) (Channel, error) {
	ch, err := c.Open(ctx, channel)
	if err != nil {
		return Channel{}, err
	}
	if isDM(channel) {
		return ch, c.feed.follow(ctx, channel, true, c.opts.PageSize) // Open did the rest
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
	c.feed.unfollow(ctx, channel)
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
	c.feed.mu.Lock()
	defer c.feed.mu.Unlock()
	return c.feed.state
}

func (fd *feed) setState(ctx context.Context, s StateEvent) {
	fd.mu.Lock()
	changed := fd.state.State != s.State || fd.state.Attempt != s.Attempt
	fd.state = s
	fd.mu.Unlock()
	if changed {
		fd.c.emit(ctx, s)
	}
}

// followed returns the delivery state of channel, or nil.
func (fd *feed) followed(channel string) *follow {
	fd.mu.Lock()
	defer fd.mu.Unlock()
	return fd.follows[channel]
}

// handleLive handles one message on a Pub/Sub topic: the client's own
// topics, typing notices, and live entries, which are delivered when they
// follow what was shown and otherwise make the client read the stream
// (chain.go).
func (fd *feed) handleLive(ctx context.Context, m *redis.Message) error {
	if fd.c.people.handleOwn(ctx, m) {
		return nil
	}
	name, ok := fd.c.hist.convOfTopic(m.Channel)
	if !ok {
		return nil
	}
	if user, ok := strings.CutPrefix(m.Payload, typingPrefix); ok {
		if user != fd.c.opts.User && validName(user) && fd.c.Joined(name) {
			fd.c.emit(ctx, TypingEvent{Channel: name, User: user})
		}
		return nil
	}
	if len(m.Payload) > fd.c.hist.valueLimit()+1024 {
		// Longer than any entry rtchat writes: not looked at, not kept.
		// (Were it real, the stream holds it: the next entry's gap, or a
		// read now, brings it.)
		fd.c.opts.Logger.Warn("dropped a live payload longer than a message may be", "channel", name, "bytes", len(m.Payload))
		if f := fd.followed(name); f != nil {
			f.mu.Lock()
			defer f.mu.Unlock()
			return fd.readSoon(ctx, name, f)
		}
		return nil
	}
	f := fd.followed(name)
	if f == nil && fd.c.opts.AutoJoin && isDM(name) && !strings.HasPrefix(m.Payload, liveVersion+"\n") {
		// Someone opened a conversation with the user: follow it (its
		// first page holds this entry), off the receive loop.
		fd.c.notices.add("open:"+name, func(ctx context.Context) { fd.openedByPeer(ctx, name) })
		return nil
	}
	if f == nil {
		return nil
	}
	msg, prev, err := decodeLive(name, m.Payload)
	if err != nil {
		fd.c.opts.Logger.Warn("undecodable live message", "channel", name, "err", err)
		return nil
	}
	if msg.Ephemeral {
		fd.c.emit(ctx, MessageEvent{Message: msg})
		return nil
	}
	if prev.IsZero() && !fd.lastShown(f).IsZero() {
		// The stream was empty before this entry, yet the client has
		// shown entries of it: the server may have lost its data.
		if err := fd.checkWiped(ctx); err != nil {
			return err
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	now := fd.clock.now()
	switch f.chain.offer(msg.ID, prev, now) {
	case deliverIt:
		settle := f.chain.delivered(msg.ID)
		fd.c.emit(ctx, MessageEvent{Message: msg})
		switch {
		case !settle:
			return nil
		case time.Now().Before(f.nextRead):
			return fd.readSoon(ctx, name, f) // due: a whole read, soon
		}
		return fd.settleLocked(ctx, name, f)
	case dropIt:
		return nil
	case refuseIt:
		fd.c.opts.Logger.Warn("refused a live entry whose id is ahead of the server's clock", "channel", name, "id", msg.ID, "server_ms", now.ms)
	}
	return fd.readSoon(ctx, name, f)
}

// lastShown returns the newest entry delivered in f.
func (fd *feed) lastShown(f *follow) ID {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.chain.last
}

// readSoon reads channel's stream after the floor now, or marks it due
// when the last such read was less than oddReadEvery ago. f.mu is held.
func (fd *feed) readSoon(ctx context.Context, channel string, f *follow) error {
	if now := time.Now(); now.Before(f.nextRead) {
		f.due = true
		fd.due.Store(true)
		return nil
	}
	return fd.catchUpLocked(ctx, channel, f)
}

// readDue performs the stream reads that readSoon put off, once their
// time has come.
func (fd *feed) readDue(ctx context.Context) error {
	if !fd.due.Swap(false) {
		return nil
	}
	fd.mu.Lock()
	follows := maps.Clone(fd.follows)
	fd.mu.Unlock()
	for name, f := range follows {
		f.mu.Lock()
		var err error
		switch {
		case !f.due:
		case time.Now().Before(f.nextRead):
			fd.due.Store(true)
		default:
			err = fd.catchUpLocked(ctx, name, f)
		}
		f.mu.Unlock()
		if err != nil {
			return err
		}
	}
	return nil
}

// catchUpAll catches up channels (see catchUp) together: what each
// missed, and whether its stream was trimmed past what it showed (see
// trimmedPast), read for all in one round trip; a channel that missed
// more than a page reads the rest on its own. Live delivery in these
// channels waits meanwhile, as for catchUp.
func (fd *feed) catchUpAll(ctx context.Context, channels []string) error {
	type job struct {
		name        string
		f           *follow
		after, last ID
		page        queuedScript
		self, first *redis.XMessageSliceCmd
		wiped       bool
	}
	slices.Sort(channels) // one lock order
	channels = slices.Compact(channels)
	follows := make([]*follow, len(channels))
	for i, name := range channels {
		follows[i] = fd.followed(name) // c.mu, before any follow's lock
	}
	var jobs []*job
	pipe := fd.c.rdb.Pipeline()
	for i, name := range channels {
		f := follows[i]
		if f == nil {
			continue
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		j := &job{name: name, f: f, after: f.chain.floor, last: f.chain.last, wiped: f.reset}
		f.due, f.nextRead = false, time.Now().Add(oddReadEvery)
		stream := fd.c.hist.streamOf(name)
		j.page = fd.c.hist.queueRange(ctx, pipe, name, j.after.exclusive("-"), "+", catchUpBatch)
		if !j.last.IsZero() && !f.reset {
			j.self = pipe.XRangeN(ctx, stream, j.last.String(), j.last.String(), 1)
			j.first = pipe.XRangeN(ctx, stream, "-", "+", 1)
		}
		f.reset = false
		jobs = append(jobs, j)
	}
	if len(jobs) == 0 {
		return nil
	}
	_, _ = pipe.Exec(ctx) // each reply is checked below
	for _, j := range jobs {
		if trimmedPast(j.last, j.self, j.first) {
			fd.c.emit(ctx, TruncatedEvent{Channel: j.name})
		}
		msgs, err := fd.c.hist.rangeMessages(ctx, j.name, j.page)
		if err != nil {
			return fmt.Errorf("catch up: read %q: %w", j.name, err)
		}
		if err := fd.deliverCaughtUp(ctx, j.name, j.f, msgs, len(msgs) == catchUpBatch, j.wiped); err != nil {
			return err
		}
	}
	return nil
}

// catchUp delivers every entry of channel's stream after the floor that
// was not delivered yet, page by page.
func (fd *feed) catchUp(ctx context.Context, channel string) error {
	f := fd.followed(channel)
	if f == nil {
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return fd.catchUpLocked(ctx, channel, f)
}

// catchUpLocked is catchUp with f.mu held.
func (fd *feed) catchUpLocked(ctx context.Context, channel string, f *follow) error {
	f.due, f.nextRead = false, time.Now().Add(oddReadEvery)
	msgs, err := fd.c.hist.consume(ctx, channel, f.chain.floor, catchUpBatch)
	if err != nil {
		return fmt.Errorf("catch up: %w", err)
	}
	return fd.deliverCaughtUp(ctx, channel, f, msgs, len(msgs) == catchUpBatch, f.reset)
}

// deliverCaughtUp delivers msgs, the first page read after f's floor, and
// the pages after it while full is set; then it takes back live entries
// the stream does not hold (f.mu held): lost with the server's data when
// wiped is set, made up by someone otherwise.
func (fd *feed) deliverCaughtUp(ctx context.Context, channel string, f *follow, msgs []Message, full, wiped bool) error {
	newest, floor := ID{}, f.chain.floor
	for {
		after := ID{}
		for _, m := range msgs {
			if f.chain.shouldDeliver(m.ID) {
				fd.c.emit(ctx, MessageEvent{Message: m})
			}
			after, newest = m.ID, m.ID
		}
		if !full {
			break
		}
		var err error
		if msgs, err = fd.c.hist.consume(ctx, channel, after, catchUpBatch); err != nil {
			return fmt.Errorf("catch up: %w", err)
		}
		full = len(msgs) == catchUpBatch
	}
	fd.settled(ctx, channel, f, newest, floor, wiped)
	return nil
}

// settleLocked settles f's chain as a read after the floor does, reading
// only the ids the stream holds there, up to the last entry shown: when
// each was shown live, as nearly always, that is all a read would have
// found, and live entries the stream does not hold are taken back (f.mu
// held). Any other case (an entry not shown, more than a page, a server
// that lost its data) reads the entries whole.
func (fd *feed) settleLocked(ctx context.Context, channel string, f *follow) error {
	if f.reset {
		return fd.catchUpLocked(ctx, channel, f)
	}
	f.due, f.nextRead = false, time.Now().Add(oddReadEvery)
	floor := f.chain.floor
	ids, err := fd.c.hist.idsAfter(ctx, channel, floor, catchUpBatch)
	if err != nil {
		return fmt.Errorf("settle: %w", err)
	}
	if len(ids) == catchUpBatch {
		return fd.catchUpLocked(ctx, channel, f)
	}
	// Entries after the last one shown are on their way live (their
	// payloads queue behind this one): only those up to it settle now.
	shown := f.chain.last
	n := 0
	for n < len(ids) && !ids[n].After(shown) {
		if !f.chain.deliveredLive(ids[n]) {
			return fd.catchUpLocked(ctx, channel, f) // one hidden: read them whole
		}
		n++
	}
	newest := ID{}
	for _, id := range ids[:n] {
		f.chain.shouldDeliver(id) // confirms it: it was shown live
		newest = id
	}
	fd.settled(ctx, channel, f, newest, floor, false)
	return nil
}

// settled ends a read of f's stream after floor, up to its end, whose
// newest entry is newest: it takes back live entries the stream does not
// hold (lost with the server's data when wiped is set, made up by someone
// otherwise) and moves the floor (f.mu held).
func (fd *feed) settled(ctx context.Context, channel string, f *follow, newest, floor ID, wiped bool) {
	fd.clock.observe(newest.MS)
	switch phantoms := f.chain.read(newest); {
	case wiped && (len(phantoms) > 0 || !floor.IsZero()):
		fd.c.opts.Logger.Warn("what was shown went with the server's data; taking it back", "channel", channel, "through", floor, "ids", phantoms)
		fd.c.emit(ctx, RetractedEvent{Channel: channel, IDs: phantoms, Lost: true, Through: floor})
	case len(phantoms) > 0:
		fd.c.opts.Logger.Warn("live entries that the stream does not hold were shown; taking them back", "channel", channel, "ids", phantoms)
		fd.c.emit(ctx, RetractedEvent{Channel: channel, IDs: phantoms})
	}
	fd.c.out.noteKnown(channel, f.chain.floor)
}

// trimmedPast reports whether a stream was trimmed past last, the newest
// entry the client showed, while the client was away: self (the read of
// last) found nothing, yet first (the stream's oldest entry) is newer, so
// entries after last may have gone too. (Redis records no exact count of
// what trimming removed. A forged live entry cannot fake this: its id is
// not older than what remains.)
func trimmedPast(last ID, self, first *redis.XMessageSliceCmd) bool {
	if self == nil || self.Err() != nil || first.Err() != nil || len(self.Val()) > 0 || len(first.Val()) == 0 {
		return false
	}
	oldest, ok := parseID(first.Val()[0].ID)
	return ok && oldest.After(last)
}

// followedNames returns the channels the client follows.
func (fd *feed) followedNames() []string {
	fd.mu.Lock()
	defer fd.mu.Unlock()
	return slices.Sorted(maps.Keys(fd.follows))
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
