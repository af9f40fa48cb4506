package redistest

import (
	"context"
	"testing"

	"github.com/redis/go-redis/v9"
)

// ClientAt returns a go-redis client for addr (a proxy in front of a
// server, one node of a cluster), closed when the test ends. tweak changes
// its options before it is made.
func ClientAt(t testing.TB, addr string, tweak ...func(*redis.Options)) *redis.Client {
	o := &redis.Options{Addr: addr}
	for _, f := range tweak {
		f(o)
	}
	c := redis.NewClient(o)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// NoRetries makes a client of ClientAt give up on a command at the first
// failure, as a crashed program would, instead of retrying it.
func NoRetries(o *redis.Options) { o.MaxRetries = -1 }

// ClientAs returns a client signed in to the server as the ACL user name,
// closed when the test ends; tweak is ClientAt's.
func (s *Server) ClientAs(t testing.TB, name, password string, tweak ...func(*redis.Options)) *redis.Client {
	return ClientAt(t, s.Addr, append([]func(*redis.Options){func(o *redis.Options) { o.Username, o.Password = name, password }}, tweak...)...)
}

// RequirePassword makes the running server ask for password from now on
// and cuts every connection but its own, as a restart with requirepass
// would: clients must sign in again to go on. An empty password stops
// asking (and cuts nothing). Later clients of Client and Options use it.
func (s *Server) RequirePassword(t testing.TB, password string) {
	t.Helper()
	ctx := context.Background()
	admin := s.Client(t)
	if err := admin.ConfigSet(ctx, "requirepass", password).Err(); err != nil {
		t.Fatal(err)
	}
	s.Password = password
	if password == "" {
		return
	}
	for _, typ := range []string{"pubsub", "normal"} {
		if err := admin.ClientKillByFilter(ctx, "TYPE", typ, "SKIPME", "yes").Err(); err != nil {
			t.Fatal(err)
		}
	}
}

// XAdd appends an entry with fields to stream as another program would
// (no rtchat script, no Pub/Sub) and returns its id; it fails the test if
// Redis refuses.
func XAdd(t testing.TB, rdb redis.Cmdable, stream string, fields ...any) string {
	t.Helper()
	id, err := rdb.XAdd(context.Background(), &redis.XAddArgs{Stream: stream, Values: fields}).Result()
	if err != nil {
		t.Fatalf("XADD %s: %v", stream, err)
	}
	return id
}
