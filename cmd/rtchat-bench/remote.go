package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
	"github.com/rtchat/rtchat/chat"
	"github.com/rtchat/rtchat/internal/faultproxy"
	"github.com/rtchat/rtchat/themes"
	"github.com/rtchat/rtchat/ui"
)

// remoteRTT is the round trip the remote scenario puts between rtchat
// and Redis: an office, a VPN or a cloud region away.
const remoteRTT = 50 * time.Millisecond

// remote measures what a person waits for when Redis is remoteRTT away
// (a proxy that holds every chunk RTT/2 each way): the headless commands
// (the rtchat binary, built from this tree, as a person runs it) and the
// window's start with 1 and 51 joined channels. Each figure is in ms and
// in round trips (ms / RTT); the same command on localhost is subtracted
// for the round trips of the headless commands, so that process start
// and work on the machine do not count as network.
func (b *bench) remote(ctx context.Context) ([]result, error) {
	if b.cluster != nil {
		b.say("remote: measured on a single node (the proxy fronts one address)")
		return nil, nil
	}
	proxy, err := faultproxy.Listen(b.opts.Addr)
	if err != nil {
		return nil, err
	}
	defer proxy.Close()
	proxy.SetDelay(remoteRTT / 2)
	rdb, left, done := b.scratch(ctx)
	defer done()
	var out []result
	for _, n := range []int{1, 51} {
		user := fmt.Sprintf("remote%d", n)
		names, err := remoteSetup(ctx, rdb, left, user, n)
		if err != nil {
			return nil, err
		}
		r, err := b.remoteWindow(ctx, proxy.Addr, user, names)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
		if n > 1 {
			r, err := b.remoteReconnect(ctx, rdb, proxy.Addr, user, names)
			if err != nil {
				return nil, err
			}
			out = append(out, r)
		}
	}
	cli, err := b.remoteCommands(ctx, proxy.Addr, "remote51", "remote-0")
	if err != nil {
		b.say("remote: headless commands not measured: %v", err)
	}
	return append(out, cli...), nil
}

// remoteSetup gives user n joined channels, each with one message read
// and one not.
func remoteSetup(ctx context.Context, rdb *redis.Client, left *leftovers, user string, n int) ([]string, error) {
	left.user(user, "remote-peer")
	c, err := chat.New(chat.Options{Redis: rdb, User: user})
	if err != nil {
		return nil, err
	}
	peer, err := chat.New(chat.Options{Redis: rdb, User: "remote-peer", Signer: chat.NewSigner()}) // signed, as rtchat sends
	if err != nil {
		return nil, err
	}
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("remote-%d", i)
		left.channel(names[i])
		if _, err := c.Join(ctx, names[i]); err != nil {
			return nil, err
		}
		m, err := peer.BroadcastMessage(ctx, names[i], "hello")
		if err != nil {
			return nil, err
		}
		if err := c.MarkRead(ctx, names[i], m.ID); err != nil {
			return nil, err
		}
		if _, err := peer.BroadcastMessage(ctx, names[i], user+": unread"); err != nil {
			return nil, err
		}
	}
	return names, errors.Join(c.Close(), peer.Close())
}

