package chat

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// ConsumeMessages reads up to count entries of channel's stream that come
// after stream id after (the zero ID for the beginning; count ≤ 0 for a
// page of Options.PageSize) and returns them as Messages, oldest first —
// the original request's "message consumer" read. Odd entries come back
// marked Malformed.
func (c *Client) ConsumeMessages(ctx context.Context, channel string, after ID, count int64) ([]Message, error) {
	if err := ValidateConv(channel); err != nil {
		return nil, err
	}
	if count <= 0 {
		count = c.opts.PageSize
	}
	return c.consume(ctx, channel, after, count)
}

func (c *Client) consume(ctx context.Context, channel string, after ID, count int64) ([]Message, error) {
	xs, err := c.rdb.XRangeN(ctx, c.streamOf(channel), after.exclusive("-"), "+", count).Result()
	if err != nil {
		return nil, fmt.Errorf("read %q: %w", channel, err)
	}
	return decodeAll(channel, xs), nil
}

// History returns the page of channel's messages just before stream id
// before (the zero ID for the newest page), oldest first, and whether older
// entries remain. Only messages shown as lines count (not edits, deletes,
// reactions or thread replies); each carries its State, and a reply the
// message it answers when that lies outside the page (Quote). One page is
// one call whatever the stream's length (see pageScript).
func (c *Client) History(ctx context.Context, channel string, before ID) (msgs []Message, more bool, err error) {
	if err := ValidateConv(channel); err != nil {
		return nil, false, err
	}
	msgs, more, _, err = c.readPage(ctx, c.rdb, channel, before, c.opts.PageSize)
	if err != nil {
		return nil, false, err
	}
	c.verify.rememberAll(msgs)
	return msgs, more, nil
}

func decodeAll(channel string, xs []redis.XMessage) []Message {
	out := make([]Message, len(xs))
	for i, x := range xs {
		out[i] = decodeEntry(channel, x.ID, x.Values)
	}
	return out
}

// Fanout reads channel's stream after stream id after and publishes every
// entry to the channel's live subscribers — the original request's
// consumer that "reads the stream and fans messages out to subscribers",
// for entries that were stored without being published (ProduceMessage,
// other tools). Every payload names the entry before it, so subscribers
// take them in order and drop what they have already. It returns how many
// entries it published and the id of the last one.
func (c *Client) Fanout(ctx context.Context, channel string, after ID) (n int, last ID, err error) {
	last = after
	for {
		msgs, err := c.ConsumeMessages(ctx, channel, last, readPage)
		if err != nil {
			return n, last, fmt.Errorf("fan out: %w", err)
		}
		if len(msgs) == 0 {
			return n, last, nil
		}
		// The entry before the first one, so receivers can spot a gap.
		var prev ID
		before, err := c.rdb.XRevRangeN(ctx, c.streamOf(channel), msgs[0].ID.exclusive("+"), "-", 1).Result()
		if err != nil {
			return n, last, fmt.Errorf("fan out %q: %w", channel, err)
		}
		if len(before) > 0 {
			prev, _ = parseID(before[0].ID)
		}
		pipe := c.rdb.Pipeline()
		topic := c.streamOf(channel)
		for _, m := range msgs {
			payload := encodeLive(m, prev)
			if c.sharded(channel) {
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
		if len(msgs) < readPage {
			return n, last, nil
		}
	}
}
