package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rtchat/rtchat/chat"
)

// stamp is a message text that carries its send time.
func stamp() string { return "t=" + strconv.FormatInt(time.Now().UnixNano(), 10) }

// sentAt parses a stamp; ok is false for other texts (warm-up).
func sentAt(text string) (time.Time, bool) {
	rest, ok := strings.CutPrefix(text, "t=")
	if !ok {
		return time.Time{}, false
	}
	ns, err := strconv.ParseInt(rest, 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	return time.Unix(0, ns), true
}

// receiver collects latencies of stamped messages.
type receiver struct {
	mu     sync.Mutex
	lat    []time.Duration
	warmed atomic.Bool
}

func (r *receiver) got(text string) {
	t, ok := sentAt(text)
	if !ok {
		r.warmed.Store(true)
		return
	}
	d := time.Since(t)
	r.mu.Lock()
	r.lat = append(r.lat, d)
	r.mu.Unlock()
}

func (r *receiver) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.lat)
}

// pace calls send total times at rate per second.
func pace(ctx context.Context, rate, total int, send func(i int) error) error {
	start := time.Now()
	for i := range total {
		if d := time.Until(start.Add(time.Duration(i) * time.Second / time.Duration(rate))); d > 0 {
			time.Sleep(d)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err := send(i); err != nil {
			return err
		}
	}
	return nil
}

// warmUp sends until every receiver has seen a warm-up message.
func warmUp(ctx context.Context, rs []*receiver, send func() error) error {
	deadline := time.Now().Add(20 * time.Second)
	for {
		all := true
		for _, r := range rs {
			all = all && r.warmed.Load()
		}
		if all {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("receivers did not get the warm-up message within 20s")
		}
		if err := send(); err != nil {
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// drainWait waits until every receiver has want samples or 3 s pass; it
// returns the latencies and how many were lost.
func drainWait(rs []*receiver, want int) ([]time.Duration, int64) {
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		done := true
		for _, r := range rs {
			done = done && r.count() >= want
		}
		if done {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	var all []time.Duration
	var lost int64
	for _, r := range rs {
		r.mu.Lock()
		all = append(all, r.lat...)
		lost += int64(want - len(r.lat))
		r.mu.Unlock()
	}
	return all, lost
}

func (b *bench) e2e(ctx context.Context) ([]result, error) {
	rate, dur := 1000, 5*time.Second
	counts := []int{1, 100}
	if b.quick {
		dur, counts = time.Second, []int{1, 10}
	}
	total := int(dur.Seconds() * float64(rate))
	var out []result
	for _, n := range counts {
		raw, err := b.e2eRaw(ctx, n, rate, total)
		if err != nil {
			return nil, err
		}
		rt, err := b.e2eRtchat(ctx, n, rate, total)
		if err != nil {
			return nil, err
		}
		where := ""
		if b.cluster != nil {
			where = ", cluster"
		}
		r := result{Scenario: "e2e", Case: fmt.Sprintf("%d receiver(s), %d msg/s%s", n, rate, where), Rtchat: rt, Raw: raw,
			Ratio:  map[string]float64{"p50": ratio(rt.P50, raw.P50), "p99": ratio(rt.P99, raw.P99)},
			Target: "p50 ≤ 1.3×, p99 ≤ 1.5× raw; 0 lost"}
		r.Met = met(r.Ratio["p50"] <= 1.3 && r.Ratio["p99"] <= 1.5 && rt.Lost == 0 && raw.Lost == 0)
		out = append(out, r)
		b.say("%s: rtchat p50 %.0fµs p99 %.0fµs, raw p50 %.0fµs p99 %.0fµs (send call p50/p99: rtchat %.0f/%.0fµs, raw %.0f/%.0fµs)",
			r.Case, rt.P50, rt.P99, raw.P50, raw.P99, rt.Extra["send_call_p50_us"], rt.Extra["send_call_p99_us"], raw.Extra["send_call_p50_us"], raw.Extra["send_call_p99_us"])
		if b.cluster != nil {
			continue // the floor's script publishes unsharded: single node only
		}
		fl, err := b.e2eFloor(ctx, n, rate, total)
		if err != nil {
			return nil, err
		}
		f := result{Scenario: "e2e", Case: fmt.Sprintf("%d receiver(s), %d msg/s, against the floor of the design", n, rate), Rtchat: rt, Raw: fl,
			Ratio:  map[string]float64{"p50": ratio(rt.P50, fl.P50), "p99": ratio(rt.P99, fl.P99)},
			Target: "p50 ≤ 1.2×, p99 ≤ 1.5× the floor (one script: XADD, PUBLISH with the id before it; receivers check the chain); 0 lost"}
		f.Met = met(f.Ratio["p50"] <= 1.2 && f.Ratio["p99"] <= 1.5 && rt.Lost == 0 && fl.Lost == 0)
		out = append(out, f)
		b.say("%s: floor p50 %.0fµs p99 %.0fµs; the bench process's CPU per delivery: rtchat %.1fµs (%.2f of a core), floor %.1fµs (%.2f)",
			f.Case, fl.P50, fl.P99, rt.Extra["process_cpu_us_per_delivery"], rt.Extra["process_cpu_core"], fl.Extra["process_cpu_us_per_delivery"], fl.Extra["process_cpu_core"])
	}
	return out, nil
}

// measureDelivery sends total stamped messages at rate, timing each send
// call, then summarizes what the receivers got.
func measureDelivery(ctx context.Context, rs []*receiver, rate, total int, send func() error) (side, error) {
	start, cpu := time.Now(), processCPU()
	sendLat := make([]time.Duration, 0, total)
	err := pace(ctx, rate, total, func(int) error {
		t := time.Now()
		err := send()
		sendLat = append(sendLat, time.Since(t))
		return err
	})
	if err != nil {
		return side{}, err
	}
	lat, lost := drainWait(rs, total)
	s := summarize(lat)
	s.Lost = lost
	sl := summarize(sendLat)
	// The sender and every receiver run in this process, on the cores
	// Redis has too: what they spend is what each delivery costs a client.
	used := processCPU() - cpu
	s.Extra = map[string]float64{"send_call_p50_us": sl.P50, "send_call_p99_us": sl.P99,
		"process_cpu_core": round(used / time.Since(start).Seconds()), "process_cpu_us_per_delivery": round(used * 1e6 / float64(max(1, len(lat))))}
	s.Throughput = round(float64(len(lat)) / time.Since(start).Seconds())
	return s, nil
}

// e2eRtchat: one rtchat sender, n full chat clients receiving.
func (b *bench) e2eRtchat(ctx context.Context, n, rate, total int) (side, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	channel := fmt.Sprintf("bench-e2e-%d", time.Now().UnixNano()%1e9)
	sendRdb := b.newClient(0)
	left, done := tidy(ctx, sendRdb)
	defer done()
	left.channel(channel)
	left.user("sender")
	sender, err := chat.New(chat.Options{Redis: sendRdb, User: "sender"})
	if err != nil {
		return side{}, err
	}
	if _, _, err := sender.CreateChannel(ctx, channel, ""); err != nil {
		return side{}, err
	}
	rs := make([]*receiver, n)
	var wg sync.WaitGroup
	for i := range rs {
		rdb := b.newClient(2)
		defer rdb.Close()
		left.user(fmt.Sprint("r", i))
		c, err := chat.New(chat.Options{Redis: rdb, User: fmt.Sprint("r", i)})
		if err != nil {
			return side{}, err
		}
		if err := c.Start(ctx); err != nil {
			return side{}, err
		}
		defer c.Close()
		r := &receiver{}
		rs[i] = r
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ev := range c.Events() {
				if m, ok := ev.(chat.MessageEvent); ok {
					r.got(m.Message.Text)
				}
			}
		}()
		if _, err := c.SubscribeToChannel(ctx, channel); err != nil {
			return side{}, err
		}
	}
	if err := warmUp(ctx, rs, func() error { _, err := sender.BroadcastMessage(ctx, channel, "warm"); return err }); err != nil {
		return side{}, err
	}
	return withServerCost(ctx, sendRdb, total, []string{"evalsha", "eval", "fcall"}, func() (side, error) {
		return measureDelivery(ctx, rs, rate, total, func() error {
			_, err := sender.BroadcastMessage(ctx, channel, stamp())
			return err
		})
	})
}

// e2eRaw: a raw pipeline XADD+PUBLISH sender, n raw Pub/Sub subscribers.
func (b *bench) e2eRaw(ctx context.Context, n, rate, total int) (side, error) {
	return b.e2eAnchor(ctx, n, rate, total, false)
}

// e2eFloor is e2eRaw with the floor of the design's send (floorScript:
// the entry published with the id before it) and receivers that check
// the chain, as the least exactly-once delivery needs.
func (b *bench) e2eFloor(ctx context.Context, n, rate, total int) (side, error) {
	return b.e2eAnchor(ctx, n, rate, total, true)
}

// e2eAnchor runs an anchor of e2e: MULTI-less XADD and PUBLISH, or with
// floor the floor's script.
func (b *bench) e2eAnchor(ctx context.Context, n, rate, total int, floor bool) (side, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	key := fmt.Sprintf("bench:raw:{%d}", time.Now().UnixNano()%1e9)
	rdb := b.newClient(0)
	left, done := tidy(ctx, rdb)
	defer done()
	left.key(key)
	rs := make([]*receiver, n)
	for i := range rs {
		sub := b.newClient(1)
		defer sub.Close()
		var ps *redis.PubSub
		if b.cluster != nil {
			ps = sub.SSubscribe(ctx, key)
		} else {
			ps = sub.Subscribe(ctx, key)
		}
		defer ps.Close()
		if _, err := ps.Receive(ctx); err != nil {
			return side{}, err
		}
		r := &receiver{}
		rs[i] = r
		ch := ps.Channel(redis.WithChannelSize(100000))
		go func() {
			last := ""
			for m := range ch {
				if !floor {
					r.got(m.Payload)
					continue
				}
				// prev \n id \n user \n ts \n key \n sig \n text: take it
				// when it chains onto the last one taken (a gap would be
				// read from the stream; none comes here).
				f := strings.SplitN(m.Payload, "\n", 7)
				if len(f) == 7 && (last == "" || f[0] == last) {
					last = f[1]
					r.got(f[6])
				}
			}
		}()
	}
	send := func(text string) error {
		if floor {
			return floorSend(ctx, rdb, key, text)
		}
		pipe := rdb.Pipeline()
		pipe.XAdd(ctx, &redis.XAddArgs{Stream: key, Values: []any{"text", text}})
		if b.cluster != nil {
			pipe.SPublish(ctx, key, text)
		} else {
			pipe.Publish(ctx, key, text)
		}
		_, err := pipe.Exec(ctx)
		return err
	}
	if err := warmUp(ctx, rs, func() error { return send("warm") }); err != nil {
		return side{}, err
	}
	return withServerCost(ctx, rdb, total, []string{"xadd", "publish", "spublish", "evalsha", "eval"}, func() (side, error) {
		return measureDelivery(ctx, rs, rate, total, func() error { return send(stamp()) })
	})
}
