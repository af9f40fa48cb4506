package chat_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/rtchat/rtchat/chat"
	"github.com/rtchat/rtchat/internal/chattest"
	"github.com/rtchat/rtchat/internal/redistest"
)

// TestClusterChannelsOnEveryMaster: channels whose keys live on each of
// three masters; several producers and consumers; every consumer's list
// equals each channel's stream.
func TestClusterChannelsOnEveryMaster(t *testing.T) {
	cl := redistest.StartCluster(t, 3, 0)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	keys := chat.DefaultKeys()
	// Pick channel names until every master owns at least one.
	owners := map[string][]string{}
	var channels []string
	for i := 0; len(owners) < 3 && i < 100; i++ {
		name := fmt.Sprintf("room%d", i)
		m := cl.MasterOf(t, keys.Stream(name))
		if len(owners[m]) < 1 {
			owners[m] = append(owners[m], name)
			channels = append(channels, name)
		}
	}
	if len(owners) != 3 {
		t.Fatalf("channels landed on %d masters, want 3", len(owners))
	}
	var consumers []*recorder
	for i := range 3 {
		r := newRecorder(t, cl.Client(t), fmt.Sprint("reader", i))
		for _, ch := range channels {
			if _, err := r.Join(ctx, ch); err != nil {
				t.Fatalf("join %s on the cluster: %v", ch, err)
			}
		}
		consumers = append(consumers, r)
	}
	for p := range 3 {
		c := chattest.New(t, chat.Options{Redis: cl.Client(t), User: fmt.Sprint("writer", p)})
		for i := range 20 {
			for _, ch := range channels {
				if _, err := c.BroadcastMessage(ctx, ch, fmt.Sprintf("w%d m%d", p, i)); err != nil {
					t.Fatalf("send to %s: %v", ch, err)
				}
			}
		}
	}
	rdb := cl.Client(t)
	for _, ch := range channels {
		want := streamIDs(t, rdb, ch)
		if len(want) != 60 {
			t.Fatalf("%s holds %d entries, want 60", ch, len(want))
		}
		for _, r := range consumers {
			r.waitCount(ch, 60, 20*time.Second)
			assertSameIDs(t, r.User()+" in "+ch, r.ids(ch), want)
		}
	}
	// Live delivery used sharded Pub/Sub on each channel's own master.
	for master, names := range owners {
		node := cl.Node(master).Client(t)
		for _, n := range names {
			sub, err := cl.ShardSubscribers(ctx, keys.Topic(n))
			if err != nil {
				t.Fatal(err)
			}
			if sub[master] != 3 {
				t.Fatalf("%s on %s has %d sharded subscribers, want 3", n, master, sub[master])
			}
			plain, _ := node.PubSubNumSub(ctx, keys.Topic(n)).Result()
			if plain[keys.Topic(n)] != 0 {
				t.Fatalf("%s has %d plain subscribers; live delivery must be sharded", n, plain[keys.Topic(n)])
			}
		}
	}
	for _, r := range consumers {
		if r.sawEvent(func(e chat.Event) bool { s, ok := e.(chat.StateEvent); return ok && s.State == chat.StateReconnecting }) {
			t.Fatalf("%s lost its link on a healthy cluster", r.User())
		}
	}
	list, err := consumers[0].ListChannels(ctx)
	if err != nil || len(list) != len(channels) {
		t.Fatalf("ListChannels on the cluster = %d channels, %v", len(list), err)
	}
}

