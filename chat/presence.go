package chat

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// Presence travels as changes, so an idle window costs Redis a few
// commands a minute however many people it watches (docs/DESIGN.md,
// "Presence"):
//
//   - Every running client is a session of its user: an entry in the
//     user's Sorted Set Keys.Online, scored by when it expires, renewed
//     every Options.PresenceEvery. Only the user may write it; everyone
//     may read it. Whether someone is online is read there and nowhere
//     else, so no one else can turn them off (or on).
//   - A client that starts publishes "+user" on Keys.PresenceEvents; the
//     last session of a user to quit cleanly publishes "-user". A crashed
//     session just stops renewing. Anyone may publish there, so an event
//     is only a hint: the watcher reads that person's sessions again (at
//     most once per presenceHintEvery) and believes what it reads.
//   - A client reads the sessions of the people it watches (the members of
//     the channels it joined) once, in one pipeline, then follows the
//     events; it reads them again only when an expiry it knows runs out,
//     which tells it whether that person renewed or went away.

// presenceFloor is the least time between two reads of the watched
// people's sessions because one ran out; presenceHintEvery the least time
// between two reads because of events (a flood of forged ones costs one
// read a second).
const (
	presenceFloor     = 10 * time.Second
	presenceHintEvery = time.Second
)

// PresenceEvent says that User came online or went away.
type PresenceEvent struct {
	User   string
	Online bool
}

// MembersEvent gives the members of a joined channel after they changed.
type MembersEvent struct {
	Channel string
	Members []string
}

// presenceNote is what the receive loop tells the presence loop.
type presenceNote struct {
	user   string
	online bool
	// watch adds people to watch (channel members).
	watch []string
}

// Presence is who belongs to a channel and who of them is online now;
// both sorted.
type Presence struct {
	Members, Online []string
	// Away maps the members who are away to their messages.
	Away map[string]string
}

// heartbeat renews the session's presence; first is the session's first
// beat. It reports whether the session's entry had vanished since the last
// beat (the server lost its data, or the client was frozen past the TTL).
func (pp *people) heartbeat(ctx context.Context, first bool) (vanished bool, err error) {
	pipe := pp.c.rdb.Pipeline()
	mine := pp.queueHeartbeat(ctx, pipe, first)
	if _, err := pipe.Exec(ctx); err != nil {
		return false, fmt.Errorf("presence heartbeat: %w", err)
	}
	return !first && mine.Val() == 1, nil
}

// queueHeartbeat queues a heartbeat on pipe (the first of a session also
// drops the user's expired sessions and says they came online); mine
// answers whether this session's entry was new.
func (pp *people) queueHeartbeat(ctx context.Context, pipe redis.Pipeliner, first bool) (mine *redis.IntCmd) {
	now := time.Now()
	exp := float64(now.Add(pp.c.opts.PresenceTTL).UnixMilli())
	mine = pipe.ZAdd(ctx, pp.c.keys.Online(pp.c.opts.User), redis.Z{Score: exp, Member: pp.sessionID})
	pipe.PExpire(ctx, pp.c.keys.Online(pp.c.opts.User), pp.c.opts.PresenceTTL)
	if first {
		pipe.ZRemRangeByScore(ctx, pp.c.keys.Online(pp.c.opts.User), "-inf", "("+strconv.FormatInt(now.UnixMilli(), 10))
		pipe.Publish(ctx, pp.c.keys.PresenceEvents(), "+"+pp.c.opts.User)
	}
	return mine
}

// goodbye ends the session's presence on a clean exit: the user goes
// offline at once unless another session of theirs lives on.
func (pp *people) goodbye(ctx context.Context) error {
	key := pp.c.keys.Online(pp.c.opts.User)
	pipe := pp.c.rdb.Pipeline()
	pipe.ZRem(ctx, key, pp.sessionID)
	left := pipe.ZCount(ctx, key, "("+strconv.FormatInt(time.Now().UnixMilli(), 10), "+inf")
	if _, err := pipe.Exec(ctx); err != nil {
		return err
	}
	if left.Val() > 0 {
		return nil
	}
	return pp.c.rdb.Publish(ctx, pp.c.keys.PresenceEvents(), "-"+pp.c.opts.User).Err()
}

