package chat

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Presence: every running client is a session of its user. It keeps an
// entry in the user's Sorted Set Keys.Online, scored by when it expires,
// and renews it every Options.PresenceEvery. A user is online while any
// entry has not expired, so a crashed terminal stops counting within
// Options.PresenceTTL, and a second terminal of the same user keeps the
// user online when the first one quits.

// heartbeat renews the session's presence entry and drops expired ones.
func (c *Client) heartbeat(ctx context.Context) error {
	now := time.Now()
	key := c.keys.Online(c.opts.User)
	pipe := c.rdb.TxPipeline()
	pipe.ZAdd(ctx, key, redis.Z{Score: float64(now.Add(c.opts.PresenceTTL).UnixMilli()), Member: c.sessionID})
	pipe.ZRemRangeByScore(ctx, key, "-inf", "("+strconv.FormatInt(now.UnixMilli(), 10))
	pipe.PExpire(ctx, key, 2*c.opts.PresenceTTL)
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("presence heartbeat: %w", err)
	}
	return nil
}

// presenceLoop beats until ctx ends, then removes the session's entry.
func (c *Client) presenceLoop(ctx context.Context) {
	tick := time.NewTicker(c.opts.PresenceEvery)
	defer tick.Stop()
	for {
		if err := c.heartbeat(ctx); err != nil && ctx.Err() == nil {
			c.opts.Logger.Debug("presence", "err", err)
		}
		select {
		case <-ctx.Done():
			// A clean exit: offline at once, not after the TTL.
			bye, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
			defer cancel()
			if err := c.rdb.ZRem(bye, c.keys.Online(c.opts.User), c.sessionID).Err(); err != nil {
				c.opts.Logger.Debug("presence: remove session", "err", err)
			}
			return
		case <-tick.C:
		}
	}
}

// Presence is who belongs to a channel and who of them is online now;
// both sorted.
type Presence struct {
	Members, Online []string
}

// Who returns channel's members and those of them with a live session now.
// It costs the member Set and one ZCOUNT per member, pipelined.
func (c *Client) Who(ctx context.Context, channel string) (Presence, error) {
	members, err := c.Subs.Members(ctx, channel)
	if err != nil || len(members) == 0 {
		return Presence{Members: members}, err
	}
	now := strconv.FormatInt(time.Now().UnixMilli(), 10)
	pipe := c.rdb.Pipeline()
	counts := make([]*redis.IntCmd, len(members))
	for i, u := range members {
		counts[i] = pipe.ZCount(ctx, c.keys.Online(u), "("+now, "+inf")
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return Presence{}, fmt.Errorf("who is online in %q: %w", channel, err)
	}
	p := Presence{Members: members}
	for i, u := range members {
		if counts[i].Val() > 0 {
			p.Online = append(p.Online, u)
		}
	}
	return p, nil
}
