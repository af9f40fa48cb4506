// Command rtchat-bench measures rtchat against the raw go-redis path in the
// same process and run, and prints the ratios: on a shared machine only a
// side-by-side run is honest.
//
//	go run ./cmd/rtchat-bench [--json] [--quick] [--redis URL] [--scenarios e2e,send,join,ui] [--crowd-sizes 100,300 --crowd-cluster 1000]
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
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rtchat/rtchat/chat"
)

func main() {
	// Whatever ends the bench, the redis-servers it started stop with it:
	// a signal ends the context (and the run cleans up), and a closed
	// output ("| head") fails writes instead of killing the process.
	signal.Ignore(syscall.SIGPIPE)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "rtchat-bench: %v\n", err)
		os.Exit(1)
	}
}

// options are the command line.
type options struct {
	redisURL   string
	asJSON     bool
	quick      bool
	cluster    bool
	cpuProfile string
	scenarios  map[string]bool
	// crowdSizes and crowdCluster are the crowd's sizes on one Redis and
	// on the cluster (nil, 0: the scenario's own).
	crowdSizes   []int
	crowdCluster int
}

// scenario is one thing the bench measures; needsRedis says it needs a
// server (started when --redis is not given).
type scenario struct {
	name       string
	needsRedis bool
	run        func(b *bench, ctx context.Context) ([]result, error)
}

// scenarios lists every scenario, in the order they run.
func scenarios() []scenario {
	return []scenario{
		{"e2e", true, (*bench).e2e}, {"send", true, (*bench).send}, {"join", true, (*bench).join},
		{"memory", true, (*bench).memory}, {"idle", true, (*bench).idle}, {"flood", true, (*bench).flood}, {"hugeflood", true, (*bench).hugeFlood},
		{"ui", false, (*bench).ui}, {"remote", true, (*bench).remote}, {"files", true, (*bench).files},
		{"hooks", true, (*bench).hooks}, {"search", true, (*bench).search}, {"crowd", false, (*bench).crowd},
	}
}

func scenarioNames() []string {
	var names []string
	for _, s := range scenarios() {
		names = append(names, s.name)
	}
	return names
}

// parseOptions reads the command line.
func parseOptions(args []string, errw io.Writer) (options, error) {
	fs := flag.NewFlagSet("rtchat-bench", flag.ContinueOnError)
	fs.SetOutput(errw)
	var o options
	var scen string
	fs.StringVar(&o.redisURL, "redis", "", "Redis URL to measure against (default: start redis-server on a free port)")
	fs.BoolVar(&o.asJSON, "json", false, "print the results as JSON")
	fs.BoolVar(&o.quick, "quick", false, "a short smoke run of every scenario (CI)")
	fs.StringVar(&scen, "scenarios", strings.Join(scenarioNames(), ","), "comma-separated scenarios to run")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the run to `FILE` (go tool pprof)")
	fs.BoolVar(&o.cluster, "cluster", false, "run e2e against a local 3-master Redis Cluster it starts (sharded Pub/Sub on both paths)")
	var sizes string
	fs.StringVar(&sizes, "crowd-sizes", "", "the crowd's sizes on one Redis, comma-separated (default 100,300,1000; `none` runs only the cluster)")
	fs.IntVar(&o.crowdCluster, "crowd-cluster", 0, "the crowd's size on the cluster (default 300)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if o.crowdCluster < 0 {
		return o, fmt.Errorf("--crowd-cluster %d: give a number of clients", o.crowdCluster)
	}
	switch sizes {
	case "":
	case "none":
		o.crowdSizes = []int{}
	default:
		for _, f := range strings.Split(sizes, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n <= 0 {
				return o, fmt.Errorf("--crowd-sizes %q: give numbers of clients, such as 100,300,1000", sizes)
			}
			o.crowdSizes = append(o.crowdSizes, n)
		}
	}
	o.scenarios = map[string]bool{}
	for _, s := range strings.Split(scen, ",") {
		s = strings.TrimSpace(s)
		switch {
		case s == "":
		case slices.Contains(scenarioNames(), s):
			o.scenarios[s] = true
		default:
			return o, fmt.Errorf("unknown scenario %q; choose from %s", s, strings.Join(scenarioNames(), ", "))
		}
	}
	return o, nil
}

func run(ctx context.Context, args []string, out, errw io.Writer) error {
	o, err := parseOptions(args, errw)
	if err != nil {
		return err
	}
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return fmt.Errorf("--cpuprofile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("--cpuprofile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	b := &bench{quick: o.quick, log: errw, crowdSizes: o.crowdSizes, crowdCluster: o.crowdCluster}
	stop, err := b.servers(ctx, o)
	if err != nil {
		return err
	}
	defer stop()
	if b.opts != nil {
		defer b.dropCounter(ctx)()
	}
	rep := report{Machine: machine(), Quick: o.quick, Started: time.Now().UTC().Format(time.RFC3339)}
	for _, s := range scenarios() {
		if !o.scenarios[s.name] {
			continue
		}
		fmt.Fprintf(errw, "rtchat-bench: %s…\n", s.name)
		start := time.Now()
		res, err := s.run(b, ctx)
		if err != nil {
			return fmt.Errorf("scenario %s: %w", s.name, err)
		}
		rep.Results = append(rep.Results, res...)
		fmt.Fprintf(errw, "rtchat-bench: %s done in %v\n", s.name, time.Since(start).Round(time.Second))
	}
	return writeReport(out, rep, o.asJSON)
}

// servers finds or starts what the scenarios run against; stop stops what
// it started.
func (b *bench) servers(ctx context.Context, o options) (stop func(), err error) {
	var stops []func()
	stop = func() {
		for _, f := range slices.Backward(stops) {
			f()
		}
	}
	needsRedis := false
	for _, s := range scenarios() {
		needsRedis = needsRedis || (o.scenarios[s.name] && s.needsRedis)
	}
	switch {
	case o.redisURL != "":
		if b.opts, err = redis.ParseURL(o.redisURL); err != nil {
			return stop, fmt.Errorf("--redis: cannot parse the URL; write it as redis://host:port")
		}
	case needsRedis:
		srv, err := startRedis(ctx)
		if err != nil {
			return stop, err
		}
		stops = append(stops, srv.stop)
		b.opts = &redis.Options{Addr: srv.addr}
	}
	if o.cluster {
		cl, err := startCluster(ctx, 0)
		if err != nil {
			stop()
			return func() {}, err
		}
		stops = append(stops, cl.stop)
		b.cluster = cl.addrs
	}
	return stop, nil
}

// writeReport prints rep as a table or JSON; it fails when any message
// was lost.
func writeReport(out io.Writer, rep report, asJSON bool) error {
	if asJSON {
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
	// crowdSizes and crowdCluster override the crowd's sizes (options).
	crowdSizes   []int
	crowdCluster int
}

// dropCounter notes whether the server has a channel id counter now; the
// function it returns deletes the counter after the run if it had none
// and no channel is left (the bench's channels are deleted as it goes; a
// counter others took ids from must never go back).
func (b *bench) dropCounter(ctx context.Context) func() {
	rdb := redis.NewClient(b.opts)
	k := chat.DefaultKeys()
	existed := rdb.Exists(ctx, k.ChannelSeq()).Val() == 1
	return func() {
		defer rdb.Close()
		if !existed && rdb.SCard(ctx, k.ChannelIndex()).Val() == 0 {
			_ = rdb.Del(ctx, k.ChannelSeq()).Err()
		}
	}
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
