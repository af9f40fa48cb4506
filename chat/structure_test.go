package chat_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rtchat/rtchat/chat"
	"github.com/rtchat/rtchat/internal/chattest"
	"github.com/rtchat/rtchat/internal/redistest"
)

// post stores d as its author's client does and returns its id.
func post(t *testing.T, r *recorder, d chat.Draft) chat.ID {
	t.Helper()
	sent, err := r.Broadcast(ctxT(t), d)
	if err != nil {
		t.Fatalf("%s: %+v: %v", r.User(), d, err)
	}
	return sent.ID
}

// pageOf returns the newest page of conv read by a fresh client, by text.
func pageOf(t *testing.T, rdb redis.UniversalClient, conv string) map[string]chat.Message {
	t.Helper()
	c := chattest.New(t, chat.Options{Redis: rdb, User: "reader"})
	p, err := c.History(ctxT(t), conv, chat.ID{})
	msgs := p.Messages
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]chat.Message{}
	for _, m := range msgs {
		out[m.Text] = m
	}
	return out
}

func TestEditsReactionsThreadsAndReplies(t *testing.T) {
	_, rdb := startRedis(t)
	testStructure(t, rdb)
}

func TestStructureOnACluster(t *testing.T) {
	cl := redistest.StartCluster(t, 3, 0)
	testStructure(t, cl.Client(t))
}

// signedPair starts alice and bob, each signing what they send, in
// #general.
func signedPair(t *testing.T, rdb redis.UniversalClient) (alice, bob *recorder) {
	t.Helper()
	signed := func(o *chat.Options) { o.Signer = chat.NewSigner() }
	alice, bob = newRecorder(t, rdb, "alice", signed), newRecorder(t, rdb, "bob", signed)
	joinAll(t, ctxT(t), "general", alice, bob)
	return alice, bob
}

