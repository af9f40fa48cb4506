package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rtchat/rtchat/chat"
)

// crowd measures a team on one Redis and on a cluster: N full chat
// clients (what each window runs) in 200 channels, each in 10–30 of them
// and all in one channel of everyone, presence and typing on. They start
// within a few seconds of each other (a Redis restart, an office
// arriving), sit idle, then carry a day's busiest minute: a few channels
// at 50 messages a second, a trickle everywhere else, a message now and
// then to everyone, all of it from the 5% who talk. Every run has a
// redis-server (or a cluster) of its own, so its memory and CPU are the
// crowd's alone; --redis does not apply.
func (b *bench) crowd(ctx context.Context) ([]result, error) {
	if _, err := exec.LookPath("redis-server"); err != nil {
		return nil, fmt.Errorf("crowd starts servers of its own: %w", err)
	}
	plan := crowdPlan{channels: 200, storm: 5 * time.Second, idle: 15 * time.Second, traffic: 20 * time.Second,
		busy: 3, busyRate: 50, trickle: 20, allRate: 1, seed: 20}
	sizes, clusterN := []int{100, 300, 1000}, 300
	if b.quick {
		plan = crowdPlan{channels: 20, storm: time.Second, idle: 2 * time.Second, traffic: 2 * time.Second,
			busy: 2, busyRate: 20, trickle: 5, allRate: 2, seed: 3}
		sizes, clusterN = []int{40}, 30
	}
	if b.crowdSizes != nil {
		sizes = b.crowdSizes
	}
	if b.crowdCluster > 0 {
		clusterN = b.crowdCluster
	}
	var out []result
	for _, n := range sizes {
		srv, err := startRedis(ctx)
		if err != nil {
			return nil, err
		}
		p := plan
		p.n = n
		r, err := b.crowdRun(ctx, p, crowdServer{name: "one Redis", addrs: []string{srv.addr}})
		srv.stop()
		if err != nil {
			return nil, fmt.Errorf("crowd of %d: %w", n, err)
		}
		out = append(out, r...)
	}
	if _, err := exec.LookPath("redis-cli"); err != nil {
		return nil, fmt.Errorf("crowd's cluster run needs redis-cli (redis-tools): %w", err)
	}
	for _, replica := range []bool{false, true} {
		cl, err := startCluster(ctx, 1)
		if err != nil {
			return nil, err
		}
		p := plan
		p.n, p.replica = clusterN, replica
		name := "cluster, 3 masters + 3 replicas, subscribed to masters"
		if replica {
			name = "cluster, 3 masters + 3 replicas, subscribed to replicas"
		}
		r, err := b.crowdRun(ctx, p, crowdServer{name: name, addrs: cl.addrs, cluster: true})
		cl.stop()
		if err != nil {
			return nil, fmt.Errorf("crowd of %d on a cluster: %w", clusterN, err)
		}
		out = append(out, r...)
	}
	return out, nil
}

// crowdPlan is one crowd: its size and its day.
type crowdPlan struct {
	n, channels int
	// storm is the time over which the clients start; idle and traffic
	// how long each part lasts.
	storm, idle, traffic time.Duration
	// busy channels get busyRate messages a second each; trickle is the
	// rate over all other channels, allRate that of the channel of all.
	busy, busyRate, trickle, allRate int
	// seed is how many messages each channel holds before the start.
	seed    int
	replica bool
}

// crowdServer is where a crowd runs: one server or a cluster's nodes.
type crowdServer struct {
	name    string
	addrs   []string
	cluster bool
}

func (s crowdServer) client() redis.UniversalClient {
	if s.cluster {
		return redis.NewClusterClient(&redis.ClusterOptions{Addrs: s.addrs})
	}
	return redis.NewClient(&redis.Options{Addr: s.addrs[0]})
}

// crowdMember is one window's client.
type crowdMember struct {
	user   string
	talker bool     // one of the 5% who talk; in the busy channels
	chans  []string // its channels; chans[0] is the channel of all
	c      *chat.Client
	rdb    redis.UniversalClient
	live   time.Duration // from its start until JoinAll and the list returned
	probed atomic.Bool   // it saw the first message after the start

	mu         sync.Mutex
	recv, sent map[string]int // stamped messages received and sent, by channel
}

