package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rtchat/rtchat/chat"
)

// search measures a search everywhere from a cold client (nothing of the
// conversations in memory): 20 conversations of 50,000 messages, a rare
// word in one message of 10,000, the time until the first page of 20
// hits is in hand — against grep -c over the same text exported to a
// file, the anchor the issue names.
func (b *bench) search(ctx context.Context) ([]result, error) {
	convs, per := 20, 50000
	if b.quick {
		convs, per = 2, 2000
	}
	const rare, every = "zanzibar", 10000
	rdb, left, done := b.scratch(ctx)
	defer done()
	dir, err := os.MkdirTemp("", "rtchat-bench-search-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	export, err := os.Create(filepath.Join(dir, "export.txt"))
	if err != nil {
		return nil, err
	}
	k := chat.DefaultKeys()
	tag := time.Now().UnixNano() % 1e6
	base := time.Now().Add(-24 * time.Hour).UnixMilli()
	words := strings.Fields("the deploy of api went out to prod after the review and the build is green on every node so far")
	hits := 0
	for c := range convs {
		name := fmt.Sprintf("bench-search-%d-%d", tag, c)
		left.channel(name)
		if err := rdb.HSet(ctx, k.Channel(name), "id", strconv.Itoa(c+1), "name", name).Err(); err != nil {
			return nil, err
		}
		rdb.SAdd(ctx, k.ChannelIndex(), name)
		for from := 0; from < per; from += 5000 {
			pipe := rdb.Pipeline()
			for i := from; i < min(from+5000, per); i++ {
				text := fmt.Sprintf("%s %s %s message %d", words[i%len(words)], words[(i/3)%len(words)], words[(i/7)%len(words)], i)
				if (i+c*997)%every == 0 {
					text += " from " + rare
					hits++
				}
				ts := base + int64(i)*80 // 50,000 messages over about a day
				pipe.XAdd(ctx, &redis.XAddArgs{Stream: k.Stream(name), ID: fmt.Sprintf("%d-%d", ts, c+1),
					Values: []any{"user", fmt.Sprintf("user%d", i%40), "text", text, "ts", ts, "mid", fmt.Sprintf("m%d-%d", c, i), "channel_id", c + 1}})
				fmt.Fprintln(export, text)
			}
			if _, err := pipe.Exec(ctx); err != nil {
				return nil, err
			}
		}
	}
	if err := export.Close(); err != nil {
		return nil, err
	}
	q, err := chat.ParseQuery(rare, time.Now())
	if err != nil {
		return nil, err
	}
	runs := 5
	if b.quick {
		runs = 2
	}
	var cold, grep []time.Duration
	var scanned, found int
	for range runs {
		c, err := chat.New(chat.Options{Redis: rdb, User: "searcher"})
		if err != nil {
			return nil, err
		}
		start := time.Now()
		res, err := c.SearchEverywhere(ctx, q, chat.SearchCursor{}, 20)
		took := time.Since(start)
		c.Close()
		if err != nil {
			return nil, err
		}
		cold, scanned, found = append(cold, took), res.Scanned, len(res.Hits)
		start = time.Now()
		out, err := exec.CommandContext(ctx, "grep", "-c", rare, export.Name()).Output()
		grep = append(grep, time.Since(start))
		if err != nil || strings.TrimSpace(string(out)) != strconv.Itoa(hits) {
			return nil, fmt.Errorf("grep -c found %q, want %d (%v)", out, hits, err)
		}
	}
	if want := min(20, hits); found != want {
		return nil, fmt.Errorf("the first page holds %d hits, want %d", found, want)
	}
	slices.Sort(cold)
	s, g := summarize(cold), summarize(grep)
	r := result{Scenario: "search", Case: fmt.Sprintf("a rare word across %d conversations of %d messages, first page of 20, cold client, Redis alone", convs, per),
		Rtchat: s, Raw: g, Ratio: map[string]float64{"p50": ratio(s.P50, g.P50)},
		Target: "first page ≤ 1 s p50 from Redis alone (grep -c over the exported text: the anchor)",
		Note:   fmt.Sprintf("%d hits in all; the first page scanned %d entries; the local archive (≤ 150 ms) is not built", hits, scanned)}
	r.Met = met(s.P50 <= 1e6)
	b.say("search: first page p50 %.0f ms (scanned %d), grep -c %.1f ms", s.P50/1000, scanned, g.P50/1000)
	out := []result{r}
	// The ends of the range: a common word (its page fills at once) and
	// a word found nowhere (everything scanned, to the end).
	for _, w := range []struct{ word, what string }{{"deploy", "a common word, first page of 20"}, {"nowhere-at-all", "a word found nowhere, the whole search"}} {
		wq, _ := chat.ParseQuery(w.word, time.Now())
		c, err := chat.New(chat.Options{Redis: rdb, User: "searcher"})
		if err != nil {
			return nil, err
		}
		start, total := time.Now(), 0
		var cur chat.SearchCursor
		for {
			res, err := c.SearchEverywhere(ctx, wq, cur, 20)
			if err != nil {
				c.Close()
				return nil, err
			}
			total += res.Scanned
			if res.Done || len(res.Hits) >= 20 {
				break
			}
			cur = res.Next
		}
		took := time.Since(start)
		c.Close()
		out = append(out, result{Scenario: "search", Case: w.what, Rtchat: summarize([]time.Duration{took}),
			Target: "reported", Note: fmt.Sprintf("%d entries scanned", total)})
		b.say("search: %s: %v, %d entries scanned", w.what, took.Round(time.Millisecond), total)
	}
	return out, nil
}