func testStructure(t *testing.T, rdb redis.UniversalClient) {
	ctx := ctxT(t)
	alice, bob := signedPair(t, rdb)
	const g = "general"
	first := post(t, alice, chat.Draft{Channel: g, Text: "first"})
	second := post(t, alice, chat.Draft{Channel: g, Text: "second"})
	post(t, bob, chat.Draft{Channel: g, Kind: chat.KindReact, Ref: first, Text: ":+1:"})
	post(t, bob, chat.Draft{Channel: g, Kind: chat.KindReact, Ref: first, Text: "🎉"})
	post(t, alice, chat.Draft{Channel: g, Kind: chat.KindReact, Ref: first, Text: "👍"})
	post(t, bob, chat.Draft{Channel: g, Kind: chat.KindReact, Ref: first, Text: "👍"}) // bob takes his back
	post(t, alice, chat.Draft{Channel: g, Kind: chat.KindEdit, Ref: first, Text: "first, mended"})
	post(t, alice, chat.Draft{Channel: g, Kind: chat.KindDelete, Ref: second})
	r1 := post(t, alice, chat.Draft{Channel: g, Text: "in the thread", Thread: first})
	r2 := post(t, bob, chat.Draft{Channel: g, Text: "me too", Thread: first})
	post(t, bob, chat.Draft{Channel: g, Kind: chat.KindReact, Ref: r2, Text: "🔥"})
	reply := post(t, bob, chat.Draft{Channel: g, Text: "answering", ReplyTo: first})

	// What the script refuses.
	for what, d := range map[string]chat.Draft{
		"someone else's edit":   {Channel: g, Kind: chat.KindEdit, Ref: first, Text: "bob was here"},
		"someone else's delete": {Channel: g, Kind: chat.KindDelete, Ref: first},
		"a reply to nothing":    {Channel: g, Text: "x", Thread: chat.ID{MS: 1}},
		"a thread in a thread":  {Channel: g, Text: "x", Thread: r1},
		"a reaction to a react": {Channel: g, Kind: chat.KindReact, Ref: chat.ID{MS: 2}, Text: "👍"},
		"a sentence reaction":   {Channel: g, Kind: chat.KindReact, Ref: first, Text: "not an emoji"},
	} {
		_, err := bob.Broadcast(ctx, d)
		if !errors.Is(err, chat.ErrNotAuthor) && !errors.Is(err, chat.ErrNoSuchMessage) && !errors.Is(err, chat.ErrBadReaction) {
			t.Errorf("%s: %v", what, err)
		}
	}
	if _, err := alice.Broadcast(ctx, chat.Draft{Channel: g, Kind: chat.KindEdit, Ref: second, Text: "back"}); !errors.Is(err, chat.ErrNoSuchMessage) {
		t.Errorf("editing a deleted message: %v", err)
	}

	// A fresh reader's page: lines only, each with its state.
	page := pageOf(t, rdb, g)
	if len(page) != 3 {
		t.Fatalf("the page holds %d lines: %v", len(page), page)
	}
	f := page["first"]
	if f.State == nil || f.Current() != "first, mended" || f.State.Edit.User != "alice" {
		t.Fatalf("first's state: %+v", f.State)
	}
	if r := f.State.Reactions; len(r) != 2 || !slices.Equal(r["👍"], []string{"alice"}) || !slices.Equal(r["🎉"], []string{"bob"}) {
		t.Fatalf("reactions: %+v", r)
	}
	if f.State.Replies != 2 || f.State.LastReply != r2 || !slices.Equal(f.State.Participants, []string{"alice", "bob"}) {
		t.Fatalf("thread: %+v", f.State)
	}
	if s := page["second"]; s.State == nil || s.State.Deleted == nil || s.Current() != "" {
		t.Fatalf("second: %+v", s.State)
	}
	if a := page["answering"]; a.ReplyTo != first || a.ID != reply {
		t.Fatalf("the reply: %+v", a)
	}

	// The thread: one read.
	root, replies, err := bob.Thread(ctx, g, first)
	if err != nil || root.ID != first || len(replies) != 2 || replies[0].ID != r1 || replies[1].ID != r2 {
		t.Fatalf("thread: %v %v %v", root, replies, err)
	}
	if c := replies[1].State.Counts(); len(c) != 1 || c[0].Emoji != "🔥" {
		t.Fatalf("a reply's reaction: %+v", replies[1].State)
	}
	if _, _, err := bob.Thread(ctx, g, chat.ID{MS: 3}); !errors.Is(err, chat.ErrNoSuchMessage) {
		t.Fatalf("the thread of nothing: %v", err)
	}

	// Live, every entry came once, in stream order; applying them to the
	// messages gives what the page says.
	bob.waitCount(g, len(streamIDs(t, rdb, g)), 10*time.Second)
	assertSameIDs(t, "bob", bob.ids(g), streamIDs(t, rdb, g))
	live := replay(bob.msgs[g])
	if live[first].Current() != f.Current() || live[first].State.Replies != 2 || len(live[first].State.Reactions) != 2 || live[second].State.Deleted == nil {
		t.Fatalf("replayed live: %+v", live[first].State)
	}
	// Verified: the edit is alice's.
	ok, _, err := bob.VerifyNow(ctx, *f.State.Edit)
	if err != nil || !ok[0] {
		t.Fatalf("the edit does not verify: %v %v", ok, err)
	}
}

// replay applies live entries to the messages they change, as a window
// does.
func replay(msgs []chat.Message) map[chat.ID]*chat.Message {
	byID := map[chat.ID]*chat.Message{}
	for i := range msgs {
		m := msgs[i]
		if t := m.Target(); !t.IsZero() {
			if target := byID[t]; target != nil {
				chat.Apply(target, m)
			}
			continue
		}
		byID[m.ID] = &m
	}
	return byID
}