// presenceLoop beats until ctx ends, then says goodbye. Meanwhile it keeps
// track of who of the watched people is online and emits PresenceEvents.
func (pp *people) presenceLoop(ctx context.Context) {
	tick := time.NewTicker(pp.c.opts.PresenceEvery)
	defer tick.Stop()
	p := presenceTracker{until: map[string]time.Time{}, on: map[string]bool{}}
	// Start's registration carried the session's first heartbeat.
	first, beaten := !pp.startBeat.Load(), pp.startBeat.Load()
	for {
		var vanished bool
		var err error
		if beaten {
			beaten = false
		} else {
			vanished, err = pp.heartbeat(ctx, first)
		}
		switch {
		case err != nil && ctx.Err() == nil:
			pp.c.opts.Logger.Debug("presence", "err", err)
		case err == nil:
			first = false
		}
		if vanished {
			if err := pp.c.feed.checkWiped(ctx); err != nil {
				pp.c.opts.Logger.Debug("presence: check for a wiped server", "err", err)
			}
		}
		for !pp.presenceWait(ctx, tick, &p) {
		}
		if ctx.Err() != nil {
			// A clean exit: offline at once, not after the TTL.
			bye, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
			if err := pp.goodbye(bye); err != nil {
				pp.c.opts.Logger.Debug("presence: goodbye", "err", err)
			}
			cancel()
			return
		}
	}
}

// presenceWait handles one thing the presence loop hears; it reports true
// when it is time to beat again, or to stop.
func (pp *people) presenceWait(ctx context.Context, tick *time.Ticker, p *presenceTracker) bool {
	var expiry <-chan time.Time
	if wait, ok := p.nextCheck(); ok {
		t := time.NewTimer(max(wait, 0))
		defer t.Stop()
		expiry = t.C
	}
	select {
	case <-ctx.Done():
		return true
	case n := <-pp.presence:
		pp.notePresence(ctx, p, n)
	case <-expiry:
		pp.refreshPresence(ctx, p, p.due())
	case <-tick.C:
		return true
	}
	return false
}

// people is the client's part that keeps presence: the user's session
// heartbeat, who of the joined channels' members is online or away, the
// members themselves, and typing notices (typing.go). mu guards typedAt;
// it is never held with another lock. The presence loop owns the rest.
type people struct {
	c *Client
	// sessionID names this client in the user's presence Set.
	sessionID string
	// startBeat is set when Start's registration carried the first
	// presence heartbeat.
	startBeat atomic.Bool
	// presence carries notes from the receive loop to the presence loop;
	// typing the channels to send a typing notice to.
	presence chan presenceNote
	typing   chan string
	mu       sync.Mutex
	typedAt  map[string]time.Time // last typing notice per channel
}

func newPeople(c *Client) *people {
	return &people{c: c, sessionID: newID(), presence: make(chan presenceNote, 64),
		typing: make(chan string, 4), typedAt: map[string]time.Time{}}
}

// presenceTracker is the presence loop's view of the watched people.
type presenceTracker struct {
	// until is when each watched person's known sessions run out (zero:
	// offline); on says who was last reported online.
	until map[string]time.Time
	on    map[string]bool
	// hinted are the people a presence event was about since the last
	// read of theirs.
	hinted map[string]bool
	// lastRead is when sessions were last read because some ran out,
	// hintRead because of events.
	lastRead, hintRead time.Time
}

// nextCheck returns how long until the next read is due: the earliest
// known expiry (never sooner than presenceFloor after the last such
// read), or a hint (presenceHintEvery after the last one).
func (p *presenceTracker) nextCheck() (time.Duration, bool) {
	var first time.Time
	for _, t := range p.until {
		if !t.IsZero() && (first.IsZero() || t.Before(first)) {
			first = t
		}
	}
	if !first.IsZero() {
		first = maxTime(first, p.lastRead.Add(presenceFloor))
	}
	if len(p.hinted) > 0 {
		if h := p.hintRead.Add(presenceHintEvery); first.IsZero() || h.Before(first) {
			first = h
		}
	}
	if first.IsZero() {
		return 0, false
	}
	return time.Until(first), true
}

