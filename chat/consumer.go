package chat

import (
	"context"
	"fmt"
	"slices"

	"github.com/redis/go-redis/v9"
)

// ConsumeMessages reads up to count entries of channel's stream that come
// after stream id after ("" or "0" for the beginning; count ≤ 0 for a page
// of Options.PageSize) and returns them as Messages, oldest first — the
// seed's "message consumer" read. Odd entries come back marked Malformed.
func (c *Client) ConsumeMessages(ctx context.Context, channel, after string, count int64) ([]Message, error) {
	if err := ValidateName(channel); err != nil {
		return nil, err
	}
	if count <= 0 {
		count = c.opts.PageSize
	}
	start := "-"
	if after != "" && after != "0" {
		start = "(" + after
	}
	xs, err := c.rdb.XRangeN(ctx, c.keys.Stream(channel), start, "+", count).Result()
	if err != nil {
		return nil, fmt.Errorf("read %q: %w", channel, err)
	}
	return decodeAll(channel, xs), nil
}

// History returns the page of channel's messages just before stream id
// before ("" for the newest page), oldest first, and whether older entries
// remain. One page costs one XREVRANGE whatever the stream's length.
func (c *Client) History(ctx context.Context, channel, before string) (msgs []Message, more bool, err error) {
	return c.history(ctx, channel, before, c.opts.PageSize)
}

func (c *Client) history(ctx context.Context, channel, before string, pageSize int64) (msgs []Message, more bool, err error) {
	if err := ValidateName(channel); err != nil {
		return nil, false, err
	}
	end := "+"
	if before != "" {
		end = "(" + before
	}
	// Ask for one extra entry to learn whether an older page exists.
	xs, err := c.rdb.XRevRangeN(ctx, c.keys.Stream(channel), end, "-", pageSize+1).Result()
	if err != nil {
		return nil, false, fmt.Errorf("read history of %q: %w", channel, err)
	}
	msgs, more = page(channel, xs, pageSize)
	return msgs, more, nil
}

// page turns an XREVRANGE of pageSize+1 entries into a page, oldest first,
// and whether older entries remain.
func page(channel string, xs []redis.XMessage, pageSize int64) ([]Message, bool) {
	more := int64(len(xs)) > pageSize
	if more {
		xs = xs[:pageSize]
	}
	slices.Reverse(xs)
	return decodeAll(channel, xs), more
}

func decodeAll(channel string, xs []redis.XMessage) []Message {
	out := make([]Message, len(xs))
	for i, x := range xs {
		out[i] = decodeEntry(channel, x.ID, x.Values)
	}
	return out
}

// Fanout reads channel's stream after stream id after and publishes every
// entry to the channel's live subscribers — the seed's consumer that "reads
// the stream and fans messages out to subscribers", for entries that were
// stored without being published (ProduceMessage, other tools). Subscribers
// drop entries they already have, so fanning out twice is harmless. It
// returns how many entries it published and the id of the last one.
func (c *Client) Fanout(ctx context.Context, channel, after string) (n int, last string, err error) {
	last = after
	for {
		msgs, err := c.ConsumeMessages(ctx, channel, last, 1000)
		if err != nil {
			return n, last, fmt.Errorf("fan out: %w", err)
		}
		if len(msgs) == 0 {
			return n, last, nil
		}
		// The entry before the first one, so receivers can spot a gap.
		prev := ""
		before, err := c.rdb.XRevRangeN(ctx, c.keys.Stream(channel), "("+msgs[0].ID, "-", 1).Result()
		if err != nil {
			return n, last, fmt.Errorf("fan out %q: %w", channel, err)
		}
		if len(before) > 0 {
			prev = before[0].ID
		}
		pipe := c.rdb.Pipeline()
		topic := c.keys.Topic(channel)
		for _, m := range msgs {
			payload, err := encodeLive(m, prev)
			if err != nil {
				return n, last, fmt.Errorf("fan out: %w", err)
			}
			if c.cluster != nil {
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
		if len(msgs) < 1000 {
			return n, last, nil
		}
	}
}
