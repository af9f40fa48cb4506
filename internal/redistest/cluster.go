package redistest

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Cluster is a real local Redis Cluster for a test: masters (and replicas,
// when asked) of redis-server --cluster-enabled yes on free loopback
// ports, created with redis-cli --cluster create, torn down at test end.
type Cluster struct {
	// Addrs are the node addresses, masters first.
	Addrs []string
	nodes []*Server
	t     testing.TB
}

// StartCluster starts masters masters with replicas replicas each. It
// skips the test (fails it under RTCHAT_REQUIRE_REDIS=1) without
// redis-server and redis-cli.
func StartCluster(t testing.TB, masters, replicas int) *Cluster {
	t.Helper()
	SkipUnless(t, "redis-server")
	SkipUnless(t, "redis-cli")
	c := &Cluster{t: t}
	for range masters * (1 + replicas) {
		dir := t.TempDir()
		s := Start(t, RealOnly(), WithConfig(
			"cluster-enabled yes",
			"cluster-config-file "+filepath.Join(dir, "nodes.conf"),
			"cluster-node-timeout 2000",
		))
		c.nodes = append(c.nodes, s)
		c.Addrs = append(c.Addrs, s.Addr)
	}
	args := []string{"--cluster", "create"}
	args = append(args, c.Addrs...)
	args = append(args, "--cluster-replicas", strconv.Itoa(replicas), "--cluster-yes")
	out, err := exec.Command("redis-cli", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	c.waitOK()
	c.waitReplicas(replicas)
	return c
}

// waitReplicas waits until every slot range lists its replicas (they join
// their masters a moment after the cluster is ok).
func (c *Cluster) waitReplicas(replicas int) {
	c.t.Helper()
	if replicas == 0 {
		return
	}
	Eventually(c.t, 30*time.Second, "every node to see the replicas", func() error {
		for _, addr := range c.Addrs {
			rdb := redis.NewClient(&redis.Options{Addr: addr})
			slots, err := rdb.ClusterSlots(context.Background()).Result()
			_ = rdb.Close()
			if err != nil {
				return err
			}
			for _, s := range slots {
				if len(s.Nodes) < 1+replicas {
					return fmt.Errorf("%s: slots %d-%d have %d nodes", addr, s.Start, s.End, len(s.Nodes))
				}
			}
		}
		return nil
	})
}

// waitOK waits until every running node reports cluster_state:ok and
// agrees on the slots.
func (c *Cluster) waitOK() {
	c.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ok := true
		for _, n := range c.nodes {
			if !n.running() {
				continue
			}
			rdb := redis.NewClient(&redis.Options{Addr: n.Addr})
			info, err := rdb.ClusterInfo(context.Background()).Result()
			_ = rdb.Close()
			if err != nil || !strings.Contains(info, "cluster_state:ok") {
				ok = false
				break
			}
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatal("the cluster did not reach cluster_state:ok within 30s")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Client returns a cluster client, closed at test end.
func (c *Cluster) Client(t testing.TB) *redis.ClusterClient {
	rdb := redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.Addrs})
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

// MasterOf returns the address of the master that owns key's slot.
func (c *Cluster) MasterOf(t testing.TB, key string) string {
	t.Helper()
	rdb := c.Client(t)
	slot, err := rdb.ClusterKeySlot(context.Background(), key).Result()
	if err != nil {
		t.Fatal(err)
	}
	slots, err := rdb.ClusterSlots(context.Background()).Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range slots {
		if int64(s.Start) <= slot && slot <= int64(s.End) {
			return s.Nodes[0].Addr
		}
	}
	t.Fatalf("no master owns slot %d", slot)
	return ""
}

// Node returns the test server at addr (to kill it, say).
func (c *Cluster) Node(addr string) *Server {
	for _, n := range c.nodes {
		if n.Addr == addr {
			return n
		}
	}
	c.t.Fatalf("no node %s", addr)
	return nil
}

// ShardSubscribers returns how many sharded Pub/Sub subscribers topic has
// on each node, by address.
func (c *Cluster) ShardSubscribers(ctx context.Context, topic string) (map[string]int64, error) {
	on := make(map[string]int64, len(c.Addrs))
	for _, addr := range c.Addrs {
		node := redis.NewClient(&redis.Options{Addr: addr})
		n, err := node.PubSubShardNumSub(ctx, topic).Result()
		_ = node.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", addr, err)
		}
		on[addr] = n[topic]
	}
	return on, nil
}

// URLs returns the node addresses joined by commas, as --redis takes them.
func (c *Cluster) URLs() string { return strings.Join(c.Addrs, ",") }

func (s *Server) running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cmd != nil
}

// WaitReplicated waits until every replica of the master at addr has
// acknowledged all of its writes (replication is asynchronous; tests of
// failover handling should not also test that).
func (c *Cluster) WaitReplicated(t testing.TB, addr string) {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	defer rdb.Close()
	deadline := time.Now().Add(20 * time.Second)
	for {
		info, err := rdb.Info(context.Background(), "replication").Result()
		if err == nil {
			var offset string
			online, caughtUp := 0, 0
			for _, l := range strings.Split(info, "\r\n") {
				if v, ok := strings.CutPrefix(l, "master_repl_offset:"); ok {
					offset = v
				}
			}
			for _, l := range strings.Split(info, "\r\n") {
				if strings.HasPrefix(l, "slave") && strings.Contains(l, "state=online") {
					online++
					if strings.Contains(l, "offset="+offset+",") {
						caughtUp++
					}
				}
			}
			if online > 0 && caughtUp == online {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the replicas of %s did not catch up within 20s", addr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
