package chat

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rtchat/rtchat/internal/redistest"
)

// The ids program returns ids only, oldest first after the start it is
// given, and never more than 1000 a call, whatever count it is asked for.
func TestIdsProgram(t *testing.T) {
	rdb := redistest.Start(t).Client(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := New(Options{Redis: rdb, User: "reader"})
	if err != nil {
		t.Fatal(err)
	}
	stream := DefaultKeys().Stream("general")
	pipe := rdb.Pipeline()
	for range 1200 {
		pipe.XAdd(ctx, &redis.XAddArgs{Stream: stream, Values: []any{"user", "bob", "text", "hi"}})
	}
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	all := rdb.XRange(ctx, stream, "-", "+").Val()
	ids, err := c.hist.idsAfter(ctx, "general", ID{}, 5000)
	if err != nil || len(ids) != 1000 {
		t.Fatalf("asked for 5000: %d ids, %v", len(ids), err)
	}
	for i, id := range ids {
		if id.String() != all[i].ID {
			t.Fatalf("id %d is %s, want %s", i, id, all[i].ID)
		}
	}
	after, _ := parseID(all[1100].ID)
	if ids, err := c.hist.idsAfter(ctx, "general", after, 1000); err != nil || len(ids) != 99 || ids[0].String() != all[1101].ID {
		t.Fatalf("after the 1101st: %d ids, %v", len(ids), err)
	}
	if ids, err := c.hist.idsAfter(ctx, "empty", ID{}, 10); err != nil || len(ids) != 0 {
		t.Fatalf("an empty stream: %v, %v", ids, err)
	}
}
