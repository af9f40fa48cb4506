package main

import (
	"context"
	"fmt"
	"github.com/rtchat/rtchat/hooks"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rtchat/rtchat/chat"
)

// hooks measures webhook POSTs (webhooks), and how fast scripts talk
// into a channel: `rtchat send
// --lines` (one connection, lines pipelined) against pipelined XADDs of
// the same lines, and against a shell loop of `rtchat send`, one process
// a message, which was the only way in before it.
func (b *bench) hooks(ctx context.Context) ([]result, error) {
	lines, loop := 20000, 50
	if b.quick {
		lines, loop = 2000, 5
	}
	rdb, left, done := b.scratch(ctx)
	defer done()
	channel, rawKey, _, err := sides(ctx, rdb, left, "hooks", nil)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "rtchat-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "rtchat")
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/rtchat").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go build ./cmd/rtchat (run the bench from the repository): %v %s", err, out)
	}
	var in strings.Builder
	for i := range lines {
		fmt.Fprintf(&in, "2026-12-07T06:00:00Z app[%d]: request %d served in 3 ms\n", i%7, i)
	}
	run := func(stdin string, args ...string) (time.Duration, error) {
		cmd := exec.CommandContext(ctx, bin, args...)
		home := filepath.Join(dir, "home")
		cmd.Env = append(os.Environ(), "REDIS_URL=redis://"+b.opts.Addr, "RTCHAT_USER=bencher", "HOME="+home, "XDG_CONFIG_HOME="+home, "XDG_STATE_HOME="+home, "RTCHAT_CONFIG=")
		if b.opts.Password != "" {
			cmd.Env = append(cmd.Env, "REDIS_PASSWORD="+b.opts.Password)
		}
		cmd.Stdin = strings.NewReader(stdin)
		start := time.Now()
		if out, err := cmd.CombinedOutput(); err != nil {
			return 0, fmt.Errorf("rtchat %s: %v %.300s", strings.Join(args, " "), err, out)
		}
		return time.Since(start), nil
	}
	// The shell loop: one `rtchat send` a message.
	var loopTook time.Duration
	for i := range loop {
		d, err := run("", "send", channel, fmt.Sprint("from a shell loop ", i))
		if err != nil {
			return nil, err
		}
		loopTook += d
	}
	// send --lines, best of three, against XADDs of the same lines in
	// pipelines of 512 (what send --lines carries a round trip), with
	// MAXLEN as rtchat's would be none here.
	texts := strings.Split(strings.TrimSuffix(in.String(), "\n"), "\n")
	linesRun := func() (time.Duration, error) { return run(in.String(), "send", "--lines", channel) }
	rawRun := func() (time.Duration, error) {
		start := time.Now()
		for i := 0; i < len(texts); i += 512 {
			pipe := rdb.Pipeline()
			for _, t := range texts[i:min(i+512, len(texts))] {
				pipe.XAdd(ctx, &redis.XAddArgs{Stream: rawKey, Values: []any{"user", "bencher", "text", t, "ts", time.Now().UnixMilli()}})
			}
			if _, err := pipe.Exec(ctx); err != nil {
				return 0, err
			}
		}
		return time.Since(start), nil
	}
	linesTook, rawTook, err := bestOf(3, linesRun, rawRun)
	if err != nil {
		return nil, err
	}
	// Every line stored once: the stream holds the loop's messages and
	// three runs of the lines.
	if n := rdb.XLen(ctx, chat.DefaultKeys().Stream(channel)).Val(); n != int64(loop+3*lines) {
		return nil, fmt.Errorf("the channel holds %d messages, want %d", n, loop+3*lines)
	}
	perSec := func(n int, d time.Duration) float64 { return round(float64(n) / d.Seconds()) }
	linesRate, rawRate, loopRate := perSec(lines, linesTook), perSec(lines, rawTook), perSec(loop, loopTook)
	vsRaw := result{Scenario: "hooks", Case: fmt.Sprintf("send --lines, %d lines", lines), Rtchat: side{Throughput: linesRate}, Raw: side{Throughput: rawRate},
		Ratio:  map[string]float64{"vs_xadd": ratio(linesRate, rawRate)},
		Target: "send --lines ≥ 0.5× pipelined XADD",
		Note:   fmt.Sprintf("the whole process (start, connect, sign each line) %.0f msg/s; XADDs of the same lines, 512 a round trip, %.0f msg/s", linesRate, rawRate)}
	vsRaw.Met = met(vsRaw.Ratio["vs_xadd"] >= 0.5)
	vsLoop := result{Scenario: "hooks", Case: "send --lines against a shell loop", Rtchat: side{Throughput: linesRate}, Raw: side{Throughput: loopRate},
		Ratio:  map[string]float64{"vs_loop": ratio(linesRate, loopRate)},
		Target: "send --lines ≥ 50× a shell loop of rtchat send",
		Note:   fmt.Sprintf("%d runs of 'rtchat send CHANNEL TEXT' took %v: %.0f msg/s", loop, loopTook.Round(time.Millisecond), loopRate)}
	vsLoop.Met = met(vsLoop.Ratio["vs_loop"] >= 50)
	b.say("send --lines %.0f msg/s, pipelined XADD %.0f msg/s, a shell loop of rtchat send %.0f msg/s", linesRate, rawRate, loopRate)
	posts, err := b.webhooks(ctx, rdb, left)
	if err != nil {
		return nil, err
	}
	return []result{posts, vsRaw, vsLoop}, nil
}

