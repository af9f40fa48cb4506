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

	"sync"

	"github.com/gdamore/tcell/v2"
	"github.com/redis/go-redis/v9"
	"github.com/rtchat/rtchat/archive"
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
	var textBytes int64 // the messages' text alone, a line each
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
				// As "rtchat export" writes it: a log line a message.
				fmt.Fprintf(export, "[%s] user%d: %s\n", time.UnixMilli(ts).Format("2006-01-02 15:04"), i%40, text)
				textBytes += int64(len(text)) + 1
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
		Note:   fmt.Sprintf("%d hits in all; the first page scanned %d entries", hits, scanned)}
	r.Met = met(s.P50 <= 1e6)
	b.say("search: first page p50 %.0f ms (scanned %d), grep -c %.1f ms", s.P50/1000, scanned, g.P50/1000)
	out := []result{r}
	// The ends of the range: a common word (its page fills at once) and
	// a word found nowhere (everything scanned, to the end).
	ends, err := b.searchEnds(ctx, rdb, nil, "")
	if err != nil {
		return nil, err
	}
	out = append(out, ends...)
	var names []string
	for c := range convs {
		names = append(names, fmt.Sprintf("bench-search-%d-%d", tag, c))
	}
	kept, err := b.searchArchive(ctx, rdb, dir, names, export.Name(), textBytes, q, min(20, hits), g)
	if err != nil {
		return nil, fmt.Errorf("the local archive: %w", err)
	}
	return append(out, kept...), nil
}

// fillLimit is how long the archive may take to fill.
func (b *bench) fillLimit() time.Duration {
	if b.quick {
		return 30 * time.Second
	}
	return 10 * time.Minute
}

