package chat_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rtchat/rtchat/chat"
	"github.com/rtchat/rtchat/internal/redistest"
)

// Seed scenario: a published message is received by subscribers.
func TestPublishMessageReachesSubscribers(t *testing.T) {
	_, rdb := startRedis(t)
	ctx := ctxT(t)
	alice, bob := newRecorder(t, rdb, "alice"), newRecorder(t, rdb, "bob")
	if _, err := alice.Join(ctx, "general"); err != nil {
		t.Fatal(err)
	}
	if _, err := bob.Join(ctx, "general"); err != nil {
		t.Fatal(err)
	}
	bob.waitFor(5*time.Second, "connected", func() bool { return bob.State().State == chat.StateConnected })
	// Pub/Sub is at most once: publish until the subscription is live.
	redistest.Eventually(t, 5*time.Second, "PublishMessage to reach 2 subscribers", func() error {
		n, err := alice.PublishMessage(ctx, "general", "psst")
		if err == nil && n < 2 {
			err = fmt.Errorf("it reached %d", n)
		}
		return err
	})
	bob.waitFor(5*time.Second, "ephemeral message", func() bool {
		return slices.ContainsFunc(bob.msgs["general"], func(m chat.Message) bool { return m.Ephemeral && m.Text == "psst" && m.User == "alice" })
	})
	if got := streamIDs(t, rdb, "general"); len(got) != 0 {
		t.Fatalf("PublishMessage stored %d entries; it must not store", len(got))
	}
}

