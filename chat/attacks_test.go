package chat_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rtchat/rtchat/chat"
	"github.com/rtchat/rtchat/internal/chattest"
	"github.com/rtchat/rtchat/internal/redistest"
)

// The tests here are the hostile run of issue 21, one by one: an ordinary
// account (a real ACL user made by package admin, on a real redis-server)
// goes through the side doors of the shared keys and of scripting, and
// each door is shut — refused by Redis, or ignored by every reader.

// noperm fails the test unless out (redis-cli's answer) is a refusal of
// rights.
func noperm(t *testing.T, what, out string) {
	t.Helper()
	if !strings.Contains(out, "NOPERM") {
		t.Errorf("%s was not refused: %q", what, out)
	}
}

// fresh opens a new window as account name and returns the conversation
// conv's history as it reads it.
func (a *accounts) fresh(name, conv string) []chat.Message {
	a.t.Helper()
	r := a.person(name)
	p, err := r.History(ctxT(a.t), conv, chat.ID{})
	msgs := p.Messages
	if err != nil {
		a.t.Fatalf("%s reads %s: %v", name, conv, err)
	}
	return msgs
}

func byID(msgs []chat.Message, id chat.ID) *chat.Message {
	for i := range msgs {
		if msgs[i].ID == id {
			return &msgs[i]
		}
	}
	return nil
}

// Attack 1: no account may run Lua of its own, so none can freeze the
// server; and a message sent while someone (an admin) keeps the server
// busy is retried, not lost as "not sent".
func TestAttackScriptsFreezeNothing(t *testing.T) {
	a := withAccounts(t, "alice", "carol")
	noperm(t, "EVAL busy loop", a.cli("carol", "EVAL", "while true do end", "0"))
	noperm(t, "EVAL that writes first", a.cli("carol", "EVAL", "redis.call('INCR','channel:x') while true do end", "0"))
	noperm(t, "FUNCTION LOAD", a.cli("carol", "FUNCTION", "LOAD", "#!lua name=evil\nredis.register_function('x', function() while true do end end)"))
	noperm(t, "SCRIPT KILL", a.cli("carol", "SCRIPT", "KILL"))

	ctx := ctxT(t)
	alice := a.joinedAs(ctx, "alice", "general")
	alice.waitConnected()
	if err := a.admin.ConfigSet(ctx, "busy-reply-threshold", "100").Err(); err != nil {
		t.Fatal(err)
	}
	busy := make(chan error, 1)
	go func() {
		busy <- a.admin.Eval(context.Background(), "local t = redis.call('TIME') while true do end", nil).Err()
	}()
	time.Sleep(300 * time.Millisecond)
	id, err := alice.Send(chat.Draft{Channel: "general", Text: "typed while busy"})
	if err != nil {
		t.Fatalf("send while busy: %v", err)
	}
	time.Sleep(500 * time.Millisecond)
	kill := redis.NewClient(&redis.Options{Addr: a.addrs[0], Password: "admin-secret"})
	defer kill.Close()
	if err := kill.ScriptKill(ctx).Err(); err != nil {
		t.Fatalf("SCRIPT KILL: %v", err)
	}
	<-busy
	alice.waitFor(20*time.Second, "the message typed while busy", func() bool {
		for _, m := range alice.msgs["general"] {
			if m.MsgID == id && m.Text == "typed while busy" {
				return true
			}
		}
		return false
	})
}

