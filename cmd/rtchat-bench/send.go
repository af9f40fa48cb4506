package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rtchat/rtchat/chat"
)

// send measures the throughput of 8 concurrent senders.
func (b *bench) send(ctx context.Context) ([]result, error) {
	const senders = 8
	per := 4000
	if b.quick {
		per = 300
	}
	rdb := redis.NewClient(b.opts)
	defer rdb.Close()
	channel := fmt.Sprintf("bench-send-%d", time.Now().UnixNano()%1e9)
	c, err := chat.New(chat.Options{Redis: rdb, User: "sender"})
	if err != nil {
		return nil, err
	}
	if _, _, err := c.CreateChannel(ctx, channel, ""); err != nil {
		return nil, err
	}
	text := "a message of ordinary length, about sixty bytes of text here"
	raw, err := concurrently(senders, per, func() error {
		_, err := rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.XAdd(ctx, &redis.XAddArgs{Stream: "bench:send:{raw}", Values: []any{"user", "sender", "text", text}})
			p.Publish(ctx, "bench:send:{raw}", text)
			return nil
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	rt, err := concurrently(senders, per, func() error {
		_, err := c.BroadcastMessage(ctx, channel, text)
		return err
	})
	if err != nil {
		return nil, err
	}
	_ = rdb.Del(ctx, "bench:send:{raw}", chat.DefaultKeys().Stream(channel), chat.DefaultKeys().Channel(channel)).Err()
	r := result{Scenario: "send", Case: fmt.Sprintf("%d concurrent senders", senders), Rtchat: rt, Raw: raw,
		Ratio:  map[string]float64{"throughput": ratio(rt.Throughput, raw.Throughput), "p50": ratio(rt.P50, raw.P50)},
		Target: "throughput ≥ 0.7× raw MULTI{XADD; PUBLISH}"}
	r.Met = met(r.Ratio["throughput"] >= 0.7)
	b.say("rtchat %.0f/s, raw %.0f/s", rt.Throughput, raw.Throughput)
	return []result{r}, nil
}

// concurrently runs op per times on each of n goroutines and measures it.
func concurrently(n, per int, op func() error) (side, error) {
	lat := make([][]time.Duration, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := time.Now()
	for g := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lat[g] = make([]time.Duration, 0, per)
			for range per {
				t := time.Now()
				if err := op(); err != nil {
					errs[g] = err
					return
				}
				lat[g] = append(lat[g], time.Since(t))
			}
		}()
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
