package chat

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"
)

// history is the client's part that reads streams: ranges of entries
// decoded into Messages with their State (consumer.go), pages of history
// and threads (structure.go), and which stream and hash a conversation's
// messages live in (conv.go). It has no state of its own.
type history struct{ c *Client }

// ConsumeMessages reads up to count entries of channel's stream that come
// after stream id after (the zero ID for the beginning; count ≤ 0 for a
// page of Options.PageSize) and returns them as Messages, oldest first —
// the "message consumer" role's read. Odd entries come back
// marked Malformed.
func (c *Client) ConsumeMessages(ctx context.Context, channel string, after ID, count int64) ([]Message, error) {
	if err := ValidateConv(channel); err != nil {
		return nil, err
	}
	if count <= 0 {
		count = c.opts.PageSize
	}
	return c.hist.consume(ctx, channel, after, count)
}

func (h *history) consume(ctx context.Context, channel string, after ID, count int64) ([]Message, error) {
	q := h.queueRange(ctx, h.c.rdb, channel, after.exclusive("-"), "+", count)
	msgs, err := h.rangeMessages(ctx, channel, q)
	if err != nil {
		return nil, fmt.Errorf("read %q: %w", channel, err)
	}
	return msgs, nil
}

// idsAfter returns the ids of up to count (≤ 1000) entries of channel's
// stream after after, oldest first (the ids only: see idsScriptSource).
func (h *history) idsAfter(ctx context.Context, channel string, after ID, count int64) ([]ID, error) {
	res, err := h.c.scripts.queue(ctx, h.c.rdb, idsScript, []string{h.streamOf(channel)}, after.exclusive("-"), count).result(ctx).Slice()
	if err != nil {
		return nil, fmt.Errorf("read %q: %w", channel, CleanRedisError(err))
	}
	if len(res) != 2 {
		return nil, fmt.Errorf("read %q: unexpected reply", channel)
	}
	if odd := oddKeys(res[1]); odd != nil {
		h.c.opts.Logger.Warn("read around a key of the wrong type", "channel", channel, "err", odd)
	}
	raw, _ := res[0].([]any)
	ids := make([]ID, 0, len(raw))
	for _, r := range raw {
		s, _ := r.(string)
		id, ok := parseID(s)
		if !ok {
			return nil, fmt.Errorf("read %q: an entry id %q", channel, s)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// valueLimit is the longest value a read returns (see clip in
// luaCommon): four times the message limit, so that what another rtchat
// with a larger limit sent still reads whole.
func (h *history) valueLimit() int { return 4*h.c.opts.MaxMessageBytes + 4096 }

// queueRange queues on pipe (or runs, when pipe is the client) the read of
// up to count entries of conv's stream from start to end, as XRANGE takes
// them (see rangeScript).
func (h *history) queueRange(ctx context.Context, pipe processor, conv, start, end string, count int64) queuedScript {
	return h.c.scripts.queue(ctx, pipe, rangeScript, []string{h.streamOf(conv)}, start, end, count, h.valueLimit())
}

// rangeMessages decodes what a range read returned. A stream of the wrong
// type reads as empty (and is logged: the first page named it).
func (h *history) rangeMessages(ctx context.Context, conv string, q queuedScript) ([]Message, error) {
	res, err := q.result(ctx).Slice()
	if err != nil {
		return nil, CleanRedisError(err)
	}
	if len(res) != 2 {
		return nil, fmt.Errorf("unexpected reply")
	}
	if odd := oddKeys(res[1]); odd != nil {
		h.c.opts.Logger.Warn("read around a key of the wrong type", "channel", conv, "err", odd)
	}
	entries, _ := res[0].([]any)
	return scriptMessages(conv, entries, nil, nil, false), nil
}

// History returns the page of channel's messages just before stream id
// before (the zero ID for the newest page), oldest first, and whether older
// entries remain. Only messages shown as lines count (not edits, deletes,
// reactions or thread replies); each carries its State, and a reply the
// message it answers when that lies outside the page (Quote). One page is
// one call whatever the stream's length (see pageScript). When keys had
// to be left out (a value of the wrong type), the page comes back with an
// *OddKeysError that names them.
func (c *Client) History(ctx context.Context, channel string, before ID) (Page, error) {
	if err := ValidateConv(channel); err != nil {
		return Page{}, err
	}
	r, err := c.hist.readPage(ctx, channel, before, c.opts.PageSize)
	var odd *OddKeysError
	if err != nil && !errors.As(err, &odd) {
		return Page{}, err
	}
	c.verify.rememberAll(r.Messages)
	return r.Page, err
}

// Newest resolves conversation name as typed (see Resolve), checks that
// it exists, and reads its newest n messages (at most a page; History
// reads older ones): one round trip for a public channel, as "rtchat tail"
// wants; a private channel or a direct conversation costs a lookup more.
// Keys left out come back as History's do.
func (c *Client) Newest(ctx context.Context, name string, n int64) (conv string, page []Message, more bool, err error) {
	pipe := c.rdb.Pipeline()
	finish := c.QueueNewest(ctx, pipe, name, n)
	if pipe.Len() > 0 {
		_, _ = pipe.Exec(ctx) // each reply is checked in finish
	}
	return finish(ctx)
}

// QueueNewest is Newest for a caller that carries its reads in an
// exchange of its own: it queues them on pipe, and finish, once pipe ran,
// answers as Newest does.
func (c *Client) QueueNewest(ctx context.Context, pipe redis.Pipeliner, name string, n int64) (finish func(context.Context) (string, []Message, bool, error)) {
	name = strings.TrimPrefix(name, "#")
	if err := ValidateConv(name); err != nil {
		return func(context.Context) (string, []Message, bool, error) { return "", nil, false, err }
	}
	n = min(max(n, 1), c.opts.PageSize)
	_, dm := PeerOf(name)
	_, private := PrivateName(name)
	if dm || private {
		return func(ctx context.Context) (string, []Message, bool, error) { return c.hist.newestOf(ctx, name, n) }
	}
	mine := pipe.SIsMember(ctx, c.keys.UserPrivate(c.opts.User), name)
	id := pipe.HGet(ctx, c.keys.Channel(name), "id")
	q := c.hist.queueNewestPage(ctx, pipe, name, n)
	return func(ctx context.Context) (string, []Message, bool, error) {
		switch err := id.Err(); {
		case mine.Err() != nil:
			return "", nil, false, fmt.Errorf("look up %q: %w", name, CleanRedisError(mine.Err()))
		case mine.Val():
			return c.hist.newestOf(ctx, Private(name), n)
		case errors.Is(err, redis.Nil):
			return "", nil, false, fmt.Errorf("%q: %w", name, ErrNoSuchChannel)
		case err != nil:
			return "", nil, false, fmt.Errorf("look up %q: %w", name, CleanRedisError(err))
		}
		res, err := q.result(ctx).Slice()
		if err != nil {
			return "", nil, false, fmt.Errorf("read history of %q: %w", name, CleanRedisError(err))
		}
		r := c.hist.decodePage(name, res)
		c.verify.rememberAll(r.Messages)
		return name, r.Messages, r.More, r.odd
	}
}

// newestOf is Newest for a private channel or a direct conversation.
func (h *history) newestOf(ctx context.Context, conv string, n int64) (string, []Message, bool, error) {
	if _, err := h.c.Channel(ctx, conv); err != nil {
		return "", nil, false, err
	}
	r, err := h.readPage(ctx, conv, ID{}, n)
	var odd *OddKeysError
	if err != nil && !errors.As(err, &odd) {
		return "", nil, false, err
	}
	h.c.verify.rememberAll(r.Messages)
	return conv, r.Messages, r.More, err
}

func decodeAll(channel string, xs []redis.XMessage) []Message {
	out := make([]Message, len(xs))
	for i, x := range xs {
		out[i] = decodeEntry(channel, x.ID, x.Values)
	}
	return out
}

// Fanout reads channel's stream after stream id after and publishes every
// entry to the channel's live subscribers — the consumer that "reads the
// stream and fans messages out to subscribers",
// for entries that were stored without being published (ProduceMessage,
// other tools). Every payload names the entry before it, so subscribers
// take them in order and drop what they have already. It returns how many
// entries it published and the id of the last one.
func (c *Client) Fanout(ctx context.Context, channel string, after ID) (n int, last ID, err error) {
	last = after
	for {
		msgs, err := c.ConsumeMessages(ctx, channel, last, catchUpBatch)
		if err != nil {
			return n, last, fmt.Errorf("fan out: %w", err)
		}
		if len(msgs) == 0 {
			return n, last, nil
		}
		// The entry before the first one, so receivers can spot a gap.
		var prev ID
		before, err := c.rdb.XRevRangeN(ctx, c.hist.streamOf(channel), msgs[0].ID.exclusive("+"), "-", 1).Result()
		if err != nil {
			return n, last, fmt.Errorf("fan out %q: %w", channel, err)
		}
		if len(before) > 0 {
			prev, _ = parseID(before[0].ID)
		}
		pipe := c.rdb.Pipeline()
		topic := c.hist.streamOf(channel)
		for _, m := range msgs {
			payload := encodeLive(m, prev)
			if c.out.sharded(channel) {
				pipe.SPublish(ctx, topic, payload)
			} else {
				pipe.Publish(ctx, topic, payload)
			}
			prev = m.ID
		}
		if _, err := pipe.Exec(ctx); err != nil {
			return n, last, fmt.Errorf("fan out %q: %w", channel, err)
		}
		n += len(msgs)
		last = msgs[len(msgs)-1].ID
		if len(msgs) < catchUpBatch {
			return n, last, nil
		}
	}
}