// remoteWindow opens a window for user through the proxy at addr and
// times its first frame, the first channel's history on screen, and every
// channel followed.
func (b *bench) remoteWindow(ctx context.Context, addr, user string, names []string) (result, error) {
	rdb := redis.NewClient(b.remoteOptions(addr))
	defer rdb.Close()
	// As "rtchat" starts (cmd/rtchat runChatOn): the first frame, then
	// the connection's first exchange (the embedded-server marker and ACL
	// WHOAMI in one pipeline), the client, the window.
	start := time.Now()
	screen := newFrameScreen(120, 40)
	if err := screen.Init(); err != nil {
		return result{}, err
	}
	ui.Splash(screen, themes.Default(), "bench", "connecting to "+addr+"…")
	first := time.Since(start)
	pipe := rdb.Pipeline()
	pipe.Get(ctx, "rtchat:embedded")
	pipe.Do(ctx, "ACL", "WHOAMI")
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return result{}, err
	}
	c, err := chat.New(chat.Options{Redis: rdb, User: user})
	if err != nil {
		return result{}, err
	}
	_, stop, err := startWindow(ctx, c, screen)
	if err != nil {
		return result{}, err
	}
	defer stop()
	var history, all time.Duration
	err = waitFor(screen, func() bool {
		now := time.Since(start)
		if history == 0 && strings.Contains(screen.text(), "unread") && strings.Contains(screen.row(-1), " · subscribed") {
			history = now
		}
		for _, n := range names {
			if !c.Joined(n) {
				return false
			}
		}
		all = now
		return history > 0
	}, 2*time.Minute)
	if err != nil {
		return result{}, err
	}
	rtt := float64(remoteRTT.Milliseconds())
	extra := map[string]float64{
		"first_frame_ms": ms(first), "history_ms": ms(history), "all_followed_ms": ms(all),
		"first_frame_rt": round(ms(first) / rtt), "history_rt": round(ms(history) / rtt), "all_followed_rt": round(ms(all) / rtt),
	}
	r := result{Scenario: "remote", Case: fmt.Sprintf("window, %d joined channel%s, %v RTT", len(names), map[bool]string{true: "s"}[len(names) > 1], remoteRTT),
		Rtchat: side{Samples: 1, Extra: extra},
		Target: "first frame before the first reply; current channel's history ≤ 6 RT; every channel followed ≤ 8 RT",
		Note:   "round trips are the time over the RTT: they include the client's own work"}
	r.Met = met(extra["history_rt"] <= 6 && extra["all_followed_rt"] <= 8 && extra["first_frame_rt"] < 1)
	b.say("%s: first frame %.0f ms, history %.0f ms, all followed %.0f ms", r.Case, ms(first), ms(history), ms(all))
	return r, nil
}

// remoteOptions are b's options for addr, as rtchat connects
// (config.RedisOptions).
func (b *bench) remoteOptions(addr string) *redis.Options {
	o := *b.opts
	o.Addr, o.PipelinePoolSize, o.DisableIdentity = addr, -1, true
	o.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
	return &o
}

// remoteReconnect follows names for user through the proxy at addr, cuts
// every Pub/Sub connection at the server (direct: rdb), stores one
// message in each channel meanwhile, and times the catch-up: from the
// link back (its StateConnected) to every message delivered.
func (b *bench) remoteReconnect(ctx context.Context, direct *redis.Client, addr, user string, names []string) (result, error) {
	rdb := redis.NewClient(b.remoteOptions(addr))
	defer rdb.Close()
	c, err := chat.New(chat.Options{Redis: rdb, User: user})
	if err != nil {
		return result{}, err
	}
	_, stop, err := startClient(ctx, c)
	if err != nil {
		return result{}, err
	}
	defer stop()
	if _, errs := c.JoinAll(ctx, names); len(errs) > 0 {
		return result{}, fmt.Errorf("join: %v", errs)
	}
	var mu sync.Mutex
	var back time.Time
	got := 0
	done := make(chan time.Time, 1)
	armed := make(chan struct{})
	go func() {
		for ev := range c.Events() {
			select {
			case <-armed:
			default:
				continue
			}
			switch e := ev.(type) {
			case chat.StateEvent:
				if e.State == chat.StateConnected {
					mu.Lock()
					back = time.Now()
					mu.Unlock()
				}
			case chat.MessageEvent:
				if strings.HasPrefix(e.Message.Text, "missed ") {
					if got++; got == len(names) {
						done <- time.Now()
					}
				}
			}
		}
	}()
	time.Sleep(time.Second) // every subscription confirmed
	peer, err := chat.New(chat.Options{Redis: direct, User: "remote-peer"})
	if err != nil {
		return result{}, err
	}
	close(armed)
	if err := direct.ClientKillByFilter(ctx, "TYPE", "pubsub").Err(); err != nil {
		return result{}, err
	}
	for i, n := range names {
		if _, err := peer.BroadcastMessage(ctx, n, fmt.Sprintf("missed %d", i)); err != nil {
			return result{}, err
		}
	}
	var all time.Time
	select {
	case all = <-done:
	case <-time.After(time.Minute):
		return result{}, errors.New("the missed messages did not all arrive")
	}
	mu.Lock()
	after := all.Sub(back)
	mu.Unlock()
	rt := round(ms(after) / float64(remoteRTT.Milliseconds()))
	r := result{Scenario: "remote", Case: fmt.Sprintf("reconnect, %d channels, %v RTT", len(names), remoteRTT),
		Rtchat: side{Samples: 1, Extra: map[string]float64{"caught_up_after_link_ms": ms(after), "round_trips": rt}},
		Target: "every channel caught up ≤ 4 round trips after the link is back",
		Note:   "the link is back at its first confirmation (StateConnected); the reconnect's own wait and dial come before"}
	r.Met = met(math.Round(rt) <= 4)
	b.say("%s: every channel caught up %.0f ms after the link was back (%.1f round trips)", r.Case, ms(after), rt)
	return r, nil
}

