// Command rtchat-bench measures rtchat against the raw go-redis path in the
// same process and run, and prints the ratios: on a shared machine only a
// side-by-side run is honest.
//
//	go run ./cmd/rtchat-bench [--json] [--quick] [--redis URL] [--scenarios e2e,send,join,ui]
//
// Without --redis it starts its own redis-server on a free loopback port.
// See docs/PERFORMANCE.md for the scenarios and the targets.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "rtchat-bench: %v\n", err)
		os.Exit(1)
	}
}

// options are the command line.
type options struct {
	redisURL  string
	asJSON    bool
	quick     bool
	scenarios map[string]bool
}

func run(ctx context.Context, args []string, out, errw io.Writer) error {
	fs := flag.NewFlagSet("rtchat-bench", flag.ContinueOnError)
	fs.SetOutput(errw)
	var o options
	var scen string
	fs.StringVar(&o.redisURL, "redis", "", "Redis URL to measure against (default: start redis-server on a free port)")
	fs.BoolVar(&o.asJSON, "json", false, "print the results as JSON")
	fs.BoolVar(&o.quick, "quick", false, "a short smoke run of every scenario (CI)")
	fs.StringVar(&scen, "scenarios", "e2e,send,join,memory,ui", "comma-separated scenarios to run")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the run to `FILE` (go tool pprof)")
	onCluster := fs.Bool("cluster", false, "run e2e against a local 3-master Redis Cluster it starts (sharded Pub/Sub on both paths)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return fmt.Errorf("--cpuprofile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("--cpuprofile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	o.scenarios = map[string]bool{}
	for _, s := range strings.Split(scen, ",") {
		switch s = strings.TrimSpace(s); s {
		case "e2e", "send", "join", "ui", "memory":
			o.scenarios[s] = true
		case "":
		default:
			return fmt.Errorf("unknown scenario %q; choose from e2e, send, join, ui, memory", s)
		}
	}
	var opts *redis.Options
	if o.redisURL != "" {
		var err error
		if opts, err = redis.ParseURL(o.redisURL); err != nil {
			return fmt.Errorf("--redis: cannot parse the URL; write it as redis://host:port")
		}
	} else if o.scenarios["e2e"] || o.scenarios["send"] || o.scenarios["join"] || o.scenarios["memory"] {
		srv, err := startRedis(ctx)
		if err != nil {
			return err
		}
		defer srv.stop()
		opts = &redis.Options{Addr: srv.addr}
	}
	rep := report{Machine: machine(), Quick: o.quick, Started: time.Now().UTC().Format(time.RFC3339)}
	b := &bench{opts: opts, quick: o.quick, log: errw}
	if *onCluster {
		cl, err := startCluster(ctx)
		if err != nil {
			return err
		}
		defer cl.stop()
		b.cluster = cl.addrs
	}
	steps := []struct {
		name string
		run  func(context.Context) ([]result, error)
	}{
		{"e2e", b.e2e}, {"send", b.send}, {"join", b.join}, {"memory", b.memory}, {"ui", b.ui},
	}
	for _, s := range steps {
		if !o.scenarios[s.name] {
			continue
		}
		fmt.Fprintf(errw, "rtchat-bench: %s…\n", s.name)
		start := time.Now()
		res, err := s.run(ctx)
		if err != nil {
			return fmt.Errorf("scenario %s: %w", s.name, err)
		}
		rep.Results = append(rep.Results, res...)
		fmt.Fprintf(errw, "rtchat-bench: %s done in %v\n", s.name, time.Since(start).Round(time.Second))
	}
	if o.asJSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		printTable(out, rep)
	}
	var lost int64
	for _, r := range rep.Results {
		lost += r.Rtchat.Lost + r.Raw.Lost
	}
	if lost > 0 {
		return errors.New("messages were lost; see the table")
	}
	return nil
}

// bench holds what every scenario needs.
type bench struct {
	opts    *redis.Options
	cluster []string // node addresses when e2e runs on a cluster
	quick   bool
	log     io.Writer
}

// newClient returns a client for the server (or the cluster) under test;
// poolSize 0 keeps go-redis's default.
func (b *bench) newClient(poolSize int) redis.UniversalClient {
	if b.cluster != nil {
		return redis.NewClusterClient(&redis.ClusterOptions{Addrs: b.cluster, PoolSize: poolSize})
	}
	opts := *b.opts
	opts.PoolSize = poolSize
	return redis.NewClient(&opts)
}

func (b *bench) say(format string, args ...any) { fmt.Fprintf(b.log, "  "+format+"\n", args...) }

func machine() map[string]any {
	host, _ := os.Hostname()
	return map[string]any{"go": runtime.Version(), "os": runtime.GOOS, "arch": runtime.GOARCH, "cpus": runtime.NumCPU(), "host": host}
}