// TestStructureThroughFaults: edits, reactions and thread replies reach a
// receiver exactly once and in order through pubsub kills and a Redis
// restart, like messages.
func TestStructureThroughFaults(t *testing.T) {
	srv, rdb := startRedis(t, redistest.RealOnly(), redistest.WithAOF())
	ctx := ctxT(t)
	alice := newRecorder(t, srv.Client(t), "alice")
	bob := newRecorder(t, srv.Client(t), "bob")
	joinAll(t, ctx, "general", alice, bob)
	root := post(t, alice, chat.Draft{Channel: "general", Text: "root"})
	for i := range 60 {
		switch {
		case i == 20:
			if err := rdb.ClientKillByFilter(ctx, "TYPE", "pubsub").Err(); err != nil {
				t.Fatal(err)
			}
		case i == 40:
			srv.Restart()
		}
		var d chat.Draft
		switch i % 3 {
		case 0:
			d = chat.Draft{Channel: "general", Kind: chat.KindReact, Ref: root, Text: "👍"}
		case 1:
			d = chat.Draft{Channel: "general", Kind: chat.KindEdit, Ref: root, Text: fmt.Sprint("edit ", i)}
		default:
			d = chat.Draft{Channel: "general", Text: fmt.Sprint("reply ", i), Thread: root}
		}
		if _, err := alice.Send(d); err != nil {
			t.Fatal(err)
		}
	}
	bob.waitCount("general", 61, 30*time.Second)
	time.Sleep(200 * time.Millisecond)
	assertSameIDs(t, "bob", bob.ids("general"), streamIDs(t, rdb, "general"))
	live := replay(bob.msgs["general"])[root]
	page := pageOf(t, rdb, "general")["root"]
	if live.Current() != "edit 58" || page.Current() != "edit 58" || live.State.Replies != 20 || page.State.Replies != 20 ||
		len(live.State.Reactions) != 0 || len(page.State.Reactions) != 0 {
		t.Fatalf("after the faults: live %q %+v, page %q %+v", live.Current(), live.State, page.Current(), page.State)
	}
}

// TestPageSkipsChanges: a page is lines, however many changes lie among
// them; a state written by another tool that is not the author's counts
// for nothing.
func TestPageSkipsChanges(t *testing.T) {
	_, rdb := startRedis(t)
	ctx := ctxT(t)
	alice := newRecorder(t, rdb, "alice", func(o *chat.Options) { o.Signer = chat.NewSigner(); o.PageSize = 10 })
	joinAll(t, ctx, "general", alice)
	var ids []chat.ID
	for i := range 15 {
		ids = append(ids, post(t, alice, chat.Draft{Channel: "general", Text: fmt.Sprint("line ", i)}))
	}
	for i := range 300 {
		post(t, alice, chat.Draft{Channel: "general", Kind: chat.KindReact, Ref: ids[i%15], Text: []string{"👍", "🎉", "🔥"}[i%3]})
	}
	p, err := alice.History(ctx, "general", chat.ID{})
	msgs, more := p.Messages, p.More
	if err != nil || len(msgs) != 10 || !more || msgs[9].ID != ids[14] {
		t.Fatalf("first page: %d lines, more %v, %v", len(msgs), more, err)
	}
	p, err = alice.History(ctx, "general", msgs[0].ID)
	older, more := p.Messages, p.More
	if err != nil || len(older) != 5 || more || older[0].ID != ids[0] {
		t.Fatalf("older page: %d lines, more %v, %v", len(older), more, err)
	}
	// Another tool writes an "edit" into the state.
	stream := chat.DefaultKeys().Stream("general")
	if err := rdb.HSet(ctx, stream+":state", ids[14].String(), `{"e":{"id":"1-1","t":"FORGED","ts":"1","m":"x","k":"other","s":""}}`).Err(); err != nil {
		t.Fatal(err)
	}
	p, _ = alice.History(ctx, "general", chat.ID{})
	msgs = p.Messages
	if got := msgs[9].Current(); got != "line 14" {
		t.Fatalf("a forged state shows %q", got)
	}
	if err := rdb.HSet(ctx, stream+":state", ids[14].String(), `not json`).Err(); err != nil {
		t.Fatal(err)
	}
	if p, err = alice.History(ctx, "general", chat.ID{}); err != nil || p.Messages[9].State != nil {
		t.Fatalf("an odd state: %+v %v", p.Messages[9].State, err)
	}
}