func (b *bench) crowdRun(ctx context.Context, p crowdPlan, srv crowdServer) ([]result, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	nodes := make([]*redis.Client, len(srv.addrs))
	for i, a := range srv.addrs {
		nodes[i] = redis.NewClient(&redis.Options{Addr: a})
		defer nodes[i].Close()
	}
	admin := srv.client()
	defer admin.Close()
	members, err := crowdSetup(ctx, admin, p)
	if err != nil {
		return nil, err
	}
	// The servers' own idle cost, before any client starts, which the
	// idle figures are net of: a cluster's nodes ping each other and
	// their replicas, and every server runs its cron.
	baseFrom, err := nodeStats(ctx, nodes)
	if err != nil {
		return nil, err
	}
	time.Sleep(max(p.idle/3, 2*time.Second))
	before, err := nodeStats(ctx, nodes)
	if err != nil {
		return nil, err
	}
	base := baseFrom.to(before)
	baseFor := before.at[0] - baseFrom.at[0]
	var rt runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&rt)
	heapBefore := rt.HeapInuse

	// The start storm.
	// Every delivery's latency, and apart those in the channel of all
	// (its fan-out is N at once).
	got, toAll := &receiver{}, &receiver{}
	var wg sync.WaitGroup
	var failed atomic.Int64
	var errMu sync.Mutex
	var firstErr error
	stormStart := time.Now()
	peak := sampleCPU(ctx, nodes, 200*time.Millisecond)
	for i, m := range members {
		at := stormStart.Add(time.Duration(i) * p.storm / time.Duration(p.n))
		wg.Go(func() {
			time.Sleep(time.Until(at))
			if err := m.start(ctx, srv, p.replica, got, toAll); err != nil {
				if failed.Add(1) == 1 {
					errMu.Lock()
					firstErr = err
					errMu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	joined := time.Since(stormStart)
	everyone := members
	defer func() {
		for _, m := range everyone {
			if m.c != nil {
				m.c.Close()
			}
			if m.rdb != nil {
				m.rdb.Close()
			}
		}
	}()
	gaveUp := failed.Load()
	if gaveUp > 0 {
		b.say("%d of %d clients gave up starting, the first: %v", gaveUp, p.n, firstErr)
		members = slices.DeleteFunc(slices.Clone(members), func(m *crowdMember) bool { return m.live == 0 })
		if len(members) < p.n/2 {
			return nil, fmt.Errorf("%d of %d clients gave up starting, the first: %v", gaveUp, p.n, firstErr)
		}
	}
	// Live: every member has received a message sent after the start.
	deadline := time.Now().Add(60 * time.Second)
	for {
		if _, err := members[0].c.BroadcastMessage(ctx, members[0].chans[0], "probe"); err != nil {
			return nil, fmt.Errorf("the first message: %w", err)
		}
		wait := time.Now().Add(2 * time.Second)
		for time.Now().Before(wait) && !allProbed(members) {
			time.Sleep(5 * time.Millisecond)
		}
		if allProbed(members) {
			break
		}
		if time.Now().After(deadline) {
			n := 0
			for _, m := range members {
				if m.probed.Load() {
					n++
				}
			}
			return nil, fmt.Errorf("%d of %d clients received the first message within a minute", n, len(members))
		}
	}
	allLive := time.Since(stormStart)
	peakCPU := peak()
	lives := make([]time.Duration, len(members))
	for i, m := range members {
		lives[i] = m.live
	}
	liveSide := summarize(lives)

	// Idle.
	time.Sleep(2 * time.Second)
	idleFrom, err := nodeStats(ctx, nodes)
	if err != nil {
		return nil, err
	}
	time.Sleep(p.idle)
	idleTo, err := nodeStats(ctx, nodes)
	if err != nil {
		return nil, err
	}
	idle := idleFrom.to(idleTo)
	perStart := before.to(idleFrom).cpuSec / float64(p.n) // Redis CPU seconds a window's start cost, all told
	idleFor := idleTo.at[0] - idleFrom.at[0]
	// Commands and CPU of the clients alone: the servers' own taken off.
	for name, v := range base.byCommand {
		idle.byCommand[name] = max(idle.byCommand[name]-v*idleFor/baseFor, 0)
	}
	idle.calls = 0
	for _, v := range idle.byCommand {
		idle.calls += v
	}
	perClientMin := idle.calls * 60 / idleFor / float64(p.n)
	serversCPU := base.cpuSec / baseFor               // share of a core, all nodes, no client
	idleCPU := max(idle.cpuSec/idleFor-serversCPU, 0) // the clients' share, all nodes
	conns := idleTo.conns - before.conns
	memPerClient := float64(idleTo.memory-before.memory) / float64(p.n)
	runtime.ReadMemStats(&rt)
	heapPerClient := float64(int64(rt.HeapInuse)-int64(heapBefore)) / float64(p.n)

	// The busiest minute.
	cpuFrom := processCPU()
	expected, sent, err := crowdTraffic(ctx, p, members)
	clientCPU := (processCPU() - cpuFrom) / p.traffic.Seconds()
	if err != nil {
		return nil, err
	}
	busyTo, err := nodeStats(ctx, nodes)
	if err != nil {
		return nil, err
	}
	drain := time.Now().Add(5 * time.Second)
	for got.count() < int(expected) && time.Now().Before(drain) {
		time.Sleep(20 * time.Millisecond)
	}
	if missing := missingDeliveries(members); len(missing) > 0 {
		b.say("deliveries missing after 5 s: %s", strings.Join(missing[:min(len(missing), 10)], "; "))
	}
	got.mu.Lock()
	lat := slices.Clone(got.lat)
	got.mu.Unlock()
	e2e := summarize(lat)
	toAll.mu.Lock()
	allHands := summarize(toAll.lat)
	toAll.mu.Unlock()
	e2e.Lost = expected - int64(len(lat))
	busy := idleTo.to(busyTo)
	seconds := p.traffic.Seconds()
	busyShare := busy.cpuSec / (busyTo.at[0] - idleTo.at[0])

	where := fmt.Sprintf("%d clients, %s", p.n, srv.name)
	b.say("%s: all joined in %.1fs, all live in %.1fs (start p50 %.0f ms, p99 %.0f ms), peak Redis CPU %.0f%% of a core, %.2f ms of Redis CPU a start",
		where, joined.Seconds(), allLive.Seconds(), liveSide.P50/1e3, liveSide.P99/1e3, peakCPU*100, perStart*1e3)
	b.say("%s: idle %.1f commands a minute each (Redis CPU %.1f%% of a core for them, the servers alone %.1f%%), %.2f connections each (%d in all), Redis %.0f B each, client heap %.0f KiB each",
		where, perClientMin, idleCPU*100, serversCPU*100, float64(conns)/float64(p.n), conns, memPerClient, heapPerClient/1024)
	idleBy := perMinute(idle.byCommand, idleFor, p.n)
	b.say("%s: idle commands a minute each, by command: %s", where, topCommands(idleBy, 8))
	b.say("%s: %d messages, %d deliveries: p50 %.0f µs, p99 %.0f µs, p99.9 %.0f µs, %d lost (the channel of all: p50 %.0f µs, p99 %.0f µs); Redis CPU %.0f%% (busiest node %.0f%%), the clients' process %.0f%%, largest output buffer %d B",
		where, sent, len(lat), e2e.P50, e2e.P99, e2e.P999, e2e.Lost, allHands.P50, allHands.P99, busyShare*100, busy.peakCPU*100, clientCPU*100, busyTo.maxOutput)

	storm := result{Scenario: "crowd", Case: fmt.Sprintf("start storm, %s", where),
		Rtchat: side{P50: liveSide.P50, P99: liveSide.P99, P999: liveSide.P999, Samples: p.n, Extra: map[string]float64{
			"all_joined_s": round(joined.Seconds()), "all_live_s": round(allLive.Seconds()), "peak_redis_cpu_core": round(peakCPU), "redis_cpu_ms_per_start": round(perStart * 1e3),
			"storm_s": p.storm.Seconds(), "gave_up": float64(gaveUp)}},
		Ratio:  map[string]float64{},
		Target: fmt.Sprintf("all %d start within %v; every window live, none giving up", p.n, p.storm),
		Note:   "each client: Start, Opening, JoinAll of its 10–30 channels, ListChannels (what a window does); live = it received a message sent after the last one joined"}
	storm.Met = met(gaveUp == 0)
	day := result{Scenario: "crowd", Case: fmt.Sprintf("busiest minute, %s", where), Rtchat: e2e,
		Ratio:  map[string]float64{},
		Target: fmt.Sprintf("every delivery, none lost; %d busy channels at %d msg/s, %d msg/s elsewhere, %d msg/s to all", p.busy, p.busyRate, p.trickle, p.allRate),
		Note: fmt.Sprintf("%d messages, %d deliveries (%.0f a second); idle: %.1f commands a minute a client, %.2f connections a client (%d in all); "+
			"Redis memory %.0f B a client, the bench's heap %.0f KiB a client; largest output buffer %d B (pubsub limit 32 MiB hard, 8 MiB for 60 s)",
			sent, len(lat), float64(len(lat))/seconds, perClientMin, float64(conns)/float64(p.n), conns, memPerClient, heapPerClient/1024, busyTo.maxOutput)}
	day.Rtchat.Throughput = round(float64(len(lat)) / seconds)
	day.Rtchat.Extra = map[string]float64{
		"idle_commands_per_minute_per_client": round(perClientMin), "idle_redis_cpu_core": round(idleCPU*1000) / 1000, "servers_alone_cpu_core": round(serversCPU*1000) / 1000, "connections_per_client": round(float64(conns) / float64(p.n)),
		"connections": float64(conns), "redis_memory_per_client_b": round(memPerClient), "client_heap_per_client_b": round(heapPerClient),
		"redis_cpu_core": round(busyShare), "redis_cpu_busiest_node_core": round(busy.peakCPU),
		"all_channel_p50_us": allHands.P50, "all_channel_p99_us": allHands.P99,
		"max_output_buffer_b": float64(busyTo.maxOutput), "messages": float64(sent), "clients_process_cpu_core": round(clientCPU),
	}
	for name, v := range idleBy {
		day.Rtchat.Extra["idle_per_minute_per_client_"+name] = v
	}
	day.Met = met(e2e.Lost == 0)
	return []result{storm, day}, nil
}

// crowdSetup makes the channels, seeds their history, and gives each
// member its channels (as the channels it joined before); the first 5%
// talk and are in the busy channels too.
func crowdSetup(ctx context.Context, rdb redis.UniversalClient, p crowdPlan) ([]*crowdMember, error) {
	k := chat.DefaultKeys()
	seeder, err := chat.New(chat.Options{Redis: rdb, User: "seeder"})
	if err != nil {
		return nil, err
	}
	defer seeder.Close()
	names := make([]string, p.channels)
	for i := range names {
		names[i] = fmt.Sprintf("c%03d", i)
		if _, _, err := seeder.CreateChannel(ctx, names[i], "channel "+strconv.Itoa(i)); err != nil {
			return nil, err
		}
		for j := range p.seed {
			if _, err := seeder.BroadcastMessage(ctx, names[i], fmt.Sprintf("earlier message %d of the day in %s", j, names[i])); err != nil {
				return nil, err
			}
		}
	}
	rng := rand.New(rand.NewPCG(uint64(p.n), uint64(p.channels)))
	members := make([]*crowdMember, p.n)
	talkers := talkerCount(p.n)
	pipe := rdb.Pipeline()
	for i := range members {
		m := &crowdMember{user: fmt.Sprintf("u%04d", i), talker: i < talkers, recv: map[string]int{}, sent: map[string]int{}}
		set := map[string]bool{names[0]: true}
		if m.talker {
			for _, n := range names[1 : 1+p.busy] {
				set[n] = true
			}
		}
		for want := 10 + rng.IntN(21); len(set) < min(want, p.channels); {
			set[names[1+rng.IntN(p.channels-1)]] = true
		}
		delete(set, names[0])
		m.chans = append([]string{names[0]}, slices.Sorted(maps.Keys(set))...)
		for _, n := range m.chans {
			pipe.SAdd(ctx, k.UserChannels(m.user), n)
			pipe.SAdd(ctx, k.Members(n), m.user)
		}
		members[i] = m
		if pipe.Len() > 2000 {
			if _, err := pipe.Exec(ctx); err != nil {
				return nil, err
			}
		}
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, err
	}
	return members, nil
}

func talkerCount(n int) int { return max(1, n/20) }

// start runs what a window runs at its start, and then takes its events.
func (m *crowdMember) start(ctx context.Context, srv crowdServer, replica bool, got, toAll *receiver) error {
	t0 := time.Now()
	m.rdb = srv.client()
	c, err := chat.New(chat.Options{Redis: m.rdb, User: m.user, AutoJoin: true, ReplicaSubscribe: replica})
	if err != nil {
		return err
	}
	m.c = c
	go func() {
		for ev := range c.Events() {
			msg, ok := ev.(chat.MessageEvent)
			switch {
			case !ok:
			case msg.Message.Text == "probe": // its sender's too: its own echo says it is live
				m.probed.Store(true)
			case msg.Message.User == m.user:
			default:
				if _, ok := sentAt(msg.Message.Text); ok {
					got.got(msg.Message.Text)
					if msg.Message.Channel == m.chans[0] {
						toAll.got(msg.Message.Text)
					}
					m.mu.Lock()
					m.recv[msg.Message.Channel]++
					m.mu.Unlock()
				}
			}
		}
	}()
	if err := c.Start(ctx); err != nil { // its context is the client's life
		return fmt.Errorf("%s: start: %w", m.user, err)
	}
	sctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	o, err := c.Opening(sctx)
	if err != nil {
		return fmt.Errorf("%s: opening: %w", m.user, err)
	}
	if len(o.Channels) != len(m.chans) {
		return fmt.Errorf("%s: opened %d channels of %d", m.user, len(o.Channels), len(m.chans))
	}
	if _, errs := c.JoinAll(sctx, o.Channels); len(errs) > 0 {
		var all []error
		for _, e := range errs {
			all = append(all, e)
		}
		return fmt.Errorf("%s: join: %w", m.user, errors.Join(all...))
	}
	if _, err := c.ListChannels(sctx); err != nil {
		return fmt.Errorf("%s: list: %w", m.user, err)
	}
	m.live = time.Since(t0)
	return nil
}

// missingDeliveries names each member and channel short of what the
// channel's other members sent there.
func missingDeliveries(ms []*crowdMember) []string {
	total := map[string]int{}
	for _, m := range ms {
		m.mu.Lock()
		for ch, n := range m.sent {
			total[ch] += n
		}
		m.mu.Unlock()
	}
	var out []string
	for _, m := range ms {
		m.mu.Lock()
		for _, ch := range m.chans {
			if want := total[ch] - m.sent[ch]; m.recv[ch] != want {
				out = append(out, fmt.Sprintf("%s in %s got %d of %d", m.user, ch, m.recv[ch], want))
			}
		}
		m.mu.Unlock()
	}
	return out
}

func allProbed(ms []*crowdMember) bool {
	for _, m := range ms {
		if !m.probed.Load() {
			return false
		}
	}
	return true
}

// crowdTraffic runs the busiest minute and returns how many deliveries
// it should make (each message to every member but its sender) and how
// many messages were sent.
func crowdTraffic(ctx context.Context, p crowdPlan, members []*crowdMember) (expected, sent int64, err error) {
	size := map[string]int64{}
	for _, m := range members {
		for _, n := range m.chans {
			size[n]++
		}
	}
	talkers := slices.DeleteFunc(slices.Clone(members), func(m *crowdMember) bool { return !m.talker })
	if len(talkers) == 0 {
		return 0, 0, errors.New("none of those who talk started")
	}
	var exp, count atomic.Int64
	send := func(rng *rand.Rand, pick func(*crowdMember) string) func(int) error {
		return func(int) error {
			m := talkers[rng.IntN(len(talkers))]
			ch := pick(m)
			m.c.Typing(ch) // what the window says as the person types
			if _, err := m.c.BroadcastMessage(ctx, ch, stamp()); err != nil {
				return fmt.Errorf("%s in %s: %w", m.user, ch, err)
			}
			exp.Add(size[ch] - 1)
			m.mu.Lock()
			m.sent[ch]++
			m.mu.Unlock()
			count.Add(1)
			return nil
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, p.busy+2)
	run := func(rate int, seed uint64, pick func(*crowdMember) string) {
		if rate == 0 {
			return
		}
		rng := rand.New(rand.NewPCG(seed, 7))
		wg.Go(func() {
			if err := pace(ctx, rate, int(float64(rate)*p.traffic.Seconds()), send(rng, pick)); err != nil {
				errs <- err
			}
		})
	}
	for i := range p.busy {
		ch := fmt.Sprintf("c%03d", 1+i)
		run(p.busyRate, uint64(i), func(*crowdMember) string { return ch })
	}
	rng := rand.New(rand.NewPCG(99, 1))
	var rmu sync.Mutex
	run(p.trickle, 100, func(m *crowdMember) string {
		rmu.Lock()
		defer rmu.Unlock()
		return m.chans[1+rng.IntN(len(m.chans)-1)]
	})
	run(p.allRate, 101, func(m *crowdMember) string { return m.chans[0] })
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return 0, 0, err
	}
	return exp.Load(), count.Load(), nil
}

// nodesState is INFO of every node of a crowd's server, summed.
type nodesState struct {
	memory, conns, maxOutput int64
	cpu, at                  []float64 // each node's CPU seconds, and its clock
	calls                    float64   // commands run, the bench's INFO left out
	byCommand                map[string]float64
}

func nodeStats(ctx context.Context, nodes []*redis.Client) (nodesState, error) {
	s := nodesState{byCommand: map[string]float64{}}
	for _, n := range nodes {
		st, err := readStats(ctx, n)
		if err != nil {
			return s, err
		}
		s.memory += st.usedMemory
		s.cpu, s.at = append(s.cpu, st.cpuSec), append(s.at, st.at)
		for k, v := range st.calls {
			if k != "info" {
				s.calls += v
				s.byCommand[k] += v
			}
		}
		s.conns += st.clients - 1 // the reading's own
		s.maxOutput = max(s.maxOutput, st.maxOutput)
	}
	return s, nil
}

// nodesDelta is what a crowd cost between two readings.
type nodesDelta struct {
	// cpuSec is every node's CPU time; peakCPU the busiest node's share
	// of a core over the time between the readings, on its own clock.
	cpuSec, peakCPU float64
	calls           float64
	byCommand       map[string]float64
}

func (a nodesState) to(b nodesState) nodesDelta {
	d := nodesDelta{calls: b.calls - a.calls, byCommand: map[string]float64{}}
	for k, v := range b.byCommand {
		if v > a.byCommand[k] {
			d.byCommand[k] = v - a.byCommand[k]
		}
	}
	for i := range b.cpu {
		x := b.cpu[i] - a.cpu[i]
		d.cpuSec += x
		if dt := b.at[i] - a.at[i]; dt > 0 {
			d.peakCPU = max(d.peakCPU, x/dt)
		}
	}
	return d
}

// sampleCPU reads the nodes' CPU every step until stop is called, which
// returns the highest share of one core any node used over a step.
func sampleCPU(ctx context.Context, nodes []*redis.Client, step time.Duration) (stop func() float64) {
	ctx, cancel := context.WithCancel(ctx)
	var peak float64
	done := make(chan struct{})
	go func() {
		defer close(done)
		last, err := nodeStats(ctx, nodes)
		for err == nil {
			select {
			case <-ctx.Done():
				return
			case <-time.After(step):
			}
			var now nodesState
			if now, err = nodeStats(ctx, nodes); err == nil {
				peak = max(peak, last.to(now).peakCPU)
				last = now
			}
		}
	}()
	return func() float64 {
		cancel()
		<-done
		return peak
	}
}

// perMinute turns commands counted over seconds by n clients into
// commands a minute a client, the bench's own (INFO, CONFIG) left out.
func perMinute(calls map[string]float64, seconds float64, n int) map[string]float64 {
	out := make(map[string]float64, len(calls))
	for k, v := range calls {
		if k == "info" || strings.HasPrefix(k, "config") {
			continue
		}
		if v = round(v * 60 / seconds / float64(n)); v >= 0.05 {
			out[k] = v
		}
	}
	return out
}

// topCommands lists the k commands with the most calls, most first
// ("ping 12, evalsha 4, …").
func topCommands(calls map[string]float64, k int) string {
	names := slices.SortedFunc(maps.Keys(calls), func(a, b string) int {
		if c := cmp.Compare(calls[b], calls[a]); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	parts := make([]string, 0, k)
	for _, name := range names[:min(k, len(names))] {
		parts = append(parts, fmt.Sprintf("%s %.1f", name, calls[name]))
	}
	return strings.Join(parts, ", ")
}
