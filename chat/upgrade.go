package chat

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/redis/go-redis/v9"
)

// MoveLegacyChanges moves the edits and deletes rtchat 0.1 kept in each
// conversation's shared state (where any account could forge or remove
// them) into their authors' own changes ("<stream>:by:<author>"), which
// readers now believe alone (docs/DESIGN.md, "Structure"). A change
// already in its author's changes stays as it is. It is run once by an
// admin ('rtchat admin install'), on every master, and is safe to run
// again; it returns how many messages' changes it moved.
func MoveLegacyChanges(ctx context.Context, rdb redis.UniversalClient, keys Keys) (int, error) {
	move := func(ctx context.Context, n *redis.Client) (int, error) {
		moved := 0
		iter := n.ScanType(ctx, 0, "*:state", 500, "hash").Iterator()
		for iter.Next(ctx) {
			key := iter.Val()
			stream := strings.TrimSuffix(key, ":state")
			if !keys.isConvStream(stream) {
				continue
			}
			m, err := moveChangesOf(ctx, n, stream, key)
			if err != nil {
				return moved, err
			}
			moved += m
		}
		return moved, iter.Err()
	}
	cl, ok := rdb.(*redis.ClusterClient)
	if !ok {
		c, ok := rdb.(*redis.Client)
		if !ok {
			return 0, fmt.Errorf("move changes: unsupported connection %T", rdb)
		}
		return move(ctx, c)
	}
	var total atomic.Int64
	err := cl.ForEachMaster(ctx, func(ctx context.Context, n *redis.Client) error {
		m, err := move(ctx, n)
		total.Add(int64(m))
		return err
	})
	return int(total.Load()), err
}

// isConvStream reports whether key is a conversation's stream: a public
// or private channel's, or a direct conversation's.
func (k Keys) isConvStream(key string) bool {
	for _, p := range []string{k.MessagePrefix, k.dm(), k.privmsg()} {
		if rest, ok := strings.CutPrefix(key, p); ok && strings.HasPrefix(rest, "{") && strings.HasSuffix(rest, "}") {
			return true
		}
	}
	return false
}

// moveChangesOf moves the edits and deletes in the shared state key of
// stream to their authors' changes.
func moveChangesOf(ctx context.Context, n *redis.Client, stream, key string) (int, error) {
	type legacy struct {
		id     string
		rest   map[string]json.RawMessage
		change map[string]json.RawMessage
		entry  *redis.XMessageSliceCmd
	}
	var found []*legacy
	iter := n.HScan(ctx, key, 0, "", 500).Iterator()
	for iter.Next(ctx) {
		id := iter.Val()
		if !iter.Next(ctx) {
			break
		}
		var j map[string]json.RawMessage
		if json.Unmarshal([]byte(iter.Val()), &j) != nil {
			continue
		}
		l := &legacy{id: id, rest: j, change: map[string]json.RawMessage{}}
		for _, f := range []string{"e", "d"} {
			if v, ok := j[f]; ok {
				l.change[f] = v
				delete(j, f)
			}
		}
		if len(l.change) > 0 {
			found = append(found, l)
		}
	}
	if err := iter.Err(); err != nil || len(found) == 0 {
		return 0, err
	}
	pipe := n.Pipeline()
	for _, l := range found {
		l.entry = pipe.XRangeN(ctx, stream, l.id, l.id, 1)
	}
	if _, err := pipe.Exec(ctx); err != nil && err != redis.Nil {
		return 0, fmt.Errorf("read %s: %w", stream, CleanRedisError(err))
	}
	pipe = n.Pipeline()
	for _, l := range found {
		if es := l.entry.Val(); len(es) == 1 {
			if author, _ := es[0].Values["user"].(string); validName(author) {
				b, _ := json.Marshal(l.change)
				pipe.HSetNX(ctx, changesKey(stream, author), l.id, string(b))
			}
		}
		if len(l.rest) == 0 {
			pipe.HDel(ctx, key, l.id)
		} else {
			b, _ := json.Marshal(l.rest)
			pipe.HSet(ctx, key, l.id, string(b))
		}
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return 0, fmt.Errorf("move the changes in %s: %w", key, CleanRedisError(err))
	}
	return len(found), nil
}
