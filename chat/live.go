package chat

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// errDeadLink is why the watchdog replaces a subscription.
var errDeadLink = errors.New("subscription silent past the watchdog deadline")

// SubscribeToChannel subscribes the client's user to channel — the seed's
// "subscribe → user added to the channel's set" and "live receipt": the user
// joins the channel's member Set, a HistoryEvent with the newest page is
// emitted, and from then on every new entry arrives once, in order, as a
// MessageEvent. The channel must exist (see ChannelManager.Create). It
// returns the channel's member count. Subscribing again is harmless and
// emits nothing.
func (c *Client) SubscribeToChannel(ctx context.Context, channel string) (int64, error) {
	if _, err := c.Channels.Get(ctx, channel); err != nil {
		return 0, fmt.Errorf("subscribe: %w", err)
	}
	n, err := c.Subs.Add(ctx, c.opts.User, channel)
	if err != nil {
		return 0, err
	}
	return n, c.Follow(ctx, channel, c.opts.PageSize)
}

// Follow delivers channel live, like SubscribeToChannel, without making the
// user a member (for "rtchat tail -f"): a HistoryEvent with the newest
// pageSize entries, then every new entry once, in order. Following a
// channel already followed emits nothing.
func (c *Client) Follow(ctx context.Context, channel string, pageSize int64) error {
	if c.Joined(channel) {
		return nil
	}
	ev, last, err := c.firstPage(ctx, channel, pageSize)
	if err != nil {
		return err
	}
	st := &subState{last: last}
	// The page goes out before the live subscription exists, so no live
	// entry of this channel can overtake it.
	if !c.emit(ctx, ev) {
		return ctx.Err()
	}
	c.mu.Lock()
	if _, dup := c.subs[channel]; dup {
		c.mu.Unlock()
		return nil
	}
	c.subs[channel] = st
	c.mu.Unlock()
	return c.carry(ctx, channel)
}

// firstPage reads the newest page of channel and the user's read marker in
// one round trip, and counts what is unread; last is the newest entry's id,
// the point to follow from. With pageSize ≤ 0 the event holds no messages:
// only what comes after now is wanted.
func (c *Client) firstPage(ctx context.Context, channel string, pageSize int64) (ev HistoryEvent, last streamID, err error) {
	if err := ValidateName(channel); err != nil {
		return ev, last, err
	}
	n := max(pageSize, 1)
	pipe := c.rdb.Pipeline()
	xs := pipe.XRevRangeN(ctx, c.keys.Stream(channel), "+", "-", n+1)
	mark := pipe.HGet(ctx, c.keys.ReadMarks(c.opts.User), channel)
	_, _ = pipe.Exec(ctx) // each reply is checked below
	if err := xs.Err(); err != nil {
		return ev, last, fmt.Errorf("read history of %q: %w", channel, err)
	}
	if err := mark.Err(); err != nil && err != redis.Nil {
		return ev, last, fmt.Errorf("read marker of %q: %w", channel, err)
	}
	ev.Channel = channel
	msgs, more := page(channel, xs.Val(), n)
	if len(msgs) > 0 {
		last, _ = parseStreamID(msgs[len(msgs)-1].ID)
	}
	if pageSize <= 0 {
		ev.Complete = !more && len(msgs) == 0
		return ev, last, nil
	}
	ev.Messages, ev.Complete = msgs, !more
	ev.ReadID = c.validMarker(channel, mark.Val())
	if ev.Unread, err = c.unread(ctx, channel, ev.ReadID, msgs, !more); err != nil {
		return HistoryEvent{}, last, err
	}
	return ev, last, nil
}

// Rejoin recreates the user and every joined channel (idempotently) after
// the server lost its data — an embedded server that was replaced.
func (c *Client) Rejoin(ctx context.Context) error {
	if _, err := c.Subs.RegisterUser(ctx, c.opts.User); err != nil {
		return err
	}
	for _, n := range c.joinedNames() {
		if _, _, err := c.Channels.Create(ctx, n, "", c.opts.User); err != nil {
			return err
		}
		if _, err := c.Subs.Add(ctx, c.opts.User, n); err != nil {
			return err
		}
	}
	return nil
}

// Join creates channel if it is new (with an empty description) and
// subscribes to it; it returns the channel.
func (c *Client) Join(ctx context.Context, channel string) (Channel, error) {
	ch, _, err := c.Channels.Create(ctx, channel, "", c.opts.User)
	if err != nil {
		return Channel{}, err
	}
	if ch.Members, err = c.SubscribeToChannel(ctx, channel); err != nil {
		return Channel{}, err
	}
	return ch, nil
}

