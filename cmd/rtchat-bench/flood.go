package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rtchat/rtchat/chat"
)

// flood sends a million messages as fast as four senders can into the
// channel a real window (chat client and UI, max_lines 5000) shows, and
// reports the process's memory once the window shows the last one: the
// window keeps a bounded log, whatever the flood.
func (b *bench) flood(ctx context.Context) ([]result, error) {
	total, senders := 1_000_000, 4
	if b.quick {
		total = 20_000
	}
	rdb, left, done := b.scratch(ctx)
	defer done()
	channel, c, err := watcher(ctx, rdb, left, "bench-flood")
	if err != nil {
		return nil, err
	}
	for i := range senders {
		left.user(fmt.Sprint("flooder", i))
	}
	if err := rdb.SAdd(ctx, chat.DefaultKeys().UserChannels("watcher"), channel).Err(); err != nil {
		return nil, err
	}
	screen, stop, err := openWindow(ctx, c)
	if err != nil {
		return nil, err
	}
	defer stop()
	start := time.Now()
	if err := floodSend(ctx, b.opts, channel, senders, total); err != nil {
		return nil, err
	}
	// The senders interleave; one last message, after all of them, is
	// the newest line once the window has taken everything.
	const last = "the flood is over"
	if _, err := c.BroadcastMessage(ctx, channel, last); err != nil {
		return nil, err
	}
	if err := waitFor(screen, func() bool { return strings.Contains(screen.row(-3)+screen.row(-4), last) }, 5*time.Minute); err != nil {
		return nil, fmt.Errorf("the window did not show the last message: %w", err)
	}
	elapsed := time.Since(start)
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	rss := residentBytes()
	rt := side{Samples: total, Throughput: round(float64(total) / elapsed.Seconds()), Extra: map[string]float64{
		"rss_mib":  round(float64(rss) / (1 << 20)),
		"heap_mib": round(float64(ms.HeapAlloc) / (1 << 20)),
	}}
	r := result{Scenario: "flood", Case: fmt.Sprintf("%d messages into the window's channel", total), Rtchat: rt, Ratio: map[string]float64{},
		Target: "memory bounded (max_lines 5000): RSS after the flood reported", Note: "RSS of the bench process: window, chat client and the bench itself"}
	b.say("%s: %.0f msg/s delivered, RSS %.0f MiB, heap %.0f MiB", r.Case, rt.Throughput, rt.Extra["rss_mib"], rt.Extra["heap_mib"])
	return []result{r}, nil
}

// floodSend sends total messages from senders clients, as fast as they go.
func floodSend(ctx context.Context, opts *redis.Options, channel string, senders, total int) error {
	var wg sync.WaitGroup
	errs := make(chan error, senders)
	for s := range senders {
		wg.Go(func() {
			rdb := redis.NewClient(opts)
			defer rdb.Close()
			c, err := chat.New(chat.Options{Redis: rdb, User: fmt.Sprint("flooder", s)})
			if err != nil {
				errs <- err
				return
			}
			for i := s; i < total; i += senders {
				if _, err := c.BroadcastMessage(ctx, channel, "flood "+strconv.Itoa(i)); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// residentBytes returns the process's resident set size (Linux), or 0.
func residentBytes() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// hugeFlood publishes 25 live payloads of 20 MB each on the topic of the
// channel a real window shows (any account may publish there), then one
// real message, and reports the process's memory before and once the
// window shows that message: a payload larger than the message limit is
// dropped unread, so memory does not grow with the flood.
func (b *bench) hugeFlood(ctx context.Context) ([]result, error) {
	count, size := 25, 20<<20
	if b.quick {
		count = 3
	}
	rdb, left, done := b.scratch(ctx)
	defer done()
	channel, c, err := watcher(ctx, rdb, left, "bench-huge")
	if err != nil {
		return nil, err
	}
	screen, stop, err := openWindow(ctx, c)
	if err != nil {
		return nil, err
	}
	defer stop()
	debug.FreeOSMemory()
	before := residentBytes()
	pub := redis.NewClient(b.opts)
	defer pub.Close()
	payload := "v2\n9999999999999-0\n\nuser:7:mallory" + strings.Repeat("x", size)
	for range count {
		if err := pub.Publish(ctx, chat.DefaultKeys().Topic(channel), payload).Err(); err != nil {
			return nil, err
		}
	}
	payload = ""
	const last = "after the huge payloads"
	if _, err := c.BroadcastMessage(ctx, channel, last); err != nil {
		return nil, err
	}
	if err := waitFor(screen, func() bool { return strings.Contains(screen.row(-3)+screen.row(-4), last) }, 2*time.Minute); err != nil {
		return nil, fmt.Errorf("the window did not show the message after the flood: %w", err)
	}
	peak := residentBytes()
	debug.FreeOSMemory() // what the process keeps, not what the GC has yet to return
	after := residentBytes()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	rt := side{Samples: count, Extra: map[string]float64{
		"rss_before_mib": round(float64(before) / (1 << 20)),
		"rss_peak_mib":   round(float64(peak) / (1 << 20)),
		"rss_after_mib":  round(float64(after) / (1 << 20)),
		"heap_after_mib": round(float64(ms.HeapAlloc) / (1 << 20)),
	}}
	r := result{Scenario: "hugeflood", Case: fmt.Sprintf("%d live payloads of %d MiB on the window's channel", count, size>>20), Rtchat: rt, Ratio: map[string]float64{},
		Target: "memory bounded by bytes: RSS after the flood stays near RSS before (was 20 → 1022 MiB)", Note: "RSS of the bench process (window, chat client, bench); go-redis reads each payload once before rtchat drops it"}
	b.say("%s: RSS %.0f MiB before, %.0f MiB at the end, %.0f MiB once freed (heap %.0f MiB)", r.Case, rt.Extra["rss_before_mib"], rt.Extra["rss_peak_mib"], rt.Extra["rss_after_mib"], rt.Extra["heap_after_mib"])
	return []result{r}, nil
}

// watcher makes the flood's watching client, joined to a new channel
// named after prefix (both left for tidying).
func watcher(ctx context.Context, rdb *redis.Client, left *leftovers, prefix string) (string, *chat.Client, error) {
	channel := fmt.Sprintf("%s-%d", prefix, time.Now().UnixNano()%1e9)
	left.channel(channel)
	left.user("watcher")
	c, err := chat.New(chat.Options{Redis: rdb, User: "watcher"})
	if err != nil {
		return "", nil, err
	}
	if _, err := c.Join(ctx, channel); err != nil {
		return "", nil, err
	}
	return channel, c, nil
}
