package main

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rtchat/rtchat/chat"
)

// join measures the time to the first page on a short and a long stream.
func (b *bench) join(ctx context.Context) ([]result, error) {
	small, large, rounds := 1_000, 1_000_000, 300
	if b.quick {
		large, rounds = 100_000, 50
	}
	rdb, left, done := b.scratch(ctx)
	defer done()
	c, err := chat.New(chat.Options{Redis: rdb, User: "joiner", PageSize: 200})
	if err != nil {
		return nil, err
	}
	// The newest page is signed, as rtchat writes it, so that checking a
	// screen of it costs what it costs in the window.
	writer, err := chat.New(chat.Options{Redis: rdb, User: "writer", Signer: chat.NewSigner()})
	if err != nil {
		return nil, err
	}
	if err := writer.RegisterKey(ctx); err != nil {
		return nil, err
	}
	left.user("writer")
	var out []result
	var smallP50 float64
	for _, size := range []int{small, large} {
		channel := fmt.Sprintf("bench-join-%d", size)
		left.channel(channel)
		key := chat.DefaultKeys().Stream(channel)
		if err := fill(ctx, rdb, key, size-200); err != nil {
			return nil, err
		}
		if _, err := writer.Open(ctx, channel); err != nil {
			return nil, err
		}
		for i := range 200 {
			if _, err := writer.BroadcastMessage(ctx, channel, fmt.Sprintf("signed message %d with some ordinary words in it", i)); err != nil {
				return nil, err
			}
		}
		b.say("stream of %d entries filled", size)
		raw := measure(rounds, func() error { return rdb.XRevRangeN(ctx, key, "+", "-", 200).Err() })
		rt := measure(rounds, func() error { _, err := c.History(ctx, channel, chat.ID{}); return err })
		// What the window does on a join: the page, then a check of the
		// screenful it draws (40 lines; the author's keys are read once).
		shown := measure(rounds, func() error {
			p, err := c.History(ctx, channel, chat.ID{})
			if err == nil {
				_, _, err = c.VerifyNow(ctx, p.Messages[len(p.Messages)-40:]...)
			}
			return err
		})
		r := result{Scenario: "join", Case: fmt.Sprintf("first page of a %d-entry stream", size), Rtchat: rt, Raw: raw,
			Ratio: map[string]float64{"p50": ratio(rt.P50, raw.P50), "p99": ratio(rt.P99, raw.P99),
				"verified_screen_p50": ratio(shown.P50, raw.P50)}}
		r.Rtchat.Extra = map[string]float64{"page_and_verify_40_p50_us": shown.P50, "verify_40_us": round(shown.P50 - rt.P50)}
		b.say("%d entries: page %.0fµs, page and a verified screen %.0fµs (raw %.0fµs)", size, rt.P50, shown.P50, raw.P50)
		if size == small {
			smallP50 = rt.P50
			r.Target = "reference for the long stream"
		} else {
			r.Ratio["vs_small"] = ratio(rt.P50, smallP50)
			r.Target = fmt.Sprintf("p50 ≤ 1.2× the %d-entry stream", small)
			r.Met = met(r.Ratio["vs_small"] <= 1.2)
		}
		out = append(out, r)
		if size == large {
			s, err := b.joinStructured(ctx, rdb, c, writer, left, large, rounds, rt)
			if err != nil {
				return nil, err
			}
			out = append(out, s)
		}
	}
	return out, nil
}

// fill appends n rtchat-shaped entries to key.
func fill(ctx context.Context, rdb *redis.Client, key string, n int) error {
	_ = rdb.Del(ctx, key).Err()
	const batch = 5000
	ts := strconv.FormatInt(time.Now().UnixMilli(), 10)
	for done := 0; done < n; done += batch {
		pipe := rdb.Pipeline()
		for i := done; i < min(done+batch, n); i++ {
			pipe.XAdd(ctx, &redis.XAddArgs{Stream: key, Values: []any{
				"mid", "m" + strconv.Itoa(i), "channel_id", "c1", "user", "user" + strconv.Itoa(i%7),
				"text", "message number " + strconv.Itoa(i) + " with some ordinary words in it", "ts", ts, "kind", ""}})
		}
		if _, err := pipe.Exec(ctx); err != nil {
			return fmt.Errorf("fill %s: %w", key, err)
		}
	}
	return nil
}

