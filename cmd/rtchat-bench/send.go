package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// send measures the throughput of 8 concurrent senders, and the Redis
// time each send costs: the process's CPU (INFO cpu), and the time of the
// commands (INFO commandstats: EVALSHA for rtchat, MULTI and EXEC, which
// includes the XADD and PUBLISH it runs, for the raw path).
func (b *bench) send(ctx context.Context) ([]result, error) {
	const senders = 8
	per := 4000
	if b.quick {
		per = 300
	}
	rdb, left, done := b.scratch(ctx)
	defer done()
	channel, rawKey, c, err := sides(ctx, rdb, left, "send", nil)
	if err != nil {
		return nil, err
	}
	text := "a message of ordinary length, about sixty bytes of text here"
	raw, err := withServerCost(ctx, rdb, senders*per, []string{"multi", "exec"}, func() (side, error) {
		return concurrently(senders, per, func() error {
			_, err := rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.XAdd(ctx, &redis.XAddArgs{Stream: rawKey, Values: []any{"user", "sender", "text", text, "ts", strconv.FormatInt(time.Now().UnixMilli(), 10)}})
				p.Publish(ctx, rawKey, text)
				return nil
			})
			return err
		})
	})
	if err != nil {
		return nil, err
	}
	rt, err := withServerCost(ctx, rdb, senders*per, []string{"evalsha", "eval", "fcall"}, func() (side, error) {
		return concurrently(senders, per, func() error {
			_, err := c.BroadcastMessage(ctx, channel, text)
			return err
		})
	})
	if err != nil {
		return nil, err
	}
	r := result{Scenario: "send", Case: fmt.Sprintf("%d concurrent senders", senders), Rtchat: rt, Raw: raw,
		Ratio:  sendRatios(rt, raw),
		Target: "throughput ≥ 0.7× and Redis CPU per send ≤ 2× raw MULTI{XADD; PUBLISH}"}
	r.Met = met(r.Ratio["throughput"] >= 0.7 && r.Ratio["redis_cpu"] <= 2)
	b.say("rtchat %.0f/s, raw %.0f/s; Redis CPU per send %.1fµs vs %.1fµs, command time %.1fµs vs %.1fµs", rt.Throughput, raw.Throughput,
		rt.Extra["redis_cpu_us_per_send"], raw.Extra["redis_cpu_us_per_send"], rt.Extra["redis_cmd_us_per_send"], raw.Extra["redis_cmd_us_per_send"])

	// The floor of the design: the least a send that chains for
	// exactly-once delivery needs, one script doing only XADD of a signed
	// message's fields and PUBLISH of the entry with the id before it.
	floorKey := rawKey + ":floor"
	left.key(floorKey)
	floor, err := withServerCost(ctx, rdb, senders*per, []string{"evalsha", "eval"}, func() (side, error) {
		return concurrently(senders, per, func() error {
			return floorSend(ctx, rdb, floorKey, text)
		})
	})
	if err != nil {
		return nil, err
	}
	f := result{Scenario: "send", Case: fmt.Sprintf("%d concurrent senders, against the floor of the design", senders), Rtchat: rt, Raw: floor,
		Ratio:  sendRatios(rt, floor),
		Target: "throughput ≥ 0.9× and Redis CPU per send ≤ 1.2× the floor: one script of XADD (user, text, ts, key id, signature) and PUBLISH of the entry with its previous id",
		Note:   "the floor signs nothing on the client (a fixed signature); rtchat signs each message with ed25519"}
	f.Met = met(f.Ratio["throughput"] >= 0.9 && f.Ratio["redis_cpu"] <= 1.2)
	b.say("floor %.0f/s; Redis CPU per send %.1fµs (rtchat %.2f×); the senders' CPU per send: rtchat %.1fµs, floor %.1fµs, MULTI %.1fµs", floor.Throughput,
		floor.Extra["redis_cpu_us_per_send"], f.Ratio["redis_cpu"], rt.Extra["process_cpu_us_per_send"], floor.Extra["process_cpu_us_per_send"], raw.Extra["process_cpu_us_per_send"])
	return []result{r, f}, nil
}