// due lists the people to read now: those whose known sessions ran out
// (past the floor), and those events were about (past the hint limit).
func (p *presenceTracker) due() []string {
	var out []string
	now := time.Now()
	if !now.Before(p.lastRead.Add(presenceFloor)) {
		for u, t := range p.until {
			if !t.IsZero() && !t.After(now) {
				out = append(out, u)
			}
		}
	}
	if !now.Before(p.hintRead.Add(presenceHintEvery)) {
		for u := range p.hinted {
			if !slices.Contains(out, u) {
				out = append(out, u)
			}
		}
	}
	return out
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// notePresence applies a note from the receive loop.
func (pp *people) notePresence(ctx context.Context, p *presenceTracker, n presenceNote) {
	if n.watch != nil {
		var fresh []string
		for _, u := range n.watch {
			if _, ok := p.until[u]; !ok {
				p.until[u] = time.Time{}
				fresh = append(fresh, u)
			}
		}
		pp.refreshPresence(ctx, p, fresh)
		return
	}
	if _, watched := p.until[n.user]; !watched {
		return
	}
	// A hint: anyone may publish one. What the person's own sessions say
	// is what counts.
	if p.hinted == nil {
		p.hinted = map[string]bool{}
	}
	p.hinted[n.user] = true
	if !time.Now().Before(p.hintRead.Add(presenceHintEvery)) {
		pp.refreshPresence(ctx, p, p.due())
	}
}

// refreshPresence reads the sessions of users and reports what changed.
func (pp *people) refreshPresence(ctx context.Context, p *presenceTracker, users []string) {
	if len(users) == 0 {
		return
	}
	now := time.Now()
	p.lastRead = now
	if len(p.hinted) > 0 {
		p.hintRead = now
		for _, u := range users {
			delete(p.hinted, u)
		}
	}
	until, err := pp.sessionsUntil(ctx, users)
	if err != nil {
		pp.c.opts.Logger.Debug("presence: read sessions", "err", err)
		// Try again at the floor, not in a tight loop.
		for _, u := range users {
			if t := p.until[u]; !t.IsZero() {
				p.until[u] = now.Add(presenceFloor)
			}
		}
		return
	}
	for i, u := range users {
		p.until[u] = until[i]
		pp.reportPresence(ctx, p, u)
	}
}

// sessionsUntil returns, for each of users, when their latest live
// session expires (zero: none is live), read from their own Sorted Sets
// in one pipeline.
func (pp *people) sessionsUntil(ctx context.Context, users []string) ([]time.Time, error) {
	pipe := pp.c.rdb.Pipeline()
	cmds := make([]*redis.ZSliceCmd, len(users))
	for i, u := range users {
		cmds[i] = pipe.ZRangeArgsWithScores(ctx, redis.ZRangeArgs{Key: pp.c.keys.Online(u), Start: 0, Stop: 0, Rev: true})
	}
	if _, err := pipe.Exec(ctx); err != nil && !redis.HasErrorPrefix(err, "WRONGTYPE") {
		return nil, err
	}
	now := time.Now()
	out := make([]time.Time, len(users))
	for i, cmd := range cmds {
		z := cmd.Val() // a key of the wrong type: no live session
		if len(z) == 1 {
			if t := time.UnixMilli(int64(z[0].Score)); t.After(now) {
				out[i] = t
			}
		}
	}
	return out, nil
}

// reportPresence emits a PresenceEvent when user's state changed.
func (pp *people) reportPresence(ctx context.Context, p *presenceTracker, user string) {
	on := !p.until[user].IsZero()
	if p.on[user] == on {
		return
	}
	p.on[user] = on
	pp.c.emit(ctx, PresenceEvent{User: user, Online: on})
}

// watchPeople asks the presence loop to follow users.
func (pp *people) watchPeople(users []string) {
	if len(users) == 0 {
		return
	}
	select {
	case pp.presence <- presenceNote{watch: users}:
	case <-pp.c.closing:
	}
}

// handlePresence turns a message on the presence topic ("+user" or
// "-user") into a note for the presence loop.
func (pp *people) handlePresence(payload string) {
	if len(payload) < 2 || (payload[0] != '+' && payload[0] != '-') || !validName(payload[1:]) {
		return
	}
	select {
	case pp.presence <- presenceNote{user: payload[1:], online: payload[0] == '+'}:
	default: // a hint; the next read of the scores corrects a lost one
	}
}

// Who returns channel's members and those of them with a live session now:
// the member Set, then one pipeline of their sessions.
func (c *Client) Who(ctx context.Context, channel string) (Presence, error) {
	members, err := c.people.members(ctx, channel)
	if err != nil || len(members) == 0 {
		return Presence{Members: members}, err
	}
	until, err := c.people.sessionsUntil(ctx, members)
	if err != nil {
		return Presence{}, fmt.Errorf("who is online in %q: %w", channel, CleanRedisError(err))
	}
	p := Presence{Members: members}
	for i, u := range members {
		if !until[i].IsZero() {
			p.Online = append(p.Online, u)
		}
	}
	if p.Away, err = c.Away(ctx, members); err != nil {
		return Presence{}, err
	}
	return p, nil
}

// members returns the people of a conversation, sorted: a channel's
// subscribers, a private channel's members, or the two of a direct one.
func (pp *people) members(ctx context.Context, conv string) ([]string, error) {
	if peer, dm := PeerOf(conv); dm {
		people := []string{pp.c.opts.User, peer}
		slices.Sort(people)
		return slices.Compact(people), nil
	}
	if name, private := PrivateName(conv); private {
		m, err := pp.c.rdb.SMembers(ctx, pp.c.keys.PrivateMembers(name)).Result()
		if err != nil {
			return nil, fmt.Errorf("members of %s: %w", Display(conv), CleanRedisError(err))
		}
		slices.Sort(m)
		return m, nil
	}
	return pp.c.subs.Members(ctx, conv)
}

// handleMembers re-reads the members of channel, when the client follows
// it, after a "members changed" notice, and emits them.
func (pp *people) handleMembers(ctx context.Context, channel string) {
	if !pp.c.Joined(channel) {
		return
	}
	members, err := pp.members(ctx, channel)
	if err != nil {
		pp.c.opts.Logger.Debug("members changed", "channel", channel, "err", err)
		return
	}
	pp.c.emit(ctx, MembersEvent{Channel: channel, Members: members})
	pp.watchPeople(members)
}

// handleOwn handles a message on one of the plain link's own topics; it
// reports false for any other topic.
func (pp *people) handleOwn(ctx context.Context, m *redis.Message) bool {
	switch m.Channel {
	case pp.c.feed.plain.own[0]: // the channel list
		if name, ok := strings.CutPrefix(m.Payload, membersChanged); ok {
			if validName(name) && pp.c.Joined(name) {
				pp.c.notices.add(m.Payload, func(ctx context.Context) { pp.handleMembers(ctx, name) })
			}
			return true
		}
		if m.Payload == commandsChanged {
			// Any account may publish it: merged, as every notice is, so a
			// flood costs a window one read of the list per noticeEvery.
			pp.c.notices.add(commandsChanged, func(ctx context.Context) { pp.c.emit(ctx, CommandsChangedEvent{}) })
			return true
		}
		pp.c.emit(ctx, ChannelsChangedEvent{})
	case pp.c.feed.plain.own[1]: // the user's own events
		pp.c.prefs.handleUserEvent(ctx, m.Payload)
	case pp.c.feed.plain.own[2]: // presence
		if user, ok := strings.CutPrefix(m.Payload, awayNoticePrefix); ok && validName(user) {
			pp.c.notices.add(m.Payload, func(ctx context.Context) { pp.c.prefs.handleAway(ctx, user) })
			return true
		}
		pp.handlePresence(m.Payload)
	default:
		return false
	}
	return true
}
