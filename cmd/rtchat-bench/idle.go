package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rtchat/rtchat/chat"
)

// idle measures what an idle window costs Redis: one window that joined
// 51 channels, showing one of 200 members, left alone. Every command
// Redis runs meanwhile (INFO commandstats; MULTI and EXEC counted) is the
// window's: its watchdog's PINGs, its presence heartbeat, its watcher's
// blocking read.
func (b *bench) idle(ctx context.Context) ([]result, error) {
	const channels, members = 51, 200
	wait := 30 * time.Second
	if b.quick {
		wait = 6 * time.Second
	}
	rdb, left, done := b.scratch(ctx)
	defer done()
	names, err := idleSetup(ctx, rdb, left, channels, members)
	if err != nil {
		return nil, err
	}
	c, err := chat.New(chat.Options{Redis: rdb, User: "idler"})
	if err != nil {
		return nil, err
	}
	screen, stop, err := startWindow(ctx, c, nil)
	if err != nil {
		return nil, err
	}
	defer stop()
	if err := waitFor(screen, func() bool {
		return strings.Contains(screen.row(-1), "#"+names[0]+" · subscribed · connected") && strings.Contains(screen.row(-1), fmt.Sprintf("%d members", members+1))
	}, 60*time.Second); err != nil {
		return nil, fmt.Errorf("the window did not open its channels: %w", err)
	}
	// Let the start-up (joins, first marks, presence reads) settle.
	time.Sleep(3 * time.Second)
	before, err := readStats(ctx, rdb)
	if err != nil {
		return nil, err
	}
	time.Sleep(wait)
	after, err := readStats(ctx, rdb)
	if err != nil {
		return nil, err
	}
	d := before.to(after)
	perMin := round(d.totalCalls() * float64(time.Minute) / float64(wait))
	rt := side{Extra: map[string]float64{"commands_per_minute": perMin}}
	for k, v := range perMinute(d.calls, wait.Seconds(), 1) {
		rt.Extra["per_minute_"+k] = v
	}
	r := result{Scenario: "idle", Case: fmt.Sprintf("a window in %d channels, showing one of %d members, %v", channels, members+1, wait),
		Rtchat: rt, Ratio: map[string]float64{}, Target: "≤ 60 commands a minute"}
	r.Met = met(perMin <= 60)
	b.say("%s: %.0f commands a minute", r.Case, perMin)
	return []result{r}, nil
}

// idleSetup makes the channels, the members of the first, and the idler's
// memberships; it returns the channel names, sorted.
func idleSetup(ctx context.Context, rdb *redis.Client, left *leftovers, channels, members int) ([]string, error) {
	k := chat.DefaultKeys()
	setup, err := chat.New(chat.Options{Redis: rdb, User: "idle-setup"})
	if err != nil {
		return nil, err
	}
	tag := time.Now().UnixNano() % 1e6
	names := make([]string, channels)
	for i := range names {
		names[i] = fmt.Sprintf("idle%d-%02d", tag, i)
		if _, _, err := setup.CreateChannel(ctx, names[i], ""); err != nil {
			return nil, err
		}
	}
	left.channel(names...)
	left.user("idler", "idle-setup")
	pipe := rdb.Pipeline()
	for _, n := range names {
		pipe.SAdd(ctx, k.UserChannels("idler"), n)
		pipe.SAdd(ctx, k.Members(n), "idler")
	}
	for i := range members {
		pipe.SAdd(ctx, k.Members(names[0]), fmt.Sprintf("member%03d", i))
	}
	_, err = pipe.Exec(ctx)
	return names, err
}
