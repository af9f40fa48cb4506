package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"github.com/gdamore/tcell/v2"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rtchat/rtchat/chat"
)

// files measures files side by side with bare commands on the same
// server: an upload of 10 MiB (SendFile) against SETs of the same chunks
// (4 a round trip, as SendFile sends them), a download (FetchFile, with
// its SHA-256 check) against GETRANGEs of the same ranges, the Redis
// memory a stored file takes against its size, and, while a 25 MiB
// upload runs, the longest single command (SLOWLOG, everything logged)
// and how long another client's messages take to arrive.
func (b *bench) files(ctx context.Context) ([]result, error) {
	const size = 10 << 20
	rdb, left, done := b.scratch(ctx)
	defer done()
	channel, rawKey, c, err := sides(ctx, rdb, left, "files", chat.NewSigner())
	if err != nil {
		return nil, err
	}
	data := make([]byte, size)
	_, _ = rand.Read(data)
	stream := chat.DefaultKeys().Stream(channel)
	fileKeys := func() []string {
		keys, _ := rdb.Keys(ctx, stream+":file:*").Result()
		return keys
	}
	defer func() {
		for _, k := range append(fileKeys(), stream+":files") {
			left.key(k)
		}
	}()

	// Upload: best of three each.
	var sent chat.Sent
	up := func() (time.Duration, error) {
		start := time.Now()
		s, err := c.SendFile(ctx, chat.Upload{Channel: channel, Name: "bench.bin", Size: size, Body: bytes.NewReader(data)})
		sent = s
		return time.Since(start), err
	}
	try := 0
	raw := func() (time.Duration, error) {
		// New keys each time, as each upload is new bytes.
		try++
		start := time.Now()
		for i := 0; i*chat.FileChunk < size; i += 4 {
			pipe := rdb.Pipeline()
			for j := i; j < i+4 && j*chat.FileChunk < size; j++ {
				key := fmt.Sprintf("%s:%d:%d", rawKey, try, j)
				left.key(key)
				pipe.Set(ctx, key, data[j*chat.FileChunk:min((j+1)*chat.FileChunk, size)], 0)
			}
			if _, err := pipe.Exec(ctx); err != nil {
				return 0, err
			}
		}
		return time.Since(start), nil
	}
	upRT, upRaw, err := bestOf(3, up, raw)
	if err != nil {
		return nil, err
	}
	rate := func(d time.Duration) float64 { return round(float64(size) / d.Seconds() / (1 << 20)) }
	upload := result{Scenario: "files", Case: "upload of 10 MiB", Ratio: map[string]float64{"throughput": round(upRaw.Seconds() / upRT.Seconds())},
		Target: "upload ≥ 0.8× the throughput of raw SETs of the same chunks",
		Note:   fmt.Sprintf("rtchat %.0f MiB/s (SendFile: chunks, SHA-256, the signed message), raw SETs %.0f MiB/s", rate(upRT), rate(upRaw))}
	upload.Met = met(upload.Ratio["throughput"] >= 0.8)
	b.say("upload: rtchat %.0f MiB/s, raw SET %.0f MiB/s", rate(upRT), rate(upRaw))

	// Download.
	page, err := c.Around(ctx, channel, sent.ID, 0)
	if err != nil || len(page) == 0 || page[0].File == nil {
		return nil, fmt.Errorf("read the file's message back: %v", err)
	}
	m := page[0]
	if err := rdb.Set(ctx, rawKey, data, 0).Err(); err != nil {
		return nil, err
	}
	down := func() (time.Duration, error) {
		start := time.Now()
		err := c.FetchFile(ctx, channel, m, io.Discard, nil)
		return time.Since(start), err
	}
	rawDown := func() (time.Duration, error) {
		start := time.Now()
		for i := 0; i*chat.FileChunk < size; i += 4 {
			pipe := rdb.Pipeline()
			for j := i; j < i+4 && j*chat.FileChunk < size; j++ {
				pipe.GetRange(ctx, rawKey, int64(j*chat.FileChunk), int64(min((j+1)*chat.FileChunk, size)-1))
			}
			if _, err := pipe.Exec(ctx); err != nil {
				return 0, err
			}
		}
		return time.Since(start), nil
	}
	downRT, downRaw, err := bestOf(3, down, rawDown)
	if err != nil {
		return nil, err
	}
	download := result{Scenario: "files", Case: "download of 10 MiB", Ratio: map[string]float64{"throughput": round(downRaw.Seconds() / downRT.Seconds())},
		Target: "download ≥ 0.8× raw GETRANGEs of the same ranges",
		Note:   fmt.Sprintf("rtchat %.0f MiB/s (FetchFile, checked against its SHA-256), raw GETRANGE %.0f MiB/s", rate(downRT), rate(downRaw))}
	download.Met = met(download.Ratio["throughput"] >= 0.8)
	b.say("download: rtchat %.0f MiB/s, raw GETRANGE %.0f MiB/s", rate(downRT), rate(downRaw))

	// Memory of one more stored file.
	for _, k := range fileKeys() {
		rdb.Unlink(ctx, k)
	}
	before, err := usedMemory(ctx, rdb)
	if err != nil {
		return nil, err
	}
	if _, err := c.SendFile(ctx, chat.Upload{Channel: channel, Name: "mem.bin", Size: size, Body: bytes.NewReader(data)}); err != nil {
		return nil, err
	}
	after, err := usedMemory(ctx, rdb)
	if err != nil {
		return nil, err
	}
	mem := result{Scenario: "files", Case: "Redis memory of a 10 MiB file", Ratio: map[string]float64{"memory": round(float64(after-before) / size)},
		Target: "Redis bytes per stored file ≤ 1.05× its size", Note: fmt.Sprintf("used_memory grew %d bytes for %d", after-before, size)}
	mem.Met = met(mem.Ratio["memory"] <= 1.05)
	b.say("memory: %d bytes for a file of %d (%.3f×)", after-before, size, mem.Ratio["memory"])

	during, err := b.duringUpload(ctx, rdb, c, channel)
	if err != nil {
		return nil, err
	}
	echo, err := b.uploadEcho(ctx, rdb, channel)
	if err != nil {
		return nil, err
	}
	return append([]result{upload, download, mem}, append(during, echo)...), nil
}