// Seed scenario: a produced message is stored and read back as a Message.
func TestProduceAndConsume(t *testing.T) {
	_, rdb := startRedis(t)
	ctx := ctxT(t)
	alice := newRecorder(t, rdb, "alice")
	ch, _, err := alice.CreateChannel(ctx, "general", "")
	if err != nil {
		t.Fatal(err)
	}
	text := "سلام دنیا 👋🏽 [red]x[-]"
	before := time.Now().Add(-time.Second)
	id, err := alice.ProduceMessage(ctx, "general", text)
	if err != nil || id.IsZero() {
		t.Fatalf("ProduceMessage = %q, %v", id, err)
	}
	msgs, err := alice.ConsumeMessages(ctx, "general", chat.ID{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 1 {
		t.Fatalf("ConsumeMessages returned %d messages", len(msgs))
	}
	m := msgs[0]
	if m.ID != id || m.Channel != "general" || m.ChannelID != ch.ID || m.User != "alice" || m.Text != text || m.MsgID == "" || m.Malformed != "" {
		t.Fatalf("read back %+v", m)
	}
	if m.Time.Before(before) || m.Time.After(time.Now().Add(time.Second)) {
		t.Fatalf("timestamp %v is not now", m.Time)
	}
	after, err := alice.ConsumeMessages(ctx, "general", id, 0)
	if err != nil || len(after) != 0 {
		t.Fatalf("ConsumeMessages after the last id = %v, %v", after, err)
	}
	if _, err := alice.ProduceMessage(ctx, "nowhere", "x"); !errors.Is(err, chat.ErrNoSuchChannel) {
		t.Fatalf("ProduceMessage to a missing channel: %v", err)
	}
	if _, err := alice.ProduceMessage(ctx, "general", strings.Repeat("x", chat.DefaultMaxMessageBytes+1)); !errors.Is(err, chat.ErrMessageTooLong) {
		t.Fatalf("oversized ProduceMessage: %v", err)
	}
}

// Seed scenario: messages consumed from the stream reach every subscriber.
func TestConsumedMessagesReachSubscribers(t *testing.T) {
	_, rdb := startRedis(t)
	ctx := ctxT(t)
	producer := newRecorder(t, rdb, "producer")
	if _, _, err := producer.CreateChannel(ctx, "general", ""); err != nil {
		t.Fatal(err)
	}
	var subs []*recorder
	for i := range 3 {
		r := newRecorder(t, rdb, fmt.Sprintf("sub%d", i))
		if _, err := r.Join(ctx, "general"); err != nil {
			t.Fatal(err)
		}
		r.waitFor(5*time.Second, "connected", func() bool { return r.State().State == chat.StateConnected })
		subs = append(subs, r)
	}
	for i := range 5 {
		if _, err := producer.ProduceMessage(ctx, "general", fmt.Sprintf("m%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	n, last, err := producer.Fanout(ctx, "general", chat.ID{})
	if err != nil || n != 5 {
		t.Fatalf("Fanout = %d, %q, %v", n, last, err)
	}
	// Fanning out again must not duplicate anything.
	if _, _, err := producer.Fanout(ctx, "general", chat.ID{}); err != nil {
		t.Fatal(err)
	}
	want := streamIDs(t, rdb, "general")
	for _, s := range subs {
		s.waitCount("general", 5, 10*time.Second)
		assertSameIDs(t, s.User(), s.ids("general"), want)
	}
}

func TestBroadcastAndHistoryPages(t *testing.T) {
	_, rdb := startRedis(t)
	ctx := ctxT(t)
	alice := newRecorder(t, rdb, "alice", func(o *chat.Options) { o.PageSize = 10 })
	if _, err := alice.Join(ctx, "general"); err != nil {
		t.Fatal(err)
	}
	for i := range 25 {
		s, err := alice.BroadcastMessage(ctx, "general", fmt.Sprintf("m%02d", i))
		if err != nil || s.ID.IsZero() || s.Duplicate {
			t.Fatalf("BroadcastMessage = %+v, %v", s, err)
		}
	}
	p, err := alice.History(ctx, "general", chat.ID{})
	page, more := p.Messages, p.More
	if err != nil || !more || len(page) != 10 || page[0].Text != "m15" || page[9].Text != "m24" {
		t.Fatalf("newest page = %d msgs, more=%v, err=%v", len(page), more, err)
	}
	p, _ = alice.History(ctx, "general", page[0].ID)
	page, more = p.Messages, p.More
	if !more || len(page) != 10 || page[0].Text != "m05" {
		t.Fatalf("second page = %v more=%v", page, more)
	}
	p, _ = alice.History(ctx, "general", page[0].ID)
	page, more = p.Messages, p.More
	if more || len(page) != 5 || page[0].Text != "m00" {
		t.Fatalf("last page = %v more=%v", page, more)
	}
	alice.waitCount("general", 25, 5*time.Second)
	assertSameIDs(t, "alice", alice.ids("general"), streamIDs(t, rdb, "general"))
}

func TestJoinLoadsOnlyTheNewestPage(t *testing.T) {
	_, rdb := startRedis(t)
	ctx := ctxT(t)
	w := newRecorder(t, rdb, "writer")
	if _, _, err := w.CreateChannel(ctx, "big", ""); err != nil {
		t.Fatal(err)
	}
	for i := range 500 {
		if _, err := w.ProduceMessage(ctx, "big", fmt.Sprint(i)); err != nil {
			t.Fatal(err)
		}
	}
	r := newRecorder(t, rdb, "reader", func(o *chat.Options) { o.PageSize = 50 })
	if _, err := r.SubscribeToChannel(ctx, "big"); err != nil {
		t.Fatal(err)
	}
	r.waitFor(5*time.Second, "history", func() bool {
		return r.hasEvent(func(e chat.Event) bool { h, ok := e.(chat.HistoryEvent); return ok && h.Channel == "big" })
	})
	r.mu.Lock()
	defer r.mu.Unlock()
	got := r.msgs["big"]
	if len(got) != 50 || got[0].Text != "450" || got[49].Text != "499" {
		t.Fatalf("join delivered %d messages from %q", len(got), got[0].Text)
	}
}

func TestOddEntriesDecodeMarked(t *testing.T) {
	_, rdb := startRedis(t)
	ctx := ctxT(t)
	r := newRecorder(t, rdb, "alice")
	if _, err := r.Join(ctx, "general"); err != nil {
		t.Fatal(err)
	}
	key := chat.DefaultKeys().Stream("general")
	redistest.XAdd(t, rdb, key, "foo", "bar")
	redistest.XAdd(t, rdb, key, "user", "tool", "text", "hi", "ts", "yesterday", "kind", "weird")
	msgs, err := r.ConsumeMessages(ctx, "general", chat.ID{}, 0)
	if err != nil || len(msgs) != 2 {
		t.Fatalf("ConsumeMessages = %v, %v", msgs, err)
	}
	if msgs[0].Malformed == "" || !strings.Contains(msgs[0].Malformed, "no user") {
		t.Fatalf("first entry Malformed = %q", msgs[0].Malformed)
	}
	if msgs[1].Text != "hi" || !strings.Contains(msgs[1].Malformed, "ts") || !strings.Contains(msgs[1].Malformed, "kind") || msgs[1].Time.IsZero() {
		t.Fatalf("second entry = %+v", msgs[1])
	}
}
