package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// redisProc is a redis-server the bench started.
type redisProc struct {
	addr string
	cmd  *exec.Cmd
	dir  string
}

// startRedis starts redis-server on a free loopback port, without
// persistence, and waits until it answers.
func startRedis(ctx context.Context, extra ...string) (*redisProc, error) {
	if _, err := exec.LookPath("redis-server"); err != nil {
		return nil, fmt.Errorf("redis-server is not on PATH; install it or pass --redis")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("find a free port: %w", err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	dir, err := os.MkdirTemp("", "rtchat-bench-")
	if err != nil {
		return nil, err
	}
	args := append([]string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "",
		"--appendonly", "no", "--dir", dir, "--protected-mode", "no", "--logfile", dir + "/redis.log"}, extra...)
	cmd := exec.Command("redis-server", args...)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start redis-server: %w", err)
	}
	p := &redisProc{addr: "127.0.0.1:" + strconv.Itoa(port), cmd: cmd, dir: dir}
	deadline := time.Now().Add(10 * time.Second)
	for {
		c := redis.NewClient(&redis.Options{Addr: p.addr})
		err := c.Ping(ctx).Err()
		_ = c.Close()
		if err == nil {
			return p, nil
		}
		if time.Now().After(deadline) {
			p.stop()
			return nil, fmt.Errorf("redis-server on %s did not answer: %w", p.addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (p *redisProc) stop() {
	_ = p.cmd.Process.Kill()
	_ = p.cmd.Wait()
	_ = os.RemoveAll(p.dir)
}

// localCluster is a 3-master Redis Cluster the bench started.
type localCluster struct {
	addrs []string
	procs []*redisProc
}

// startCluster starts three cluster-enabled redis-servers, and replicas
// replicas of each, and joins them with redis-cli --cluster create.
func startCluster(ctx context.Context, replicas int) (*localCluster, error) {
	if _, err := exec.LookPath("redis-cli"); err != nil {
		return nil, fmt.Errorf("redis-cli is not on PATH; install it (redis-tools) for --cluster")
	}
	cl := &localCluster{}
	for range 3 * (1 + replicas) {
		p, err := startRedis(ctx, "--cluster-enabled", "yes", "--cluster-node-timeout", "2000")
		if err != nil {
			cl.stop()
			return nil, err
		}
		cl.procs = append(cl.procs, p)
		cl.addrs = append(cl.addrs, p.addr)
	}
	args := append([]string{"--cluster", "create"}, cl.addrs...)
	args = append(args, "--cluster-replicas", strconv.Itoa(replicas), "--cluster-yes")
	if out, err := exec.CommandContext(ctx, "redis-cli", args...).CombinedOutput(); err != nil {
		cl.stop()
		return nil, fmt.Errorf("redis-cli --cluster create: %w: %s", err, out)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		ok := true
		for _, a := range cl.addrs {
			c := redis.NewClient(&redis.Options{Addr: a})
			info, err := c.ClusterInfo(ctx).Result()
			repl, rerr := c.Info(ctx, "replication").Result()
			_ = c.Close()
			ok = ok && err == nil && strings.Contains(info, "cluster_state:ok") &&
				rerr == nil && (strings.Contains(repl, "role:master") || strings.Contains(repl, "master_link_status:up"))
		}
		if ok {
			return cl, nil
		}
		if time.Now().After(deadline) {
			cl.stop()
			return nil, fmt.Errorf("the local cluster did not reach cluster_state:ok")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (cl *localCluster) stop() {
	for _, p := range cl.procs {
		p.stop()
	}
}