// uploadEcho runs the window on a chat client of its own and times its
// keystroke echo while it uploads a 25 MiB file (/upload, as a user
// would), one upload after another for two seconds: a key every 5 ms
// while each runs, echo timed from the key to the frame that shows it.
func (b *bench) uploadEcho(ctx context.Context, rdb *redis.Client, channel string) (result, error) {
	const size = 25 << 20
	dir, err := os.MkdirTemp("", "rtchat-bench-")
	if err != nil {
		return result{}, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "big.bin")
	data := make([]byte, size)
	_, _ = rand.Read(data)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return result{}, err
	}
	c, err := chat.New(chat.Options{Redis: rdb, User: "typist"})
	if err != nil {
		return result{}, err
	}
	defer c.Close()
	if err := c.Start(ctx); err != nil {
		return result{}, err
	}
	if _, err := c.Join(ctx, channel); err != nil {
		return result{}, err
	}
	screen := newFrameScreen(120, 40)
	var mu sync.Mutex
	var typedAt []time.Time
	var echoes []time.Duration
	seen := 0
	screen.onShow = func(s *frameScreen) {
		n := strings.Count(s.row(-2), "k")
		mu.Lock()
		for seen < n && seen < len(typedAt) {
			echoes = append(echoes, time.Since(typedAt[seen]))
			seen++
		}
		mu.Unlock()
	}
	stop := runUI(c, screen)
	defer stop()
	if err := waitFor(screen, func() bool { return strings.Contains(screen.row(-1), "subscribed") }, 10*time.Second); err != nil {
		return result{}, fmt.Errorf("start the window: %w", err)
	}
	for _, r := range "/join " + channel {
		screen.InjectKey(tcell.KeyRune, r, tcell.ModNone)
	}
	screen.InjectKey(tcell.KeyEnter, 0, tcell.ModNone)
	if err := waitFor(screen, func() bool { return strings.Contains(screen.row(-1), channel) }, 10*time.Second); err != nil {
		return result{}, fmt.Errorf("open #%s in the window: %w (status: %q)", channel, err, screen.row(-1))
	}
	sending := func() bool { return strings.Contains(screen.row(-1)+screen.row(-2), "sending big.bin") }
	typed, uploads := 0, 0
	start := time.Now()
	for time.Since(start) < 2*time.Second || uploads == 0 {
		for _, r := range "/upload " + path {
			screen.InjectKey(tcell.KeyRune, r, tcell.ModNone)
		}
		screen.InjectKey(tcell.KeyEnter, 0, tcell.ModNone)
		if err := waitFor(screen, sending, 10*time.Second); err != nil {
			return result{}, fmt.Errorf("start /upload: %w", err)
		}
		mu.Lock()
		seen, typedAt = 0, typedAt[:0]
		mu.Unlock()
		for sending() {
			mu.Lock()
			typedAt = append(typedAt, time.Now())
			mu.Unlock()
			screen.InjectKey(tcell.KeyRune, 'k', tcell.ModNone)
			typed++
			time.Sleep(5 * time.Millisecond)
		}
		mu.Lock()
		want := len(typedAt)
		mu.Unlock()
		_ = waitFor(screen, func() bool { mu.Lock(); defer mu.Unlock(); return seen == want }, 5*time.Second)
		uploads++
		screen.InjectKey(tcell.KeyCtrlU, 0, tcell.ModNone) // the k's away
		if err := waitFor(screen, func() bool { return !strings.Contains(screen.row(-2), "k") }, 5*time.Second); err != nil {
			return result{}, fmt.Errorf("clear the input: %w", err)
		}
	}
	mu.Lock()
	s := summarize(echoes)
	s.Lost = int64(typed - len(echoes))
	mu.Unlock()
	r := result{Scenario: "files", Case: "keystroke echo during 25 MiB uploads", Rtchat: s,
		Target: "the window's keystroke echo p99 ≤ 50 ms while a 25 MiB upload runs",
		Note:   fmt.Sprintf("%d keys typed during %d uploads by /upload in the window (a key every 5 ms)", typed, uploads)}
	r.Met = met(typed > 0 && s.Lost == 0 && s.P99 <= 50_000)
	b.say("keystroke echo during %d uploads of 25 MiB: %d keys, p50 %.1f ms, p99 %.1f ms, %d lost", uploads, typed, s.P50/1000, s.P99/1000, s.Lost)
	return r, nil
}

