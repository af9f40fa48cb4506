package chat

import (
	"context"
	"fmt"
	"strings"
)

// UnreadLimit is how many entries after a read marker a join reads at most
// to count the unread ones; beyond it the count says "more".
const UnreadLimit = 999

// markScript moves a read marker forward, never back (two terminals of one
// user may report in any order), and tells the user's terminals.
//
//	KEYS: 1 the user's read-marker Hash
//	ARGV: 1 channel, 2 stream id, 3 the user's events topic
//
// It returns 1 when the marker moved, 0 when it was already there or later.
const markScriptSource = `
local function parse(id)
  local ms, seq = string.match(id, '^(%d+)-(%d+)$')
  return tonumber(ms), tonumber(seq)
end
need(KEYS[1], 'hash')
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if cur then
  local cms, cseq = parse(cur)
  local nms, nseq = parse(ARGV[2])
  if cms and (nms < cms or (nms == cms and nseq <= cseq)) then return 0 end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.pcall('PUBLISH', ARGV[3], ARGV[1] .. '\n' .. ARGV[2])
return 1
`

// ThreadMarker is the name of the read marker of the thread of root in
// conv, for MarkRead and ReadMarkers: the user's thread replies read
// (a thread is read apart from its channel).
func ThreadMarker(conv string, root ID) string { return conv + " " + root.String() }

// validMarkerName checks a read marker's name: a conversation, or a
// thread's (ThreadMarker).
func validMarkerName(name string) error {
	conv, root, thread := strings.Cut(name, " ")
	if thread {
		if id, ok := parseID(root); !ok || id.IsZero() {
			return fmt.Errorf("%q: %w", name, ErrInvalidName)
		}
	}
	return ValidateConv(conv)
}

// MarkRead records that the user has read channel (or a thread, named by
// ThreadMarker) up to stream id id. The marker only moves forward; when
// it moves, every terminal of the user gets a ReadEvent (this one too;
// for a channel only).
func (c *Client) MarkRead(ctx context.Context, channel string, id ID) error {
	if err := validMarkerName(channel); err != nil {
		return err
	}
	if id.IsZero() {
		return fmt.Errorf("mark %q read: no stream id", channel)
	}
	err := c.scripts.run(ctx, markScript, []string{c.keys.ReadMarks(c.opts.User)}, channel, id.String(), c.feed.plain.own[1]).Err()
	if err != nil {
		return fmt.Errorf("mark %q read: %w", channel, CleanRedisError(err))
	}
	return nil
}

// validMarker returns a read marker as stored, or the zero ID (never read)
// for one that is not a stream id — written by something else.
func (ps *prefs) validMarker(channel, raw string) ID {
	id, ok := parseID(raw)
	if !ok {
		if raw != "" {
			ps.c.opts.Logger.Warn("ignoring an odd read marker", "channel", channel, "marker", raw)
		}
		return ID{}
	}
	return id
}

// countUnread counts, for each page read, the messages of other users
// after its read marker, up to the end of the page (UnreadLimit at most):
// the page's own, and — for a marker older than the page — those between,
// read for every such page in one round trip.
func (ps *prefs) countUnread(ctx context.Context, pages []*pageRead) error {
	type counting struct {
		p       *pageRead
		between *queuedScript // nil: the page holds all
	}
	var todo []counting
	pipe := ps.c.rdb.Pipeline()
	for _, p := range pages {
		marker, page := p.ev.ReadID, p.ev.Messages
		if p.pageSize <= 0 || marker.IsZero() || len(page) == 0 || !page[len(page)-1].ID.After(marker) {
			continue // nothing unread: never read, or read to its end
		}
		t := counting{p: p}
		if !p.ev.Complete && page[0].ID.After(marker) {
			// The marker is older than the page: count what lies between.
			q := ps.c.hist.queueRange(ctx, pipe, p.channel, marker.exclusive("-"), page[0].ID.exclusive("+"), UnreadLimit+1)
			t.between = &q
		}
		todo = append(todo, t)
	}
	if pipe.Len() > 0 {
		_, _ = pipe.Exec(ctx) // each reply is checked below
	}
	for _, t := range todo {
		marker, u := t.p.ev.ReadID, &t.p.ev.Unread
		count := func(m Message) {
			if m.User == ps.c.opts.User || !m.ID.After(marker) || !m.Kind.Shown() || !m.Thread.IsZero() {
				return // one's own, read, or not a line of the channel
			}
			u.Count++
			if Mentions(m.Text, ps.c.opts.User) || CallsEveryone(m.Text) {
				u.Mentions++
			}
		}
		if t.between != nil {
			xs, err := ps.c.hist.rangeMessages(ctx, t.p.channel, *t.between)
			if err != nil {
				return fmt.Errorf("count unread in %q: %w", t.p.channel, err)
			}
			if len(xs) > UnreadLimit {
				xs, u.More = xs[:UnreadLimit], true
			}
			for _, m := range xs {
				count(m)
			}
		}
		for _, m := range t.p.ev.Messages {
			count(m)
		}
	}
	return nil
}

// handleUserEvent turns a message on the user's events topic into a
// ReadEvent ("channel\nid").
func (ps *prefs) handleUserEvent(ctx context.Context, payload string) {
	if raw, ok := strings.CutPrefix(payload, commandReplyMark); ok {
		ps.handleCommandReply(raw)
		return
	}
	channel, raw, ok := strings.Cut(payload, "\n")
	if channel == settingsChanged && !ok {
		ps.c.notices.add(settingsChanged, ps.handleSettings)
		return
	}
	if channel == channelsChanged && !ok {
		// An admin changed the user's private channels.
		ps.c.notices.add(channelsChanged, func(ctx context.Context) {
			ps.c.feed.syncPrivate(ctx)
			ps.c.emit(ctx, ChannelsChangedEvent{})
		})
		return
	}
	if !ok || ValidateConv(channel) != nil {
		return
	}
	if id, ok := parseID(raw); ok && !id.IsZero() {
		ps.c.emit(ctx, ReadEvent{Channel: channel, ID: id})
	}
}

// ReadMarkers returns every read marker of the user: channel (or
// ThreadMarker) → stream id (markers that are not stream ids, written by
// something else, are left out).
func (c *Client) ReadMarkers(ctx context.Context) (map[string]ID, error) {
	m, err := c.rdb.HGetAll(ctx, c.keys.ReadMarks(c.opts.User)).Result()
	if err != nil {
		return nil, fmt.Errorf("read markers of %s: %w", c.opts.User, CleanRedisError(err))
	}
	out := make(map[string]ID, len(m))
	for ch, raw := range m {
		if id, ok := parseID(raw); ok && !id.IsZero() {
			out[ch] = id
		}
	}
	return out, nil
}