// Attacks 2 and 3: nobody but the author may delete a message, or bring
// back a deleted one, or roll back an edit; a forged edit or delete in
// the shared state is ignored by every reader.
func TestAttackForgedAndUndoneChanges(t *testing.T) {
	a := withAccounts(t, "alice", "mallory")
	ctx := ctxT(t)
	alice := a.joinedAs(ctx, "alice", "general")
	keep, err := alice.Broadcast(ctx, chat.Draft{Channel: "general", Text: "keep me"})
	if err != nil {
		t.Fatal(err)
	}
	secret, err := alice.Broadcast(ctx, chat.Draft{Channel: "general", Text: "oops my password is hunter2"})
	if err != nil {
		t.Fatal(err)
	}
	edited, err := alice.Broadcast(ctx, chat.Draft{Channel: "general", Text: "first text"})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []chat.Draft{
		{Channel: "general", Kind: chat.KindDelete, Ref: secret.ID},
		{Channel: "general", Kind: chat.KindEdit, Ref: edited.ID, Text: "second text"},
	} {
		if _, err := alice.Broadcast(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	k := chat.DefaultKeys()
	state, mine := k.Stream("general")+":state", k.Stream("general")+":by:alice"
	msgs := a.fresh("alice", "general")
	keyID := byID(msgs, keep.ID).Key

	// Mallory forges a delete of "keep me" and an edit, where she may
	// write (the shared state) and where she may not (alice's changes).
	forged := fmt.Sprintf(`{"d":{"id":"%s","ts":"1","mid":"x","k":"%s","s":""},"e":{"id":"%s","t":"forged","ts":"1","mid":"y","k":"%s","s":""}}`,
		keep.ID, keyID, keep.ID, keyID)
	if out := a.cli("mallory", "HSET", state, keep.ID.String(), forged); strings.Contains(out, "NOPERM") {
		t.Fatalf("the shared state is refused to mallory (reactions need it): %q", out)
	}
	noperm(t, "HSET alice's changes", a.cli("mallory", "HSET", mine, keep.ID.String(), forged))
	// And tries to undo alice's delete and edit.
	noperm(t, "HDEL alice's changes", a.cli("mallory", "HDEL", mine, secret.ID.String(), edited.ID.String()))
	noperm(t, "DEL alice's changes", a.cli("mallory", "DEL", mine))
	noperm(t, "HDEL the shared state", a.cli("mallory", "HDEL", state, secret.ID.String()))
	noperm(t, "DEL the shared state", a.cli("mallory", "DEL", state))

	msgs = a.fresh("mallory", "general")
	if m := byID(msgs, keep.ID); m == nil || m.Text != "keep me" || (m.State != nil && (m.State.Deleted != nil || m.State.Edit != nil)) {
		t.Errorf("a forged change shows: %+v", m)
	}
	if m := byID(msgs, secret.ID); m == nil || m.State == nil || m.State.Deleted == nil || strings.Contains(m.Text, "hunter2") && m.State.Deleted == nil {
		t.Errorf("the deleted secret is back: %+v", m)
	}
	if m := byID(msgs, edited.ID); m == nil || m.State == nil || m.State.Edit == nil || m.State.Edit.Text != "second text" {
		t.Errorf("the edit rolled back: %+v", m)
	}
	// Alice may still edit "keep me": the forgery blocks nothing.
	if _, err := alice.Broadcast(ctx, chat.Draft{Channel: "general", Kind: chat.KindEdit, Ref: keep.ID, Text: "kept"}); err != nil {
		t.Errorf("alice edits after the forgery: %v", err)
	}
}

// Attacks 4 and 5: who talks to whom stays hidden, and nobody can break
// another's list of conversations or flood their start with junk.
func TestAttackDirectConversationLists(t *testing.T) {
	a := withAccounts(t, "alice", "bob", "mallory")
	ctx := ctxT(t)
	alice := a.person("alice")
	if _, err := alice.Join(ctx, chat.DM("bob")); err != nil {
		t.Fatal(err)
	}
	if _, err := alice.Broadcast(ctx, chat.Draft{Channel: chat.DM("bob"), Text: "hi bob"}); err != nil {
		t.Fatal(err)
	}
	k := chat.DefaultKeys()
	for _, list := range []string{k.DMList("bob"), k.DMList("alice")} {
		noperm(t, "SADD probe", a.cli("mallory", "SADD", list, "alice"))
		noperm(t, "SREM", a.cli("mallory", "SREM", list, "alice"))
		noperm(t, "SET over the list", a.cli("mallory", "SET", list, "x"))
		noperm(t, "DEL", a.cli("mallory", "DEL", list))
		noperm(t, "PEXPIRE", a.cli("mallory", "PEXPIRE", list, "1"))
		noperm(t, "SISMEMBER", a.cli("mallory", "SISMEMBER", list, "alice"))
	}
	// The inbox tells nothing: a notice is always new.
	for _, inbox := range []string{k.DMInbox("bob"), k.DMInbox("alice")} {
		for _, member := range []string{"alice", "alice\nx", "bob"} {
			if out := strings.TrimSpace(a.cli("mallory", "ZADD", inbox, "1", member+"\n"+fmt.Sprint(time.Now().UnixNano()))); out != "(integer) 1" && out != "1" {
				t.Errorf("ZADD to %s answered %q", inbox, out)
			}
		}
		noperm(t, "ZRANGE of the inbox", a.cli("mallory", "ZRANGE", inbox, "0", "-1"))
		noperm(t, "ZSCORE of the inbox", a.cli("mallory", "ZSCORE", inbox, "alice"))
		noperm(t, "ZREM from the inbox", a.cli("mallory", "ZREM", inbox, "alice"))
		noperm(t, "DEL of the inbox", a.cli("mallory", "DEL", inbox))
	}
	// 5000 notices of junk and of conversations that do not exist.
	mal := a.conn("mallory")
	pipe := mal.Pipeline()
	now := float64(time.Now().UnixMilli())
	for i := range 5000 {
		name := fmt.Sprintf("fake%d", i)
		if i%2 == 0 {
			name = "Not A Name!"
		}
		pipe.ZAdd(ctx, k.DMInbox("alice"), redis.Z{Score: now, Member: fmt.Sprintf("%s\n%d", name, i)})
	}
	pipe.ZAdd(ctx, k.DMInbox("alice"), redis.Z{Score: now, Member: "mallory\nz"}) // no conversation with mallory
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	again := a.person("alice")
	mine, err := again.MyChannels(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(mine, " ") != chat.DM("bob") {
		t.Errorf("alice's conversations after the flood: %v", mine)
	}
	if notices := again.countEvents(func(e chat.Event) bool { _, ok := e.(chat.NoticeEvent); return ok }); notices > 1 {
		t.Errorf("%d notices at alice's start", notices)
	}
	// Bob, who never opened it, finds the conversation alice opened.
	bob := a.person("bob")
	if mine, err := bob.MyChannels(ctx); err != nil || strings.Join(mine, " ") != chat.DM("alice") {
		t.Errorf("bob's conversations: %v %v", mine, err)
	}
}

// Attack 6: a third account cannot turn alice's presence off.
func TestAttackForgedPresence(t *testing.T) {
	a := withAccounts(t, "alice", "bob", "mallory")
	ctx := ctxT(t)
	alice, bob := a.person("alice"), a.person("bob")
	for _, r := range []*recorder{alice, bob} {
		if _, err := r.Join(ctx, "general"); err != nil {
			t.Fatal(err)
		}
		r.waitConnected()
	}
	online := func() []string {
		who, err := bob.Who(ctx, "general")
		if err != nil {
			t.Fatal(err)
		}
		return who.Online
	}
	if got := online(); strings.Join(got, " ") != "alice bob" {
		t.Fatalf("online before: %v", got)
	}
	k := chat.DefaultKeys()
	noperm(t, "ZREM alice's sessions", a.cli("mallory", "ZREM", k.Online("alice"), "x"))
	noperm(t, "DEL alice's sessions", a.cli("mallory", "DEL", k.Online("alice")))
	noperm(t, "PEXPIRE alice's sessions", a.cli("mallory", "PEXPIRE", k.Online("alice"), "1"))
	for range 5 {
		a.cli("mallory", "PUBLISH", k.PresenceEvents(), "-alice")
	}
	time.Sleep(1500 * time.Millisecond) // past the hint's rate limit
	if got := online(); strings.Join(got, " ") != "alice bob" {
		t.Errorf("online after mallory's 'alice left': %v", got)
	}
}

// Attacks 7 and 8: a key of the wrong type or a poisoned record makes a
// write refuse before it writes anything, naming the key; readers skip
// and name it.
func TestAttackPoisonedKeys(t *testing.T) {
	a := withAccounts(t, "alice", "mallory")
	ctx := ctxT(t)
	k := chat.DefaultKeys()
	noperm(t, "SET over a channel's state", a.cli("mallory", "SET", k.Stream("random")+":state", "x"))

	alice := a.joinedAs(ctx, "alice", "general")
	root, err := alice.Broadcast(ctx, chat.Draft{Channel: "general", Text: "root"})
	if err != nil {
		t.Fatal(err)
	}
	state := k.Stream("general") + ":state"
	if out := a.cli("mallory", "HSET", state, root.ID.String(), `{"p":"x"}`); strings.Contains(out, "NOPERM") || strings.Contains(out, "ERR") {
		t.Fatal(out)
	}
	before := a.admin.XLen(ctx, k.Stream("general")).Val()
	_, err = alice.Broadcast(ctx, chat.Draft{Channel: "general", Thread: root.ID, Text: "a reply"})
	if !errors.Is(err, chat.ErrDamaged) || !strings.Contains(err.Error(), state) || strings.Contains(err.Error(), "script") {
		t.Fatalf("a reply under a poisoned root: %v", err)
	}
	if after := a.admin.XLen(ctx, k.Stream("general")).Val(); after != before {
		t.Fatalf("the refused reply wrote %d entries", after-before)
	}
	if n := a.admin.Exists(ctx, k.Stream("general")+":thread:"+root.ID.String()).Val(); n != 0 {
		t.Fatal("the refused reply wrote the thread")
	}
	if chat.Retryable(err) {
		t.Fatal("a damaged key is retried")
	}
}

// Attack 7 on an open server (no accounts, everyone may write anything):
// a channel whose state is a string still opens, with a notice naming
// the key, and takes messages.
func TestAttackWrongTypeStateOnAnOpenServer(t *testing.T) {
	_, rdb := startRedis(t, redistest.RealOnly())
	ctx := ctxT(t)
	k := chat.DefaultKeys()
	seed := newRecorder(t, rdb, "alice")
	if _, err := seed.Join(ctx, "random"); err != nil {
		t.Fatal(err)
	}
	if _, err := seed.Broadcast(ctx, chat.Draft{Channel: "random", Text: "before"}); err != nil {
		t.Fatal(err)
	}
	if err := rdb.Set(ctx, k.Stream("random")+":state", "x", 0).Err(); err != nil {
		t.Fatal(err)
	}
	bob := newRecorder(t, rdb, "bob")
	if _, err := bob.Join(ctx, "random"); err != nil {
		t.Fatalf("join a channel with a string for its state: %v", err)
	}
	bob.waitCount("random", 1, 10*time.Second)
	bob.waitFor(10*time.Second, "a notice naming the key", func() bool {
		return bob.hasEvent(func(ev chat.Event) bool {
			n, ok := ev.(chat.NoticeEvent)
			return ok && strings.Contains(n.Text, k.Stream("random")+":state")
		})
	})
}

// Attack 9: live payloads larger than the message limit are dropped
// unread: the window shows none of them, and what is stored still comes.
func TestAttackHugeLivePayloads(t *testing.T) {
	a := withAccounts(t, "alice", "mallory")
	ctx := ctxT(t)
	alice := a.joinedAs(ctx, "alice", "general")
	alice.waitConnected()
	mal := a.conn("mallory")
	huge := "v2\n9999999999999-0\n\nuser:7:mallory" + strings.Repeat("x", 4<<20)
	for range 3 {
		if err := mal.Publish(ctx, chat.DefaultKeys().Topic("general"), huge).Err(); err != nil {
			t.Fatal(err)
		}
	}
	sent, err := alice.Broadcast(ctx, chat.Draft{Channel: "general", Text: "after the flood"})
	if err != nil {
		t.Fatal(err)
	}
	alice.waitFor(10*time.Second, "the real message", func() bool { // alice.mu held
		return byID(alice.msgs["general"], sent.ID) != nil
	})
	alice.mu.Lock()
	defer alice.mu.Unlock()
	for _, m := range alice.msgs["general"] {
		if len(m.Text) > 1<<16 || m.User == "mallory" {
			t.Fatalf("a flood payload was shown: %d bytes from %s", len(m.Text), m.User)
		}
	}
}

// Attack 10: after FLUSHALL every window registers again — its user, its
// channels, its memberships — in every run, and says the server lost its
// data; what was shown and lost is not called a forgery.
func TestAttackRepeatedFlushAll(t *testing.T) {
	_, rdb := startRedis(t, redistest.RealOnly())
	ctx := ctxT(t)
	k := chat.DefaultKeys()
	names := []string{"ann", "ben", "cat", "dan"}
	var rs []*recorder
	for i, n := range names {
		// A heartbeat a second: each window notices the flush within one.
		r := newRecorder(t, rdb, n, func(o *chat.Options) { o.PresenceEvery = time.Second })
		for _, ch := range []string{"general", "team" + fmt.Sprint(i%2)} {
			if _, err := r.Join(ctx, ch); err != nil {
				t.Fatal(err)
			}
		}
		r.waitConnected()
		rs = append(rs, r)
	}
	for run := 1; run <= 3; run++ {
		for _, r := range rs {
			if _, err := r.Broadcast(ctx, chat.Draft{Channel: "general", Text: fmt.Sprintf("run %d", run)}); err != nil {
				t.Fatal(err)
			}
		}
		for _, r := range rs {
			r.waitCount("general", 4*run, 10*time.Second)
		}
		if err := rdb.FlushAll(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		for i, r := range rs {
			resets := func() int {
				n := 0
				for _, ev := range r.evs {
					if _, ok := ev.(chat.ResetEvent); ok {
						n++
					}
				}
				return n
			}
			r.waitFor(20*time.Second, fmt.Sprintf("run %d: %s's reset", run, names[i]), func() bool { return resets() >= run })
			team := "team" + fmt.Sprint(i%2)
			deadline := time.Now().Add(20 * time.Second)
			for {
				pipe := rdb.Pipeline()
				user := pipe.Exists(ctx, k.User(names[i]))
				mine := pipe.SMembers(ctx, k.UserChannels(names[i]))
				in := pipe.SIsMember(ctx, k.Members(team), names[i])
				made := pipe.Exists(ctx, k.Channel("general"), k.Channel(team))
				_, _ = pipe.Exec(ctx)
				if user.Val() == 1 && len(mine.Val()) == 2 && in.Val() && made.Val() == 2 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("run %d: %s is not registered again: user %d, channels %v, member of %s %v, channels made %d",
						run, names[i], user.Val(), mine.Val(), team, in.Val(), made.Val())
				}
				time.Sleep(50 * time.Millisecond)
			}
		}
	}
	for i, r := range rs {
		r.mu.Lock()
		for _, ev := range r.evs {
			if e, ok := ev.(chat.RetractedEvent); ok && !e.Lost {
				t.Errorf("%s was told that messages lost in a flush were made up: %+v", names[i], e)
			}
		}
		r.mu.Unlock()
	}
}

// A flood of "members:" notices, which any account may publish, costs a
// window one read of the members per noticeEvery (the reads leave the
// receive loop for a worker that merges repeats), and a real change of
// the members still arrives.
func TestAttackMembersNoticeFlood(t *testing.T) {
	a := withAccounts(t, "alice", "bob", "mallory")
	ctx := ctxT(t)
	alice := a.joinedAs(ctx, "alice", "general")
	alice.waitConnected()
	smembers := func() int64 {
		info, err := a.admin.Info(ctx, "commandstats").Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(info, "\n") {
			if rest, ok := strings.CutPrefix(line, "cmdstat_smembers:calls="); ok {
				n, _ := strconv.ParseInt(strings.SplitN(rest, ",", 2)[0], 10, 64)
				return n
			}
		}
		return 0
	}
	before := smembers()
	mal := a.conn("mallory")
	const flood = 3000
	pipe := mal.Pipeline()
	for range flood {
		pipe.Publish(ctx, chat.DefaultKeys().ChannelEvents(), "members:general")
	}
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	// The flood is over once a message sent after it arrives.
	sent, err := alice.Broadcast(ctx, chat.Draft{Channel: "general", Text: "after the flood"})
	if err != nil {
		t.Fatal(err)
	}
	alice.waitFor(10*time.Second, "the message after the flood", func() bool {
		return byID(alice.msgs["general"], sent.ID) != nil
	})
	reads := smembers() - before
	// At most one read per noticeEvery while the flood lasted, and a few
	// for the joins and the last merged notice.
	limit := int64(time.Since(start)/chat.NoticeEvery) + 5
	if reads > limit {
		t.Fatalf("%d notices cost %d reads of the members; want at most %d", flood, reads, limit)
	}
	a.joinedAs(ctx, "bob", "general")
	alice.waitFor(10*time.Second, "bob among the members", func() bool {
		return alice.hasEvent(func(e chat.Event) bool {
			m, ok := e.(chat.MembersEvent)
			return ok && m.Channel == "general" && slices.Contains(m.Members, "bob")
		})
	})
}

// Attack 7 on the send itself: the send asks a key's type only when a
// command on it fails, and then refuses, naming the key, before writing
// anything: a stream that is a string, a channel record that is one.
// (alice only makes the channels.)
func TestAttackWrongTypeKeysRefuseASend(t *testing.T) {
	_, rdb := startRedis(t, redistest.RealOnly())
	ctx := ctxT(t)
	k := chat.DefaultKeys()
	alice := newRecorder(t, rdb, "alice")
	for _, name := range []string{"random", "other"} {
		if _, err := alice.Join(ctx, name); err != nil {
			t.Fatal(err)
		}
		if _, err := alice.Broadcast(ctx, chat.Draft{Channel: name, Text: "before"}); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct{ channel, key string }{
		{"random", k.Stream("random")},
		{"other", k.Channel("other")},
	} {
		if err := rdb.Del(ctx, tc.key).Err(); err != nil {
			t.Fatal(err)
		}
		if err := rdb.Set(ctx, tc.key, "written by another tool", 0).Err(); err != nil {
			t.Fatal(err)
		}
		before := rdb.XLen(ctx, k.Stream(tc.channel)).Val()
		// (A client that has not joined: it does not know the channel's
		// id, so the send reads it from the channel's record.)
		bob := chattest.New(t, chat.Options{Redis: rdb, User: "bob"})
		_, err := bob.Broadcast(ctx, chat.Draft{Channel: tc.channel, Text: "after"})
		if !errors.Is(err, chat.ErrDamaged) || !strings.Contains(err.Error(), tc.key) || !strings.Contains(err.Error(), "string") {
			t.Fatalf("a send with %s a string: %v", tc.key, err)
		}
		if after := rdb.XLen(ctx, k.Stream(tc.channel)).Val(); after != before {
			t.Fatalf("the refused send wrote %d entries", after-before)
		}
	}
}