// duringUpload sends a 25 MiB file while a second client sends a message
// every 10 ms to a third: it reports the longest command Redis ran
// meanwhile (SLOWLOG with every command logged) and the messages'
// arrival latency.
func (b *bench) duringUpload(ctx context.Context, rdb *redis.Client, c *chat.Client, channel string) ([]result, error) {
	const size = 25 << 20
	data := make([]byte, size)
	_, _ = rand.Read(data)
	// Log every command, keep enough entries; put the settings back.
	old, err := rdb.ConfigGet(ctx, "slowlog-*").Result()
	if err != nil {
		return nil, err
	}
	defer func() {
		for k, v := range old {
			rdb.ConfigSet(ctx, k, v)
		}
	}()
	if err := rdb.ConfigSet(ctx, "slowlog-max-len", "100000").Err(); err != nil {
		return nil, err
	}
	if err := rdb.ConfigSet(ctx, "slowlog-log-slower-than", "0").Err(); err != nil {
		return nil, err
	}
	talk := channel + "-talk"
	sender, err := chat.New(chat.Options{Redis: rdb, User: "talker"})
	if err != nil {
		return nil, err
	}
	listener, err := chat.New(chat.Options{Redis: b.newClient(0), User: "listener"})
	if err != nil {
		return nil, err
	}
	defer listener.Close()
	if err := listener.Start(ctx); err != nil {
		return nil, err
	}
	if _, err := listener.Join(ctx, talk); err != nil {
		return nil, err
	}
	defer func() { _ = listener.DeleteChannel(ctx, talk) }()
	var mu sync.Mutex
	sentAt := map[string]time.Time{}
	var lat []time.Duration
	go func() {
		for ev := range listener.Events() {
			if e, ok := ev.(chat.MessageEvent); ok {
				mu.Lock()
				if t, ok := sentAt[e.Message.Text]; ok {
					lat = append(lat, time.Since(t))
				}
				mu.Unlock()
			}
		}
	}()
	time.Sleep(200 * time.Millisecond)
	rdb.SlowLogReset(ctx)
	stop := make(chan struct{})
	talked := make(chan struct{})
	go func() {
		defer close(talked)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(10 * time.Millisecond):
			}
			text := fmt.Sprintf("during the upload %d", i)
			mu.Lock()
			sentAt[text] = time.Now()
			mu.Unlock()
			_, _ = sender.BroadcastMessage(ctx, talk, text)
		}
	}()
	// Uploads one after another for two seconds (each removed after), so
	// that enough messages travel meanwhile.
	start := time.Now()
	var upErr error
	uploads := 0
	for time.Since(start) < 2*time.Second && upErr == nil {
		var s chat.Sent
		s, upErr = c.SendFile(ctx, chat.Upload{Channel: channel, Name: "big.bin", Size: size, Body: bytes.NewReader(data)})
		if upErr == nil {
			uploads++
			_, upErr = c.Broadcast(ctx, chat.Draft{Channel: channel, Kind: chat.KindDelete, Ref: s.ID})
		}
	}
	took := time.Since(start) / time.Duration(max(uploads, 1))
	close(stop)
	<-talked
	time.Sleep(200 * time.Millisecond)
	if upErr != nil {
		return nil, upErr
	}
	logs, err := rdb.SlowLogGet(ctx, 100000).Result()
	if err != nil {
		return nil, err
	}
	var longest time.Duration
	var what string
	for _, l := range logs {
		if l.Duration > longest {
			longest, what = l.Duration, strings.ToUpper(fmt.Sprint(l.Args[0]))
		}
	}
	mu.Lock()
	s := summarize(lat)
	n := len(lat)
	mu.Unlock()
	cmd := result{Scenario: "files", Case: "longest command, 25 MiB upload", Rtchat: side{P99: round(float64(longest.Microseconds()))},
		Target: "the longest single Redis command during a 25 MiB upload ≤ 5 ms",
		Note:   fmt.Sprintf("%s, %d µs, of %d commands logged in %d uploads (%v each)", what, longest.Microseconds(), len(logs), uploads, took.Round(time.Millisecond))}
	cmd.Met = met(longest <= 5*time.Millisecond)
	arrive := result{Scenario: "files", Case: "messages during a 25 MiB upload", Rtchat: s,
		Target: "another client's messages arrive within 50 ms p99 while a 25 MiB upload runs",
		Note:   fmt.Sprintf("%d messages, one every 10 ms, from a second client to a third", n)}
	arrive.Met = met(n > 0 && s.P99 <= 50_000)
	b.say("during %d uploads of 25 MiB (%v each): longest command %s %d µs; %d messages arrived, p99 %.0f µs", uploads, took.Round(time.Millisecond), what, longest.Microseconds(), n, s.P99)
	return []result{cmd, arrive}, nil
}

// bestOf runs a and b n times each, alternating, and returns the best
// time of each.
func bestOf(n int, a, b func() (time.Duration, error)) (time.Duration, time.Duration, error) {
	var as, bs []time.Duration
	for range n {
		d, err := a()
		if err != nil {
			return 0, 0, err
		}
		as = append(as, d)
		if d, err = b(); err != nil {
			return 0, 0, err
		}
		bs = append(bs, d)
	}
	return slices.Min(as), slices.Min(bs), nil
}

// usedMemory reads INFO memory's used_memory.
func usedMemory(ctx context.Context, rdb *redis.Client) (int64, error) {
	info, err := rdb.Info(ctx, "memory").Result()
	if err != nil {
		return 0, err
	}
	for _, l := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), "used_memory:"); ok {
			return strconv.ParseInt(v, 10, 64)
		}
	}
	return 0, fmt.Errorf("INFO memory has no used_memory")
}
