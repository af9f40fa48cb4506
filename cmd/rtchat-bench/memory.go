package main

import (
	"context"
	crand "crypto/rand"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rtchat/rtchat/chat"
)

// memoryText is the i-th ordinary message of the memory scenario: about
// 80 bytes, every one different.
func memoryText(i int) string {
	t := fmt.Sprintf("message %06d: the deploy of the new build went out, graphs look fine", i)
	return t + strings.Repeat(".", max(80-len(t), 0))
}

// memory measures what a stored message costs Redis: rtchat's sends
// against a bare XADD of user, text and time, each into a stream of its
// own. It reads used_memory (everything the sends left: the entries and
// any per-message record) and MEMORY USAGE of the stream, and the number
// of keys the sends added.
func (b *bench) memory(ctx context.Context) ([]result, error) {
	n := 10_000
	if b.quick {
		n = 1_000
	}
	rdb, left, done := b.scratch(ctx)
	defer done()
	channel, rawKey, c, err := sides(ctx, rdb, left, "mem", nil)
	if err != nil {
		return nil, err
	}
	// The first entry of each stream is not counted: it makes the key.
	if _, err := c.BroadcastMessage(ctx, channel, memoryText(0)); err != nil {
		return nil, err
	}
	rawAdd := func(i int) error {
		return rdb.XAdd(ctx, &redis.XAddArgs{Stream: rawKey, Values: []any{
			"user", "sender", "text", memoryText(i), "ts", strconv.FormatInt(time.Now().UnixMilli(), 10)}}).Err()
	}
	if err := rawAdd(0); err != nil {
		return nil, err
	}
	raw, err := memoryOf(ctx, rdb, rawKey, n, rawAdd)
	if err != nil {
		return nil, err
	}
	rt, err := memoryOf(ctx, rdb, chat.DefaultKeys().Stream(channel), n, func(i int) error {
		_, err := c.BroadcastMessage(ctx, channel, memoryText(i))
		return err
	})
	if err != nil {
		return nil, err
	}
	r := memoryResult(fmt.Sprintf("%d messages of ~80 bytes", n), n, rt, raw)
	r.Target = "Redis memory per message ≤ 1.3× a bare XADD of user, text, ts"
	r.Note = "no per-message record exists (keys added per message: rtchat 0), so the figure is the same " +
		"while idempotency records would be alive and after: only a retried send searches the stream"
	r.Met = met(r.Ratio["memory"] <= 1.3 && rt["keys_added"] == 0)
	b.say("%s: rtchat %.0f B/message (MEMORY USAGE %.0f), bare XADD %.0f B/message (%.0f); keys added %v",
		r.Case, rt["used_memory_per_message"], rt["memory_usage_per_message"], raw["used_memory_per_message"], raw["memory_usage_per_message"], rt["keys_added"])
	signed, err := b.signedMemory(ctx, rdb, left, n)
	if err != nil {
		return nil, err
	}
	// The floor of a signed message: a bare XADD of user, text, ts, an
	// 8-byte key id and a 64-byte signature.
	floorKey := rawKey + ":signed"
	left.key(floorKey)
	sig := make([]byte, 64)
	floorAdd := func(i int) error {
		_, _ = crand.Read(sig)
		return rdb.XAdd(ctx, &redis.XAddArgs{Stream: floorKey, Values: []any{
			"user", "sender", "text", memoryText(i), "ts", strconv.FormatInt(time.Now().UnixMilli(), 10),
			"key", "Jooi3gHh", "sig", string(sig)}}).Err()
	}
	if err := floorAdd(0); err != nil {
		return nil, err
	}
	floor, err := memoryOf(ctx, rdb, floorKey, n, floorAdd)
	if err != nil {
		return nil, err
	}
	s := memoryResult(fmt.Sprintf("%d signed messages (as rtchat sends), against the floor of a signed message", n), n, signed, floor)
	s.Target = "Redis memory per signed message ≤ 1.15× a bare XADD of user, text, ts, an 8-byte key id and a 64-byte signature"
	s.Note = "rtchat's entry adds mid (the client's id a retry searches for) and channel_id to the floor's fields"
	s.Met = met(s.Ratio["memory"] <= 1.15)
	b.say("%s: %.0f B/message (MEMORY USAGE %.0f), floor %.0f B/message (%.0f)", s.Case, signed["used_memory_per_message"], signed["memory_usage_per_message"],
		floor["used_memory_per_message"], floor["memory_usage_per_message"])
	return []result{r, s}, nil
}

// memoryResult is one row of the memory scenario: rtchat's figures (rt)
// against a bare XADD's (raw).
func memoryResult(what string, n int, rt, raw map[string]float64) result {
	return result{Scenario: "memory", Case: what,
		Rtchat: side{Samples: n, Extra: rt}, Raw: side{Samples: n, Extra: raw},
		Ratio: map[string]float64{
			"memory":       ratio(rt["used_memory_per_message"], raw["used_memory_per_message"]),
			"stream_usage": ratio(rt["memory_usage_per_message"], raw["memory_usage_per_message"]),
		}}
}

// signedMemory is memoryOf for n messages of a signing client.
func (b *bench) signedMemory(ctx context.Context, rdb *redis.Client, left *leftovers, n int) (map[string]float64, error) {
	channel, _, c, err := sides(ctx, rdb, left, "mem-signed", chat.NewSigner())
	if err != nil {
		return nil, err
	}
	if _, err := c.BroadcastMessage(ctx, channel, memoryText(0)); err != nil {
		return nil, err
	}
	return memoryOf(ctx, rdb, chat.DefaultKeys().Stream(channel), n, func(i int) error {
		_, err := c.BroadcastMessage(ctx, channel, memoryText(i))
		return err
	})
}

// memoryOf runs add for 1…n and reports the server's memory growth per
// message, the stream's MEMORY USAGE per message, and the keys added.
func memoryOf(ctx context.Context, rdb *redis.Client, key string, n int, add func(i int) error) (map[string]float64, error) {
	before, err := readStats(ctx, rdb)
	if err != nil {
		return nil, err
	}
	keys0, _ := rdb.DBSize(ctx).Result()
	usage0, _ := rdb.MemoryUsage(ctx, key, 0).Result()
	for i := 1; i <= n; i++ {
		if err := add(i); err != nil {
			return nil, err
		}
	}
	after, err := readStats(ctx, rdb)
	if err != nil {
		return nil, err
	}
	keys1, _ := rdb.DBSize(ctx).Result()
	usage1, err := rdb.MemoryUsage(ctx, key, 0).Result()
	if err != nil {
		return nil, fmt.Errorf("MEMORY USAGE %s: %w", key, err)
	}
	return map[string]float64{
		"used_memory_per_message":  round(float64(before.to(after).memory) / float64(n)),
		"memory_usage_per_message": round(float64(usage1-usage0) / float64(n)),
		"keys_added":               float64(keys1 - keys0),
	}, nil
}