// Leave unsubscribes the user from channel: no more live messages, and the
// user leaves the member Set.
func (c *Client) Leave(ctx context.Context, channel string) error {
	c.unfollow(ctx, channel)
	return c.Subs.Remove(ctx, c.opts.User, channel)
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

// handleLive delivers one live entry unless it was delivered already. When
// the entry before it in the stream is not the last one delivered, the
// client missed something (a lost Pub/Sub message, or an entry another tool
// added without publishing) and reads the gap from the stream first.
func (c *Client) handleLive(ctx context.Context, m *redis.Message) error {
	switch m.Channel {
	case c.eventsTopic:
		c.emit(ctx, ChannelsChangedEvent{})
		return nil
	case c.userTopic:
		c.handleUserEvent(ctx, m.Payload)
		return nil
	}
	name, ok := c.keys.channelFromTopic(m.Channel)
	if !ok {
		return nil
	}
	if user, ok := strings.CutPrefix(m.Payload, typingPrefix); ok {
		if user != c.opts.User && ValidateName(user) == nil && c.Joined(name) {
			c.emit(ctx, TypingEvent{Channel: name, User: user})
		}
		return nil
	}
	msg, prev, err := decodeLive(name, m.Payload)
	if err != nil {
		c.opts.Logger.Warn("undecodable live message", "channel", name, "err", err)
		return nil
	}
	if msg.Ephemeral {
		if c.Joined(name) {
			c.emit(ctx, MessageEvent{Message: msg})
		}
		return nil
	}
	if c.gapBefore(name, prev) {
		return c.catchUp(ctx, name)
	}
	if c.advance(name, msg.ID) {
		c.emit(ctx, MessageEvent{Message: msg})
	}
	return nil
}

// gapBefore reports whether prev — the stream entry before a live one —
// comes after the last entry delivered in channel.
func (c *Client) gapBefore(channel, prev string) bool {
	p, ok := parseStreamID(prev)
	if !ok {
		return false // "" (nothing before it) or "?" (unknown)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	st := c.subs[channel]
	return st != nil && p.after(st.last)
}

// advance moves channel's last delivered id to id and reports true when id
// is newer than anything delivered; false means drop it.
func (c *Client) advance(channel, id string) bool {
	sid, ok := parseStreamID(id)
	if !ok {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	st := c.subs[channel]
	if st == nil || !sid.after(st.last) {
		return false
	}
	st.last = sid
	return true
}

// joinedNames returns the channels the client follows.
func (c *Client) joinedNames() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Collect(maps.Keys(c.subs))
}

// catchUpAll catches up every joined channel.
func (c *Client) catchUpAll(ctx context.Context) error {
	for _, n := range c.joinedNames() {
		if err := c.catchUp(ctx, n); err != nil {
			return err
		}
	}
	return nil
}

// lastShown returns the newest id delivered in channel, and whether the
// client follows channel at all.
func (c *Client) lastShown(channel string) (streamID, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := c.subs[channel]
	if st == nil {
		return streamID{}, false
	}
	return st.last, true
}

// catchUp delivers every entry of channel after the last delivered one,
// page by page.
func (c *Client) catchUp(ctx context.Context, channel string) error {
	last, ok := c.lastShown(channel)
	if !ok {
		return nil
	}
	after := last.String()
	for {
		msgs, err := c.ConsumeMessages(ctx, channel, after, 1000)
		if err != nil {
			return fmt.Errorf("catch up: %w", err)
		}
		for _, m := range msgs {
			if c.advance(channel, m.ID) {
				c.emit(ctx, MessageEvent{Message: m})
			}
			after = m.ID
		}
		if len(msgs) < 1000 {
			return nil
		}
	}
}

// checkTrimmed emits a TruncatedEvent when channel's stream was trimmed
// past last (the newest entry the client showed) while the client was away:
// last is gone, yet older than what remains, so entries after it may have
// gone too. (Redis records no exact count of what trimming removed.)
func (c *Client) checkTrimmed(ctx context.Context, channel string) {
	last, ok := c.lastShown(channel)
	if !ok || last == (streamID{}) {
		return
	}
	key := c.keys.Stream(channel)
	pipe := c.rdb.Pipeline()
	self := pipe.XRangeN(ctx, key, last.String(), last.String(), 1)
	first := pipe.XRangeN(ctx, key, "-", "+", 1)
	if _, err := pipe.Exec(ctx); err != nil {
		return
	}
	if len(self.Val()) > 0 || len(first.Val()) == 0 {
		return
	}
	if oldest, ok := parseStreamID(first.Val()[0].ID); ok && oldest.after(last) {
		c.emit(ctx, TruncatedEvent{Channel: channel})
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
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
