package redistest

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// WaitSubscribers waits until topic has at least n plain Pub/Sub
// subscribers, so that an at-most-once message published next reaches all
// of them; it fails the test after 5 s.
func WaitSubscribers(t testing.TB, rdb *redis.Client, topic string, n int64) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got, err := rdb.PubSubNumSub(context.Background(), topic).Result()
		if err == nil && got[topic] >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s has %v subscribers (%v), want %d", topic, got[topic], err, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