// TestChangesAroundTheScriptAreNotDelivered: an edit or a delete written
// around the send script (a raw XADD, as redis-cli may) under the author's
// name but without the original's key changes nothing (Apply refuses it,
// as the script would), so no reader is told of it; what comes after it
// arrives, and the author's own edit still does.
func TestChangesAroundTheScriptAreNotDelivered(t *testing.T) {
	_, rdb := startRedis(t)
	alice, bob := signedPair(t, rdb)
	const g = "general"
	first := post(t, alice, chat.Draft{Channel: g, Text: "first"})
	for _, kind := range []string{"edit", "delete"} {
		redistest.XAdd(t, rdb, chat.DefaultKeys().Stream(g),
			"user", "alice", "text", "FORGED", "ts", "1", "mid", "m-"+kind, "channel_id", "1", "kind", kind, "ref", first.String())
	}
	post(t, alice, chat.Draft{Channel: g, Text: "after"}) // its gap makes the readers read the stream
	post(t, alice, chat.Draft{Channel: g, Kind: chat.KindEdit, Ref: first, Text: "first, mended"})
	bob.waitFor(10*time.Second, "alice's own edit", func() bool {
		for _, m := range bob.msgs[g] {
			if m.Kind == chat.KindEdit && m.Text == "first, mended" {
				return true
			}
		}
		return false
	})
	bob.mu.Lock()
	defer bob.mu.Unlock()
	var texts []string
	for _, m := range bob.msgs[g] {
		if m.Kind == chat.KindDelete || m.Text == "FORGED" {
			t.Fatalf("a change around the script was delivered: %+v", m)
		}
		texts = append(texts, m.Text)
	}
	if !slices.Contains(texts, "after") {
		t.Fatalf("bob got %q", texts)
	}
}

// A deleted message shows no reactions: what people reacted to is gone.
func TestDeletedMessageShowsNoReactions(t *testing.T) {
	root := chat.Message{ID: chat.ID{MS: 1}, User: "alice", Text: "oops"}
	for _, e := range []chat.Message{
		{ID: chat.ID{MS: 2}, User: "bob", Kind: chat.KindReact, Ref: root.ID, Text: "👍"},
		{ID: chat.ID{MS: 3}, User: "carol", Kind: chat.KindReact, Ref: root.ID, Text: "😂"},
	} {
		if !chat.Apply(&root, e) {
			t.Fatalf("%v refused", e)
		}
	}
	if n := len(root.State.Counts()); n != 2 {
		t.Fatalf("%d reactions before the delete, want 2", n)
	}
	if !chat.Apply(&root, chat.Message{ID: chat.ID{MS: 4}, User: "alice", Kind: chat.KindDelete, Ref: root.ID}) {
		t.Fatal("the author's delete refused")
	}
	if c := root.State.Counts(); len(c) != 0 {
		t.Fatalf("a deleted message shows reactions %v", c)
	}
}

// TestHistorySaysWhenRetentionTrimmed: once a send trimmed the stream
// (retention), the page that reaches the stream's start says so; a
// stream nothing was trimmed from begins where its first page ends.
func TestHistorySaysWhenRetentionTrimmed(t *testing.T) {
	_, rdb := startRedis(t)
	ctx := ctxT(t)
	// Trimming is approximate (whole stream nodes of 100 entries): 250
	// entries over a retention of 10 trim at least one node.
	alice := newRecorder(t, rdb, "alice", func(o *chat.Options) { o.MaxLen = 10; o.PageSize = 50 })
	joinAll(t, ctx, "kept", alice)
	joinAll(t, ctx, "trimmed", alice)
	post(t, alice, chat.Draft{Channel: "kept", Text: "the first"})
	p, err := alice.History(ctx, "kept", chat.ID{})
	if err != nil || p.More || p.Trimmed || len(p.Messages) != 1 {
		t.Fatalf("a stream never trimmed: %+v, %v", p, err)
	}
	for i := range 250 {
		post(t, alice, chat.Draft{Channel: "trimmed", Text: fmt.Sprint("line ", i)})
	}
	if n := rdb.XLen(ctx, chat.DefaultKeys().Stream("trimmed")).Val(); n >= 250 {
		t.Fatalf("the stream was not trimmed: %d entries", n)
	}
	before, pages := chat.ID{}, 0
	for {
		p, err := alice.History(ctx, "trimmed", before)
		if err != nil {
			t.Fatal(err)
		}
		if pages++; p.More {
			if p.Trimmed {
				t.Fatalf("page %d: trimmed said while older messages remain", pages)
			}
			before = p.Messages[0].ID
			continue
		}
		if !p.Trimmed {
			t.Fatalf("page %d, the stream's start: not said to be trimmed", pages)
		}
		if p.Messages[0].Text == "line 0" {
			t.Fatalf("the first message is still there")
		}
		break
	}
	p, err = alice.History(ctx, "kept", chat.ID{})
	if err != nil || p.Trimmed {
		t.Fatalf("another stream is said to be trimmed: %+v, %v", p, err)
	}
}