// searchArchive fills a local archive of names from the window, as it
// does when a person opens them, timing the window's keystroke echo the
// while (a key every 5 ms); then it measures the archive's size against
// the text it holds (the exported file), and the first page of q from
// it with a client just started (want hits on it), against grep.
func (b *bench) searchArchive(ctx context.Context, rdb *redis.Client, dir string, names []string, exported string, textBytes int64, q chat.Query, want int, grep side) ([]result, error) {
	path := filepath.Join(dir, "archive.db")
	a, err := archive.Open(path, 0)
	if err != nil {
		return nil, err
	}
	c, err := chat.New(chat.Options{Redis: rdb, User: "archivist", Index: a})
	if err != nil {
		a.Close()
		return nil, err
	}
	if err := c.Start(ctx); err != nil {
		c.Close()
		a.Close()
		return nil, err
	}
	kctx, stopKeeper := context.WithCancel(ctx)
	be := archive.Keep(kctx, c, a, nil) // as the window runs it
	screen := newFrameScreen(120, 40)
	var mu sync.Mutex
	var typedAt []time.Time
	var echoes []time.Duration
	screen.onShow = func(s *frameScreen) {
		n := strings.Count(s.row(-2), "k")
		mu.Lock()
		for len(echoes) < n && len(echoes) < len(typedAt) {
			echoes = append(echoes, time.Since(typedAt[len(echoes)]))
		}
		mu.Unlock()
	}
	stop := runUI(be, screen)
	closeAll := func() { stop(); stopKeeper(); be.Wait(); c.Close(); a.Close() }
	if err := waitFor(screen, func() bool { return strings.Contains(screen.row(-1), "subscribed") }, 10*time.Second); err != nil {
		closeAll()
		return nil, fmt.Errorf("start the window: %w", err)
	}
	start := time.Now()
	for _, name := range names {
		for _, r := range "/join " + name {
			screen.InjectKey(tcell.KeyRune, r, tcell.ModNone)
		}
		screen.InjectKey(tcell.KeyEnter, 0, tcell.ModNone)
		if err := waitFor(screen, func() bool { return strings.Contains(screen.row(-1), "#"+name+" ") }, 10*time.Second); err != nil {
			closeAll()
			return nil, fmt.Errorf("open #%s in the window: %w", name, err)
		}
	}
	var last []chat.ID
	for _, name := range names {
		msgs, err := c.History(ctx, name, chat.ID{})
		if err != nil || len(msgs.Messages) == 0 {
			closeAll()
			return nil, fmt.Errorf("read %s: %v", name, err)
		}
		last = append(last, msgs.Messages[len(msgs.Messages)-1].ID)
	}
	filled := func() bool {
		for i, name := range names {
			if _, through, ok := a.Holds(name); !ok || last[i].After(through) {
				return false
			}
		}
		return true
	}
	// Rounds of 40 keys, a key every 5 ms, each echoed before the
	// input is cleared for the next.
	var all []time.Duration
	for !filled() {
		if time.Since(start) > b.fillLimit() {
			status := screen.row(-1)
			closeAll()
			var held []string
			for i, name := range names {
				from, through, ok := a.Holds(name)
				held = append(held, fmt.Sprintf("%s: %v %v–%v of …%v", name, ok, from, through, last[i]))
			}
			return nil, fmt.Errorf("the archive was not filled in 10 minutes: %s (the window: %q)", strings.Join(held, "; "), status)
		}
		for range 40 {
			mu.Lock()
			typedAt = append(typedAt, time.Now())
			mu.Unlock()
			screen.InjectKey(tcell.KeyRune, 'k', tcell.ModNone)
			time.Sleep(5 * time.Millisecond)
		}
		_ = waitFor(screen, func() bool { mu.Lock(); defer mu.Unlock(); return len(echoes) == len(typedAt) }, 5*time.Second)
		mu.Lock()
		all = append(all, echoes...)
		typedAt, echoes = typedAt[:0], echoes[:0]
		mu.Unlock()
		screen.InjectKey(tcell.KeyCtrlU, 0, tcell.ModNone) // the k's away
		_ = waitFor(screen, func() bool { return !strings.Contains(screen.row(-2), "k") }, 5*time.Second)
	}
	fillTook := time.Since(start)
	closeAll()
	es := summarize(all)
	echo := result{Scenario: "search", Case: fmt.Sprintf("keystroke echo while the archive fills (%d conversations)", len(names)), Rtchat: es,
		Target: "the window's keystroke echo p99 ≤ 50 ms while the archive fills",
		Note:   fmt.Sprintf("%d keys typed, a key every 5 ms; the fill took %v", len(all), fillTook.Round(time.Millisecond))}
	echo.Met = met(len(all) > 0 && es.P99 <= 50_000)
	b.say("search: the archive filled in %v; echo meanwhile p50 %.1f ms, p99 %.1f ms (%d keys)", fillTook.Round(time.Millisecond), es.P50/1000, es.P99/1000, len(all))

	// Its size against the text it holds.
	a, err = archive.Open(path, 0)
	if err != nil {
		return nil, err
	}
	size, err := a.Size(ctx)
	a.Close()
	if err != nil {
		return nil, err
	}
	var onDisk int64
	for _, f := range []string{path, path + "-wal"} {
		if fi, err := os.Stat(f); err == nil {
			onDisk += fi.Size()
		}
	}
	fi, err := os.Stat(exported)
	if err != nil {
		return nil, err
	}
	text := fi.Size()
	sizeR := result{Scenario: "search", Case: "the archive's size against the text it holds", Rtchat: side{P50: float64(size)}, Raw: side{P50: float64(text)},
		Ratio:  map[string]float64{"size": float64(size) / float64(text)},
		Target: "≤ 1.5× the text it holds (the conversations as rtchat export writes them: time, author, text, a line each)",
		Note: fmt.Sprintf("%d B in its pages, %d B on disk with its log; the messages' text alone is %d B (%.2f×); sizes in bytes, not µs",
			size, onDisk, textBytes, float64(size)/float64(textBytes))}
	sizeR.Met = met(float64(size) <= 1.5*float64(text))
	b.say("search: archive %d B in pages (%d B on disk) for %d B of text: %.2f×", size, onDisk, text, float64(size)/float64(text))

	// The first page from it, with a client (and the archive) just opened.
	runs := 5
	if b.quick {
		runs = 2
	}
	var firsts []time.Duration
	local := 0
	for range runs {
		start := time.Now()
		a, err := archive.Open(path, 0)
		if err != nil {
			return nil, err
		}
		c, err := chat.New(chat.Options{Redis: rdb, User: "archivist", Index: a})
		if err != nil {
			a.Close()
			return nil, err
		}
		res, err := c.SearchEverywhere(ctx, q, chat.SearchCursor{}, 20)
		took := time.Since(start)
		c.Close()
		a.Close()
		if err != nil {
			return nil, err
		}
		if len(res.Hits) != want {
			return nil, fmt.Errorf("the first page from the archive holds %d hits, want %d", len(res.Hits), want)
		}
		firsts, local = append(firsts, took), res.Local
	}
	fs := summarize(firsts)
	first := result{Scenario: "search", Case: fmt.Sprintf("a rare word across %d conversations, first page of 20, from the local archive", len(names)),
		Rtchat: fs, Raw: grep, Ratio: map[string]float64{"p50": ratio(fs.P50, grep.P50)},
		Target: "first page ≤ 150 ms p50 from the archive (grep -c over the exported text: the anchor)",
		Note:   fmt.Sprintf("opening the archive included; %d of the hits from it, read again from Redis in one round trip", local)}
	first.Met = met(fs.P50 <= 150_000)
	b.say("search: first page from the archive p50 %.1f ms", fs.P50/1000)
	out := []result{first, sizeR, echo}
	// The ends of the range again, from the archive.
	a, err = archive.Open(path, 0)
	if err != nil {
		return nil, err
	}
	defer a.Close()
	ends, err := b.searchEnds(ctx, rdb, a, ", from the local archive")
	if err != nil {
		return nil, err
	}
	out = append(out, ends...)
	return out, nil
}

// searchEnds measures the ends of the range, with a client just started
// (on index, when not nil): a common word, whose first page fills at
// once, and a word found nowhere, everything searched.
func (b *bench) searchEnds(ctx context.Context, rdb *redis.Client, index *archive.Archive, where string) ([]result, error) {
	var out []result
	for _, w := range []struct{ word, what string }{{"deploy", "a common word, first page of 20"}, {"nowhere-at-all", "a word found nowhere, the whole search"}} {
		wq, _ := chat.ParseQuery(w.word, time.Now())
		o := chat.Options{Redis: rdb, User: "searcher"}
		if index != nil {
			o.Index = index
		}
		c, err := chat.New(o)
		if err != nil {
			return nil, err
		}
		start, scanned, local := time.Now(), 0, 0
		var cur chat.SearchCursor
		for {
			res, err := c.SearchEverywhere(ctx, wq, cur, 20)
			if err != nil {
				c.Close()
				return nil, err
			}
			scanned, local = scanned+res.Scanned, local+res.Local
			if res.Done || len(res.Hits) >= 20 {
				break
			}
			cur = res.Next
		}
		took := time.Since(start)
		c.Close()
		note := fmt.Sprintf("%d entries scanned", scanned)
		if index != nil {
			note = fmt.Sprintf("%d hits from the archive, %d entries scanned on the server", local, scanned)
		}
		out = append(out, result{Scenario: "search", Case: w.what + where, Rtchat: summarize([]time.Duration{took}), Target: "reported", Note: note})
		b.say("search: %s%s: %v, %d entries scanned", w.what, where, took.Round(time.Millisecond), scanned)
	}
	return out, nil
}