// webhooks times webhook POSTs from the sender's side, stored and
// answered: 10 senders (a hook each, as 10 tools would be) at 20 POSTs a
// second each, 200 a second in all, over real HTTP on loopback.
func (b *bench) webhooks(ctx context.Context, rdb *redis.Client, left *leftovers) (result, error) {
	const senders, each = 10, 20 // each: POSTs a second
	secs := 5
	if b.quick {
		secs = 1
	}
	admin, err := chat.New(chat.Options{Redis: rdb, User: "bencher"})
	if err != nil {
		return result{}, err
	}
	defer admin.Close()
	channel := fmt.Sprintf("bench-hooks-%d", time.Now().UnixNano()%1e9)
	left.channel(channel)
	if _, _, err := admin.CreateChannel(ctx, channel, ""); err != nil {
		return result{}, err
	}
	srv := hooks.NewServer(rdb, hooks.ServerOptions{})
	defer srv.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return result{}, err
	}
	web := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = web.Serve(ln) }()
	defer web.Close()
	base := "http://" + ln.Addr().String()
	var urls []string
	for i := range senders {
		h, secret, err := hooks.Add(ctx, rdb, fmt.Sprintf("bench%d-%d", i, time.Now().UnixNano()%1e6), []string{channel}, "bencher")
		if err != nil {
			return result{}, err
		}
		defer hooks.Delete(context.WithoutCancel(ctx), rdb, chat.DefaultKeys(), h.ID)
		urls = append(urls, h.URL(base, secret))
	}
	httpc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: senders}, Timeout: 10 * time.Second}
	var mu sync.Mutex
	var lat []time.Duration
	failed := 0
	var wg sync.WaitGroup
	for i, u := range urls {
		wg.Go(func() {
			tick := time.NewTicker(time.Second / each)
			defer tick.Stop()
			for n := range secs * each {
				<-tick.C
				body := fmt.Sprintf(`{"text":"alert %d of sender %d","attachments":[{"title":"DiskFull","text":"node-%d at 97%%"}]}`, n, i, n)
				start := time.Now()
				resp, err := httpc.Post(u, "application/json", strings.NewReader(body))
				ok := err == nil && resp.StatusCode == 200
				if err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				mu.Lock()
				if ok {
					lat = append(lat, time.Since(start))
				} else {
					failed++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	s := summarize(lat)
	s.Lost = int64(failed)
	s.Throughput = round(float64(len(lat)) / float64(secs))
	if n := rdb.XLen(ctx, chat.DefaultKeys().Stream(channel)).Val(); n != int64(len(lat)) {
		return result{}, fmt.Errorf("%d POSTs answered ok, %d messages stored", len(lat), n)
	}
	r := result{Scenario: "hooks", Case: "webhook POST, stored and answered", Rtchat: s,
		Target: "p50/p99 at 200 POSTs a second from 10 senders (reported)",
		Note:   fmt.Sprintf("%d POSTs over real HTTP on loopback, %d senders (a hook each) at %d a second for %d s; every ok is a stored message", len(lat), senders, each, secs)}
	r.Met = met(failed == 0)
	b.say("webhooks: %d POSTs, p50 %.1f ms, p99 %.1f ms, %d failed", len(lat), s.P50/1000, s.P99/1000, failed)
	return r, nil
}