// TestClusterFailover: a master is killed and its replica takes over;
// clients re-route their sharded subscriptions, catch up, and lose and
// repeat nothing.
func TestClusterFailover(t *testing.T) {
	cl := redistest.StartCluster(t, 3, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	keys := chat.DefaultKeys()
	channel := "failover"
	master := cl.MasterOf(t, keys.Stream(channel))
	readers := []*recorder{
		newRecorder(t, cl.Client(t), "reader0"),
		newRecorder(t, cl.Client(t), "reader1"),
	}
	for _, r := range readers {
		if _, err := r.Join(ctx, channel); err != nil {
			t.Fatal(err)
		}
	}
	writer := newRecorder(t, cl.Client(t), "writer", func(o *chat.Options) { o.MaxBackoff = 500 * time.Millisecond })
	if _, err := writer.Join(ctx, channel); err != nil {
		t.Fatal(err)
	}
	send := func(from, to int) {
		for i := from; i < to; i++ {
			if _, err := writer.Send(chat.Draft{Channel: channel, Text: fmt.Sprint("m", i)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	send(0, 30)
	for _, r := range append(readers, writer) {
		r.waitCount(channel, 30, 20*time.Second)
	}
	// Let the replica have everything before its master dies (Redis
	// replication is asynchronous; that is not what this test is about).
	cl.WaitReplicated(t, master)
	cl.Node(master).Kill()
	send(30, 60) // queued in the outbox while the slot has no master
	t.Cleanup(func() {
		if t.Failed() {
			n, _ := cl.Client(t).XLen(context.Background(), keys.Stream(channel)).Result()
			t.Logf("stream length %d; writer events:", n)
			writer.mu.Lock()
			for _, e := range writer.evs {
				if _, ok := e.(chat.MessageEvent); !ok {
					if s, ok := e.(chat.StateEvent); ok && s.Err != nil {
						t.Logf("  state %v: %v", s.State, s.Err)
					}
				}
			}
			writer.mu.Unlock()
		}
	})
	for _, r := range append(readers, writer) {
		r.waitCount(channel, 60, 60*time.Second)
	}
	if now := cl.MasterOf(t, keys.Stream(channel)); now == master {
		t.Fatalf("the slot still belongs to the killed master %s", master)
	}
	want := streamIDs(t, cl.Client(t), channel)
	if len(want) != 60 {
		t.Fatalf("the stream holds %d entries after failover, want 60", len(want))
	}
	for _, r := range append(readers, writer) {
		assertSameIDs(t, r.User(), r.ids(channel), want)
	}
}

// TestClusterReadMarkersPresenceTypingSearch: the features that follow a
// user across terminals work on a cluster too (read markers are published
// from a script, typing notices are sharded, presence spans slots).
func TestClusterReadMarkersPresenceTypingSearch(t *testing.T) {
	cl := redistest.StartCluster(t, 3, 0)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	a1 := newRecorder(t, cl.Client(t), "alice")
	a2 := newRecorder(t, cl.Client(t), "alice")
	bob := newRecorder(t, cl.Client(t), "bob")
	for _, r := range []*recorder{a1, a2, bob} {
		if _, err := r.Join(ctx, "room"); err != nil {
			t.Fatal(err)
		}
	}
	s, err := bob.BroadcastMessage(ctx, "room", "find me, alice")
	if err != nil {
		t.Fatal(err)
	}
	a2.waitCount("room", 1, 10*time.Second)
	if err := a1.MarkRead(ctx, "room", s.ID); err != nil {
		t.Fatal(err)
	}
	a2.waitFor(10*time.Second, "the read marker from the other terminal", func() bool {
		return a2.hasEvent(func(e chat.Event) bool { r, ok := e.(chat.ReadEvent); return ok && r.ID == s.ID })
	})
	who, err := bob.Who(ctx, "room")
	if err != nil || len(who.Online) != 2 {
		t.Fatalf("online on a cluster: %+v %v", who, err)
	}
	page, err := bob.Search(ctx, "room", "FIND", chat.ID{}, 5)
	if err != nil || len(page.Hits) != 1 || !page.Done {
		t.Fatalf("search on a cluster: %+v %v", page, err)
	}
	// Typing goes over sharded Pub/Sub: a notice may go out before a1's
	// shard link holds the channel, so try once per throttle period.
	typed := func() bool {
		return a1.sawEvent(func(e chat.Event) bool { ty, ok := e.(chat.TypingEvent); return ok && ty.User == "bob" })
	}
	for try := 0; !typed(); try++ {
		if try == 4 {
			t.Fatal("no typing notice on a cluster")
		}
		bob.Typing("room")
		time.Sleep(chat.TypingEvery + 100*time.Millisecond)
	}
}

// TestClusterReplicaSubscribe: with ReplicaSubscribe a client takes a
// channel's live messages from a replica of its master (Redis 7 passes
// SPUBLISH on to replicas), so the master serves no subscriber, and every
// message still arrives once, in order.
func TestClusterReplicaSubscribe(t *testing.T) {
	cl := redistest.StartCluster(t, 3, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	keys := chat.DefaultKeys()
	r := newRecorder(t, cl.Client(t), "reader", func(o *chat.Options) {
		o.ReplicaSubscribe = true
		o.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	})
	if _, err := r.Join(ctx, "hot"); err != nil {
		t.Fatal(err)
	}
	master := cl.MasterOf(t, keys.Stream("hot"))
	topic := keys.Topic("hot")
	redistest.Eventually(t, 10*time.Second, "a replica to serve the subscription", func() error {
		on, err := cl.ShardSubscribers(ctx, topic)
		if err != nil {
			return err
		}
		total := int64(0)
		for _, n := range on {
			total += n
		}
		if on[master] != 0 || total != 1 {
			return fmt.Errorf("subscribers by node %v (master %s)", on, master)
		}
		return nil
	})
	w := chattest.New(t, chat.Options{Redis: cl.Client(t), User: "writer"})
	for i := range 50 {
		if _, err := w.BroadcastMessage(ctx, "hot", fmt.Sprint("m", i)); err != nil {
			t.Fatal(err)
		}
	}
	want := streamIDs(t, cl.Client(t), "hot")
	r.waitCount("hot", len(want), 20*time.Second)
	assertSameIDs(t, "reader", r.ids("hot"), want)
}

// TestClusterManyChannelsPerMaster: a window opens many channels at once
// (JoinAll), so each master carries several, each on a slot of its own;
// every one is live, and stays live after Redis drops the links.
func TestClusterManyChannelsPerMaster(t *testing.T) {
	cl := redistest.StartCluster(t, 3, 0)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	keys := chat.DefaultKeys()
	var channels []string
	perMaster := map[string]int{}
	for i := range 12 {
		name := fmt.Sprintf("many%d", i)
		channels = append(channels, name)
		perMaster[cl.MasterOf(t, keys.Stream(name))]++
	}
	if len(perMaster) != 3 {
		t.Fatalf("the channels are on %d masters, want 3: %v", len(perMaster), perMaster)
	}
	writer := chattest.New(t, chat.Options{Redis: cl.Client(t), User: "writer"})
	for _, ch := range channels {
		if _, _, err := writer.CreateChannel(ctx, ch, ""); err != nil {
			t.Fatal(err)
		}
	}
	// Several readers, each joining at once: a channel carried while its
	// link's session starts must not fall between the session's topics
	// and its later subscriptions.
	var readers []*recorder
	for i := range 4 {
		r := newRecorder(t, cl.Client(t), fmt.Sprint("reader", i))
		if _, errs := r.JoinAll(ctx, channels); len(errs) > 0 {
			t.Fatalf("join all: %v", errs)
		}
		readers = append(readers, r)
	}
	send := func(round int) {
		for _, ch := range channels {
			if _, err := writer.BroadcastMessage(ctx, ch, fmt.Sprintf("round %d", round)); err != nil {
				t.Fatalf("send to %s: %v", ch, err)
			}
		}
		for _, r := range readers {
			for _, ch := range channels {
				r.waitCount(ch, round, 20*time.Second)
			}
		}
	}
	send(1)
	for _, addr := range cl.Addrs {
		if err := cl.Node(addr).Client(t).ClientKillByFilter(ctx, "TYPE", "pubsub").Err(); err != nil {
			t.Fatal(err)
		}
	}
	send(2)
	for _, ch := range channels {
		sub, err := cl.ShardSubscribers(ctx, keys.Topic(ch))
		if err != nil {
			t.Fatal(err)
		}
		if n := sub[cl.MasterOf(t, keys.Stream(ch))]; n != int64(len(readers)) {
			t.Errorf("%s has %d sharded subscribers on its master, want %d", ch, n, len(readers))
		}
	}
}