// remoteCommands runs send, tail and channels of the rtchat binary against
// addr and against the server directly.
func (b *bench) remoteCommands(ctx context.Context, addr, user, channel string) ([]result, error) {
	dir, err := os.MkdirTemp("", "rtchat-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	bin, home := filepath.Join(dir, "rtchat"), filepath.Join(dir, "home")
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/rtchat").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go build ./cmd/rtchat (run the bench from the repository): %v %s", err, out)
	}
	commands := []struct {
		name   string
		args   []string
		target float64
	}{
		{"send", []string{"send", channel, "hi"}, 5},
		{"tail -n 20", []string{"tail", "-n", "20", channel}, 4}, // signed lines: + their authors' keys
		{"channels", []string{"channels"}, 4},
	}
	var out []result
	for _, cmd := range commands {
		near, err := timeCommand(ctx, bin, b.opts.Addr, b.opts.Password, user, home, cmd.args)
		if err != nil {
			return nil, err
		}
		far, err := timeCommand(ctx, bin, addr, b.opts.Password, user, home, cmd.args)
		if err != nil {
			return nil, err
		}
		rt := round(float64(far-near) / float64(remoteRTT))
		r := result{Scenario: "remote", Case: fmt.Sprintf("rtchat %s, %v RTT", cmd.name, remoteRTT),
			Rtchat: side{Samples: 3, Extra: map[string]float64{"ms": ms(far), "localhost_ms": ms(near), "round_trips": rt}},
			Target: fmt.Sprintf("≤ %.0f round trips", cmd.target)}
		// A round trip is whole: what is over is the work of both ends.
		r.Met = met(math.Round(rt) <= cmd.target)
		b.say("%s: %.0f ms (localhost %.0f ms): %.1f round trips", r.Case, ms(far), ms(near), rt)
		out = append(out, r)
	}
	return out, nil
}

// timeCommand runs rtchat args three times against addr and returns the
// fastest run.
func timeCommand(ctx context.Context, bin, addr, password, user, home string, args []string) (time.Duration, error) {
	best := time.Duration(0)
	for i := range 3 {
		// A home of its own each time: no keys pinned by an earlier run.
		home := filepath.Join(home, fmt.Sprint(time.Now().UnixNano(), i))
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.Env = append(os.Environ(), "REDIS_URL=redis://"+addr, "RTCHAT_USER="+user, "XDG_CONFIG_HOME="+home, "XDG_STATE_HOME="+home, "RTCHAT_CONFIG=")
		if password != "" {
			cmd.Env = append(cmd.Env, "REDIS_PASSWORD="+password)
		}
		start := time.Now()
		if out, err := cmd.CombinedOutput(); err != nil {
			return 0, fmt.Errorf("rtchat %s: %v %s", strings.Join(args, " "), err, out)
		}
		if d := time.Since(start); best == 0 || d < best {
			best = d
		}
	}
	return best, nil
}

func ms(d time.Duration) float64 { return round(float64(d) / float64(time.Millisecond)) }