// sendRatios are rtchat's send figures over an anchor's.
func sendRatios(rt, anchor side) map[string]float64 {
	return map[string]float64{
		"throughput":     ratio(rt.Throughput, anchor.Throughput),
		"p50":            ratio(rt.P50, anchor.P50),
		"redis_cpu":      ratio(rt.Extra["redis_cpu_us_per_send"], anchor.Extra["redis_cpu_us_per_send"]),
		"redis_cmd_time": ratio(rt.Extra["redis_cmd_us_per_send"], anchor.Extra["redis_cmd_us_per_send"]),
		"process_cpu":    ratio(rt.Extra["process_cpu_us_per_send"], anchor.Extra["process_cpu_us_per_send"]),
	}
}

// floorSig stands for a 64-byte ed25519 signature (base64).
var floorSig = strings.Repeat("s", 86)

// floorSend sends text to stream key as the floor of the design does.
func floorSend(ctx context.Context, rdb redis.Scripter, key, text string) error {
	return floorScript.Run(ctx, rdb, []string{key}, "sender", text, strconv.FormatInt(time.Now().UnixMilli(), 10), "k1234567", floorSig).Err()
}

// floorScript is the floor of the design's send: the entry stored and
// published with the id of the entry before it, nothing else.
var floorScript = redis.NewScript(`
local prev = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
local before = ''
if prev[1] then before = prev[1][1] end
local id = redis.call('XADD', KEYS[1], '*', 'user', ARGV[1], 'text', ARGV[2], 'ts', ARGV[3], 'key', ARGV[4], 'sig', ARGV[5])
redis.call('PUBLISH', KEYS[1], before .. '\n' .. id .. '\n' .. ARGV[1] .. '\n' .. ARGV[3] .. '\n' .. ARGV[4] .. '\n' .. ARGV[5] .. '\n' .. ARGV[2])
return id
`)

// withServerCost runs op, which makes n sends, and adds to its side the
// Redis CPU and the time of the named commands per send.
func withServerCost(ctx context.Context, rdb redis.UniversalClient, n int, commands []string, op func() (side, error)) (side, error) {
	before, err := readStats(ctx, rdb)
	if err != nil {
		return side{}, err
	}
	cpu := processCPU()
	s, err := op()
	if err != nil {
		return side{}, err
	}
	used := processCPU() - cpu
	after, err := readStats(ctx, rdb)
	if err != nil {
		return side{}, err
	}
	d := before.to(after)
	if s.Extra == nil {
		s.Extra = map[string]float64{}
	}
	s.Extra["redis_cpu_us_per_send"] = round(d.cpuSec * 1e6 / float64(n))
	s.Extra["redis_cmd_us_per_send"] = round(d.sumUsec(commands...) / float64(n))
	// This process's CPU per send: the senders' own side (signing,
	// encoding, the client), which on a small machine competes with Redis
	// for cores (in e2e, its receivers' too).
	s.Extra["process_cpu_us_per_send"] = round(used * 1e6 / float64(n))
	return s, nil
}

// concurrently runs op per times on each of n goroutines and measures it.
func concurrently(n, per int, op func() error) (side, error) {
	lat := make([][]time.Duration, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := time.Now()
	for g := range n {
		wg.Go(func() {
			lat[g] = make([]time.Duration, 0, per)
			for range per {
				t := time.Now()
				if err := op(); err != nil {
					errs[g] = err
					return
				}
				lat[g] = append(lat[g], time.Since(t))
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	var all []time.Duration
	for g := range n {
		if errs[g] != nil {
			return side{}, errs[g]
		}
		all = append(all, lat[g]...)
	}
	s := summarize(all)
	s.Throughput = round(float64(len(all)) / elapsed.Seconds())
	return s, nil
}