// measure times op rounds times (after a few warm-up calls).
func measure(rounds int, op func() error) side {
	for range 5 {
		_ = op()
	}
	lat := make([]time.Duration, 0, rounds)
	start := time.Now()
	for range rounds {
		t := time.Now()
		if err := op(); err != nil {
			return side{Lost: 1}
		}
		lat = append(lat, time.Since(t))
	}
	s := summarize(lat)
	s.Throughput = round(float64(rounds) / time.Since(start).Seconds())
	return s
}

// joinStructured measures the first page of a stream of size entries of
// which one in ten is a change (an edit or a reaction) against the plain
// stream of the same length (plain): a page is lines, so the changes are
// skipped, and their effect is read from the state Hash.
func (b *bench) joinStructured(ctx context.Context, rdb *redis.Client, c, writer *chat.Client, left *leftovers, size, rounds int, plain side) (result, error) {
	channel := fmt.Sprintf("bench-join-structured-%d", size)
	left.channel(channel)
	key := chat.DefaultKeys().Stream(channel)
	left.key(key + ":state")
	if err := fillStructured(ctx, rdb, key, size-220); err != nil {
		return result{}, err
	}
	if _, err := writer.Open(ctx, channel); err != nil {
		return result{}, err
	}
	for i := range 200 {
		sent, err := writer.BroadcastMessage(ctx, channel, fmt.Sprintf("signed message %d with some ordinary words in it", i))
		if err != nil {
			return result{}, err
		}
		if i%10 == 9 {
			if _, err := writer.Broadcast(ctx, chat.Draft{Channel: channel, Kind: chat.KindReact, Ref: sent.ID, Text: "👍"}); err != nil {
				return result{}, err
			}
		}
	}
	b.say("stream of %d entries with %d changes filled", size, size/10)
	rt := measure(rounds, func() error { _, err := c.History(ctx, channel, chat.ID{}); return err })
	r := result{Scenario: "join", Case: fmt.Sprintf("first page of a %d-entry stream, %d of them edits and reactions", size, size/10),
		Rtchat: rt, Raw: plain, Ratio: map[string]float64{"p50_vs_plain": ratio(rt.P50, plain.P50), "p99_vs_plain": ratio(rt.P99, plain.P99)},
		Target: "p50 ≤ 1.2× the plain stream of the same length (the raw column)"}
	r.Met = met(r.Ratio["p50_vs_plain"] <= 1.2)
	b.say("with changes: page %.0fµs, plain %.0fµs", rt.P50, plain.P50)
	return r, nil
}

// fillStructured appends n entries to key, one in ten an edit or a
// reaction of the message before it, and records their state as the send
// script would.
func fillStructured(ctx context.Context, rdb *redis.Client, key string, n int) error {
	_ = rdb.Del(ctx, key, key+":state").Err()
	const batch = 5000
	ts := strconv.FormatInt(time.Now().UnixMilli(), 10)
	base := time.Now().UnixMilli() - int64(n) - 10_000
	for done := 0; done < n; done += batch {
		pipe := rdb.Pipeline()
		for i := done; i < min(done+batch, n); i++ {
			id := fmt.Sprintf("%d-0", base+int64(i))
			values := []any{"user", "user" + strconv.Itoa(i%7), "text", "message number " + strconv.Itoa(i) + " with some ordinary words in it", "ts", ts, "mid", "m" + strconv.Itoa(i), "channel_id", "c1"}
			if i%10 == 9 {
				prev := fmt.Sprintf("%d-0", base+int64(i-1))
				if i%20 == 9 {
					values = []any{"user", "user" + strconv.Itoa((i-1)%7), "text", "mended", "ts", ts, "mid", "m" + strconv.Itoa(i), "channel_id", "c1", "kind", "edit", "ref", prev}
					pipe.HSet(ctx, key+":state", prev, `{"e":{"id":"`+id+`","t":"mended","ts":"`+ts+`","m":"m`+strconv.Itoa(i)+`"}}`)
				} else {
					values = []any{"user", "user" + strconv.Itoa(i%7), "text", "👍", "ts", ts, "mid", "m" + strconv.Itoa(i), "channel_id", "c1", "kind", "react", "ref", prev}
					pipe.HSet(ctx, key+":state", prev, `{"r":{"👍":["user`+strconv.Itoa(i%7)+`"]}}`)
				}
			}
			pipe.XAdd(ctx, &redis.XAddArgs{Stream: key, ID: id, Values: values})
		}
		if _, err := pipe.Exec(ctx); err != nil {
			return fmt.Errorf("fill %s: %w", key, err)
		}
	}
	return nil
}
