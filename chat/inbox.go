package chat

import (
	"context"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// A person finds the direct conversations others opened while they were
// away in their inbox (Keys.DMInbox; docs/DESIGN.md, "Conversations"): a
// Sorted Set to which every account may add (ZADD) and which only its
// owner may read or change. ZADD answers how many members it added, so
// each notice carries a random part: adding one always answers 1, and
// tells nothing of what the inbox holds. Anyone may add a notice naming
// anyone, so a notice only says where to look: the owner opens a
// conversation when its stream exists, which only its two people may
// write (with accounts).

// inboxKeep is how long a notice whose conversation has no stream yet is
// kept (its sender may still be about to send the first message).
const inboxKeep = 24 * time.Hour

// inboxRead bounds the notices one start reads (the newest).
const inboxRead = 1000

// inboxNotice is the notice that from opened a conversation.
func inboxNotice(from string) redis.Z {
	return redis.Z{Score: float64(time.Now().UnixMilli()), Member: from + "\n" + newMsgID()}
}

// queueInbox queues the read of the user's newest notices on pipe.
func (c *Client) queueInbox(ctx context.Context, pipe redis.Pipeliner) *redis.ZSliceCmd {
	return pipe.ZRangeArgsWithScores(ctx, redis.ZRangeArgs{Key: c.keys.DMInbox(c.opts.User), Start: 0, Stop: inboxRead - 1, Rev: true})
}

// takeInbox reads the notices in: it returns the people whose
// conversation with the user exists, having added them to the user's
// list, and removes what it read but for the notices of conversations
// that may still begin. It costs nothing when the inbox is empty, one
// round trip (two when there are people to add) otherwise.
func (c *Client) takeInbox(ctx context.Context, in []redis.Z) []string {
	if len(in) == 0 {
		return nil
	}
	type notice struct {
		member string
		peer   string
		old    bool
		stream *redis.IntCmd
	}
	now := time.Now()
	var notices []*notice
	pipe := c.rdb.Pipeline()
	streams := map[string]*redis.IntCmd{}
	var bad int
	for _, z := range in {
		member, _ := z.Member.(string)
		peer, _, _ := strings.Cut(member, "\n")
		at := time.UnixMilli(int64(z.Score))
		n := &notice{member: member, peer: peer, old: now.Sub(at) > inboxKeep || at.Sub(now) > time.Minute}
		if !validName(peer) || peer == c.opts.User {
			bad++
			n.peer = ""
		} else if streams[peer] == nil {
			streams[peer] = pipe.Exists(ctx, c.keys.DMStream(c.opts.User, peer))
		}
		n.stream = streams[peer]
		notices = append(notices, n)
	}
	if pipe.Len() > 0 {
		_, _ = pipe.Exec(ctx) // each reply is checked below
	}
	var peers []string
	var done []any
	seen := map[string]bool{}
	for _, n := range notices {
		exists := n.stream != nil && n.stream.Err() == nil && n.stream.Val() == 1
		if n.peer != "" && n.stream != nil && n.stream.Err() != nil {
			continue // not known: try again at the next start
		}
		if exists && !seen[n.peer] {
			seen[n.peer] = true
			peers = append(peers, n.peer)
		}
		if exists || n.old || n.peer == "" {
			done = append(done, n.member)
		}
	}
	if bad > 0 {
		c.opts.Logger.Warn("notices in the inbox that name nobody; removed", "count", bad)
	}
	pipe = c.rdb.Pipeline()
	if len(peers) > 0 {
		pipe.SAdd(ctx, c.keys.DMList(c.opts.User), stringsToAny(peers)...)
	}
	if len(done) > 0 {
		pipe.ZRem(ctx, c.keys.DMInbox(c.opts.User), done...)
	}
	if pipe.Len() > 0 {
		if _, err := pipe.Exec(ctx); err != nil {
			c.opts.Logger.Debug("take the inbox in", "err", err)
		}
	}
	return peers
}
