package chat_test

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rtchat/rtchat/admin"
	"github.com/rtchat/rtchat/chat"
	"github.com/rtchat/rtchat/internal/redistest"
)

// accounts is a server whose people have accounts (Redis ACL users made
// by package admin); its default user has a password only the admin
// knows.
type accounts struct {
	t     *testing.T
	addrs []string
	// admin is the default user's connection.
	admin     redis.UniversalClient
	adm       *admin.Admin
	passwords map[string]string
	cluster   bool
}

// withAccounts is newAccounts with an account for each of names.
func withAccounts(t *testing.T, names ...string) *accounts {
	a := newAccounts(t)
	for _, n := range names {
		a.add(n)
	}
	return a
}

// joinedAs starts user's window and joins conv.
func (a *accounts) joinedAs(ctx context.Context, user, conv string) *recorder {
	a.t.Helper()
	r := a.person(user)
	if _, err := r.Join(ctx, conv); err != nil {
		a.t.Fatal(err)
	}
	return r
}

func newAccounts(t *testing.T) *accounts {
	srv := redistest.Start(t, redistest.RealOnly(), redistest.WithPassword("admin-secret"))
	rdb := srv.Client(t)
	return &accounts{t: t, addrs: []string{srv.Addr}, admin: rdb, adm: admin.New(rdb, chat.DefaultKeys()), passwords: map[string]string{}}
}

func newClusterAccounts(t *testing.T) *accounts {
	cl := redistest.StartCluster(t, 3, 0)
	rdb := cl.Client(t)
	return &accounts{t: t, addrs: cl.Addrs, admin: rdb, adm: admin.New(rdb, chat.DefaultKeys()), passwords: map[string]string{}, cluster: true}
}

// add makes account name.
func (a *accounts) add(name string) {
	a.t.Helper()
	pw := admin.GeneratePassword()
	if err := a.adm.AddUser(context.Background(), name, pw); err != nil {
		a.t.Fatalf("add %s: %v", name, err)
	}
	a.passwords[name] = pw
}

// conn connects as account name.
func (a *accounts) conn(name string) redis.UniversalClient {
	a.t.Helper()
	var rdb redis.UniversalClient
	if a.cluster {
		rdb = redis.NewClusterClient(&redis.ClusterOptions{Addrs: a.addrs, Username: name, Password: a.passwords[name]})
	} else {
		rdb = redis.NewClient(&redis.Options{Addr: a.addrs[0], Username: name, Password: a.passwords[name]})
	}
	a.t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

// person starts rtchat for account name, as the full-screen client does.
func (a *accounts) person(name string) *recorder {
	a.t.Helper()
	return newRecorder(a.t, a.conn(name), name, func(o *chat.Options) {
		o.Accounts, o.Signer, o.AutoJoin = true, chat.NewSigner(), true
	})
}

// killPubSub closes every Pub/Sub connection on every node.
func (a *accounts) killPubSub() {
	a.t.Helper()
	for _, addr := range a.addrs {
		o := &redis.Options{Addr: addr}
		if !a.cluster {
			o.Password = "admin-secret"
		}
		k := redis.NewClient(o)
		err := k.ClientKillByFilter(context.Background(), "TYPE", "pubsub").Err()
		_ = k.Close()
		if err != nil {
			a.t.Fatal(err)
		}
	}
}

// cli runs redis-cli as account name against the first node.
func (a *accounts) cli(name string, args ...string) string {
	a.t.Helper()
	host, port, _ := strings.Cut(a.addrs[0], ":")
	full := append([]string{"-h", host, "-p", port, "--user", name, "--pass", a.passwords[name], "--no-auth-warning"}, args...)
	if a.cluster {
		full = append([]string{"-c"}, full...)
	}
	out, err := exec.Command("redis-cli", full...).CombinedOutput()
	if err != nil {
		return fmt.Sprintf("%s (%v)", out, err)
	}
	return string(out)
}

// isStreamID reports whether redis-cli answered an XADD with an entry id.
func isStreamID(out string) bool {
	ms, seq, ok := strings.Cut(strings.TrimSpace(out), "-")
	_, err1 := strconv.ParseUint(ms, 10, 64)
	_, err2 := strconv.ParseUint(seq, 10, 64)
	return ok && err1 == nil && err2 == nil
}

func verdicts(t *testing.T, r *recorder, msgs []chat.Message) []bool {
	t.Helper()
	ok, _, err := r.VerifyNow(ctxT(t), msgs...)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

// TestDirectMessagesArePrivate: a conversation between alice and bob
// reaches bob exactly once, in order, through a pubsub kill, and carol can
// read it neither through rtchat nor with redis-cli.
func TestDirectMessagesArePrivate(t *testing.T) {
	redistest.SkipUnless(t, "redis-cli")
	testDirectMessages(t, newAccounts(t))
}

func TestDirectMessagesOnACluster(t *testing.T) {
	a := newClusterAccounts(t)
	// ACL is per node: every node knows the accounts.
	for _, addr := range a.addrs {
		n := redis.NewClient(&redis.Options{Addr: addr})
		if err := n.Do(ctxT(t), "ACL", "GETUSER", "alice").Err(); err != nil && err != redis.Nil {
			t.Fatal(err)
		}
		_ = n.Close()
	}
	testDirectMessages(t, a)
}

func testDirectMessages(t *testing.T, a *accounts) {
	for _, n := range []string{"alice", "bob", "carol"} {
		a.add(n)
	}
	ctx := ctxT(t)
	alice, bob := a.person("alice"), a.person("bob")
	carol := a.person("carol")
	for _, r := range []*recorder{alice, bob, carol} {
		r.waitConnected()
	}
	if _, err := alice.Join(ctx, chat.DM("bob")); err != nil {
		t.Fatalf("open the conversation: %v", err)
	}
	const n = 40
	var want []string
	for i := range n {
		if i == n/2 {
			a.killPubSub() // every Pub/Sub connection drops; the stream brings the rest
		}
		sent, err := alice.BroadcastMessage(ctx, chat.DM("bob"), fmt.Sprint("psst ", i))
		if err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
		want = append(want, sent.ID.String())
	}
	bob.waitCount(chat.DM("alice"), n, 20*time.Second)
	assertSameIDs(t, "bob", bob.ids(chat.DM("alice")), want)
	if !bob.sawEvent(func(e chat.Event) bool {
		j, ok := e.(chat.JoinedEvent)
		return ok && j.Channel.Name == chat.DM("alice")
	}) {
		t.Error("bob's window was not told of the new conversation")
	}
	bob.mu.Lock()
	got := slices.Clone(bob.msgs[chat.DM("alice")])
	bob.mu.Unlock()
	for i, ok := range verdicts(t, bob, got) {
		if !ok {
			t.Fatalf("alice's message %d is not verified for bob", i)
		}
	}
	if mine, err := bob.MyChannels(ctx); err != nil || !slices.Contains(mine, chat.DM("alice")) {
		t.Fatalf("bob's conversations: %v %v", mine, err)
	}

	// carol: nothing of it, by any way she has.
	carolRdb := a.conn("carol")
	stream := chat.DefaultKeys().DMStream("alice", "bob")
	for what, err := range map[string]error{
		"XRANGE":      carolRdb.XRange(ctx, stream, "-", "+").Err(),
		"XADD":        carolRdb.XAdd(ctx, &redis.XAddArgs{Stream: stream, Values: []any{"user", "alice", "text", "x"}}).Err(),
		"SUBSCRIBE":   subscribeErr(ctx, carolRdb, false, stream),
		"PSUBSCRIBE":  subscribeErr(ctx, carolRdb, true, "dm:*"),
		"alice's DMs": carolRdb.SMembers(ctx, chat.DefaultKeys().DMList("alice")).Err(),
	} {
		if !redis.HasErrorPrefix(err, "NOPERM") {
			t.Errorf("carol %s on alice and bob's conversation: %v, want NOPERM", what, err)
		}
	}
	if out := a.cli("carol", "XRANGE", stream, "-", "+"); !strings.Contains(out, "NOPERM") {
		t.Errorf("redis-cli as carol read the conversation: %q", out)
	}
	// Through rtchat, "@bob" is carol's own conversation with bob: empty.
	if p, err := carol.History(ctx, chat.DM("bob"), chat.ID{}); err != nil || len(p.Messages) != 0 {
		t.Fatalf("carol's @bob holds %d messages (%v)", len(p.Messages), err)
	}
	if carol.sawEvent(func(e chat.Event) bool {
		m, ok := e.(chat.MessageEvent)
		return ok && strings.HasPrefix(m.Message.Text, "psst")
	}) {
		t.Fatal("carol received the conversation")
	}
	// Talking to someone who never used rtchat here says so.
	if _, err := alice.Join(ctx, chat.DM("nobody")); !errors.Is(err, chat.ErrNoSuchUser) {
		t.Fatalf("a conversation with nobody: %v", err)
	}
}

// subscribeErr returns the error of a (pattern) subscription.
func subscribeErr(ctx context.Context, rdb redis.UniversalClient, pattern bool, topic string) error {
	var ps *redis.PubSub
	if pattern {
		ps = rdb.PSubscribe(ctx, topic)
	} else {
		ps = rdb.Subscribe(ctx, topic)
	}
	defer ps.Close()
	_, err := ps.ReceiveTimeout(ctx, 2*time.Second)
	return err
}

// TestForgedAuthorIsMarked: an account that adds an entry in alice's name
// to a channel gets it shown as not hers; alice's own messages verify;
// nobody but alice may register keys of hers.
func TestForgedAuthorIsMarked(t *testing.T) {
	redistest.SkipUnless(t, "redis-cli")
	a := withAccounts(t, "alice", "bob", "mallory")
	ctx := ctxT(t)
	alice, bob := a.person("alice"), a.person("bob")
	if _, err := bob.Join(ctx, "general"); err != nil {
		t.Fatal(err)
	}
	bob.waitConnected()
	real, err := alice.BroadcastMessage(ctx, "general", "the real alice")
	if err != nil {
		t.Fatal(err)
	}
	stream := chat.DefaultKeys().Stream("general")
	// mallory copies alice's key id and signature onto other text, and
	// writes one with no signature at all.
	xs, err := a.conn("mallory").XRange(ctx, stream, real.ID.String(), real.ID.String()).Result()
	if err != nil || len(xs) != 1 {
		t.Fatalf("read alice's entry: %v", err)
	}
	v := xs[0].Values
	// (The signature is binary: through go-redis, since a NUL byte cannot
	// be a redis-cli argument.)
	forged := map[string]any{"user": "alice", "text": "send me the password", "ts": v["ts"], "mid": "m-forged", "channel_id": "1", "key": v["key"], "sig": v["sig"]}
	if err := a.conn("mallory").XAdd(ctx, &redis.XAddArgs{Stream: stream, Values: forged}).Err(); err != nil {
		t.Fatalf("mallory may write the channel: %v", err)
	}
	if out := a.cli("mallory", "XADD", stream, "*", "user", "alice", "text", "unsigned", "ts", "1", "mid", "m2", "channel_id", "1"); !isStreamID(out) {
		t.Fatalf("mallory may write the channel: %s", out)
	}
	// A key of mallory's registered under alice's name is refused.
	if out := a.cli("mallory", "HSET", chat.DefaultKeys().SigningKeys("alice"), "x", "y"); !strings.Contains(out, "NOPERM") {
		t.Fatalf("mallory registered a key of alice's: %q", out)
	}
	// mallory's entries were not published: bob's watcher finds them.
	bob.waitCount("general", 3, 20*time.Second)
	bob.mu.Lock()
	got := slices.Clone(bob.msgs["general"])
	bob.mu.Unlock()
	want := map[string]bool{"the real alice": true, "send me the password": false, "unsigned": false}
	for i, ok := range verdicts(t, bob, got) {
		if ok != want[got[i].Text] {
			t.Errorf("%q verified = %v", got[i].Text, ok)
		}
	}
	// The window's way: Verify answers at once or with a VerifiedEvent.
	for _, m := range got {
		v := bob.Verify("general", m.ID)
		if v == chat.VerdictPending {
			bob.waitFor(5*time.Second, "a verdict", func() bool {
				return bob.hasEvent(func(e chat.Event) bool {
					ve, ok := e.(chat.VerifiedEvent)
					return ok && slices.ContainsFunc(ve.Results, func(r chat.VerifyResult) bool { v = r.Verdict; return r.ID == m.ID })
				})
			})
		}
		if (v == chat.Verified) != want[m.Text] {
			t.Errorf("Verify(%q) = %v", m.Text, v)
		}
	}
}

// TestNewKeysOnAnOpenServerAreNoticed: without accounts, a reader pins the
// keys it first sees and says when a person's keys change.
func TestNewKeysOnAnOpenServerAreNoticed(t *testing.T) {
	_, rdb := startRedis(t)
	ctx := ctxT(t)
	signed := func(o *chat.Options) { o.Signer = chat.NewSigner() }
	pins := chat.NewFilePins(t.TempDir()+"/known_keys", "test")
	// Each reader is bob's rtchat started anew: the pins carry over.
	reader := func() *recorder {
		return newRecorder(t, rdb, "bob", func(o *chat.Options) { o.Pins = pins })
	}
	alice := newRecorder(t, rdb, "alice", signed)
	if _, err := alice.Open(ctx, "general"); err != nil {
		t.Fatal(err)
	}
	if _, err := alice.BroadcastMessage(ctx, "general", "from my laptop"); err != nil {
		t.Fatal(err)
	}
	check := func(r *recorder) ([]bool, []string) {
		t.Helper()
		p, err := r.History(ctx, "general", chat.ID{})
		msgs := p.Messages
		if err != nil {
			t.Fatal(err)
		}
		ok, notices, err := r.VerifyNow(ctx, msgs...)
		if err != nil {
			t.Fatal(err)
		}
		return ok, notices
	}
	if ok, notices := check(reader()); !ok[0] || len(notices) != 0 {
		t.Fatalf("first sight: %v %v", ok, notices)
	}
	// Someone — alice's new device, or not — registers another key for
	// her and posts.
	if _, err := newRecorder(t, rdb, "alice", signed).BroadcastMessage(ctx, "general", "from somewhere else"); err != nil {
		t.Fatal(err)
	}
	ok, notices := check(reader())
	if len(notices) != 1 || !strings.Contains(notices[0], "alice has a new signing key") || !ok[0] || !ok[1] {
		t.Fatalf("alice's new key: verified %v, notices %q", ok, notices)
	}
	if _, again := check(reader()); len(again) != 0 {
		t.Fatalf("the same new key noticed twice: %q", again)
	}
	// Wiping her keys from Redis does not unverify what bob has seen.
	if err := rdb.Del(ctx, chat.DefaultKeys().SigningKeys("alice")).Err(); err != nil {
		t.Fatal(err)
	}
	if ok, _ := check(reader()); !ok[0] || !ok[1] {
		t.Errorf("pinned keys stopped counting when they left Redis: %v", ok)
	}
}

// TestPrivateChannels: only members list, read, join and write a private
// channel; an admin's changes reach running clients.
func TestPrivateChannels(t *testing.T) {
	a := withAccounts(t, "alice", "bob", "carol")
	ctx := ctxT(t)
	if err := a.adm.MakePrivate(ctx, "secret", "admin", []string{"alice", "bob"}); err != nil {
		t.Fatal(err)
	}
	alice, bob, carol := a.person("alice"), a.person("bob"), a.person("carol")
	for _, r := range []*recorder{alice, bob, carol} {
		r.waitConnected()
	}
	conv := chat.Private("secret")
	for _, r := range []*recorder{alice, bob} {
		if mine, err := r.MyChannels(ctx); err != nil || !slices.Contains(mine, conv) {
			t.Fatalf("%s's channels: %v %v", r.User(), mine, err)
		}
		list, err := r.ListChannels(ctx)
		if err != nil || !slices.ContainsFunc(list, func(c chat.Channel) bool { return c.Name == conv && c.Private && c.Members == 2 }) {
			t.Fatalf("%s's list: %+v %v", r.User(), list, err)
		}
		if got, err := r.Resolve(ctx, "secret"); err != nil || got != conv {
			t.Fatalf("%s resolves secret to %q (%v)", r.User(), got, err)
		}
		if _, err := r.Join(ctx, conv); err != nil {
			t.Fatalf("%s joins: %v", r.User(), err)
		}
	}
	sent, err := alice.BroadcastMessage(ctx, conv, "members only")
	if err != nil {
		t.Fatal(err)
	}
	bob.waitCount(conv, 1, 10*time.Second)

	// carol: not listed, not found, not readable, not writable.
	if list, _ := carol.ListChannels(ctx); slices.ContainsFunc(list, func(c chat.Channel) bool { return c.Private }) {
		t.Fatalf("carol lists a private channel: %+v", list)
	}
	if got, _ := carol.Resolve(ctx, "secret"); got != "secret" {
		t.Fatalf("carol resolves secret to %q", got)
	}
	for what, err := range map[string]error{
		"Channel": func() error { _, err := carol.Channel(ctx, conv); return err }(),
		"Join":    func() error { _, err := carol.Join(ctx, conv); return err }(),
	} {
		if !errors.Is(err, chat.ErrNoSuchChannel) {
			t.Errorf("carol %s: %v, want no such channel", what, err)
		}
	}
	if _, err := carol.History(ctx, conv, chat.ID{}); !strings.Contains(fmt.Sprint(err), "NOPERM") {
		t.Errorf("carol read the history: %v", err)
	}
	if _, err := carol.BroadcastMessage(ctx, conv, "let me in"); err == nil {
		t.Error("carol wrote to the private channel")
	}
	carolRdb := a.conn("carol")
	k := chat.DefaultKeys()
	for what, err := range map[string]error{
		"XRANGE":    carolRdb.XRange(ctx, k.PrivateStream("secret"), "-", "+").Err(),
		"HGETALL":   carolRdb.HGetAll(ctx, k.PrivateChannel("secret")).Err(),
		"SMEMBERS":  carolRdb.SMembers(ctx, k.PrivateMembers("secret")).Err(),
		"SUBSCRIBE": subscribeErr(ctx, carolRdb, false, k.PrivateStream("secret")),
		"SADD":      a.conn("bob").SAdd(ctx, k.PrivateMembers("secret"), "carol").Err(),
	} {
		if !redis.HasErrorPrefix(err, "NOPERM") {
			t.Errorf("%s on the private channel: %v, want NOPERM", what, err)
		}
	}

	// The admin adds carol: her running window follows it at once.
	if err := a.adm.AddMembers(ctx, "secret", []string{"carol"}); err != nil {
		t.Fatal(err)
	}
	carol.waitFor(10*time.Second, "joined "+conv, func() bool {
		return carol.hasEvent(func(e chat.Event) bool { j, ok := e.(chat.JoinedEvent); return ok && j.Channel.Name == conv })
	})
	carol.waitCount(conv, 1, 10*time.Second)
	if got := carol.ids(conv); got[0] != sent.ID.String() {
		t.Fatalf("carol's history: %v", got)
	}
	// And takes bob out: his window lets go of it, and Redis too.
	if err := a.adm.RemoveMembers(ctx, "secret", []string{"bob"}); err != nil {
		t.Fatal(err)
	}
	bob.waitFor(10*time.Second, "removed from "+conv, func() bool {
		return bob.hasEvent(func(e chat.Event) bool { r, ok := e.(chat.RemovedEvent); return ok && r.Channel == conv })
	})
	if bob.Joined(conv) {
		t.Error("bob still follows the channel")
	}
	if _, err := a.conn("bob").XRange(ctx, k.PrivateStream("secret"), "-", "+").Result(); !redis.HasErrorPrefix(err, "NOPERM") {
		t.Errorf("bob still reads it: %v", err)
	}
	if _, err := alice.BroadcastMessage(ctx, conv, "after bob"); err != nil {
		t.Fatal(err)
	}
	carol.waitCount(conv, 2, 10*time.Second)
	bob.waitConnected() // his link survives losing the channel
}

// A public channel may not take a private channel's name: an outsider's
// join is refused (nobody talks past the members), and the lists show
// the name once.
func TestPublicChannelCannotTakeAPrivateName(t *testing.T) {
	a := withAccounts(t, "alice", "carol")
	ctx := ctxT(t)
	if err := a.adm.MakePrivate(ctx, "ops", "admin", []string{"alice"}); err != nil {
		t.Fatal(err)
	}
	carol := a.person("carol")
	if _, err := carol.Join(ctx, "ops"); !errors.Is(err, chat.ErrPrivateName) {
		t.Fatalf("carol's join of ops: %v, want ErrPrivateName", err)
	}
	// The claim holds against a hostile account: it may write the public
	// channel's hash (to create channels and set topics), not the claim.
	mallory, k := a.conn("carol"), chat.DefaultKeys()
	if err := mallory.HSet(ctx, k.Channel("ops"), chat.LegacyPrivateField, "").Err(); err != nil {
		t.Fatalf("carol's HSET of #ops's hash: %v", err)
	}
	for what, err := range map[string]error{
		"DEL the claim": mallory.Del(ctx, k.PrivateClaim("ops")).Err(),
		"SET the claim": mallory.Set(ctx, k.PrivateClaim("ops"), "", 0).Err(),
	} {
		if !redis.HasErrorPrefix(err, "NOPERM") {
			t.Errorf("carol may %s: %v", what, err)
		}
	}
	if err := mallory.HSet(ctx, k.Channel("ops"), "id", "7", "name", "ops").Err(); err != nil {
		t.Fatalf("carol's HSET of #ops's hash: %v", err)
	}
	if _, err := carol.Join(ctx, "ops"); !errors.Is(err, chat.ErrPrivateName) {
		t.Fatalf("carol's join of ops after her writes: %v, want ErrPrivateName", err)
	}
	if _, err := carol.Prepare(ctx, "ops", true); !errors.Is(err, chat.ErrPrivateName) {
		t.Fatalf("carol's send to ops after her writes: %v, want ErrPrivateName", err)
	}
	alice := a.person("alice")
	list, err := alice.ListChannels(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, ch := range list {
		names = append(names, ch.Name)
	}
	if !slices.Equal(names, []string{chat.Private("ops")}) {
		t.Fatalf("alice's list: %v", names)
	}
	if conv, err := alice.Resolve(ctx, "ops"); err != nil || conv != chat.Private("ops") {
		t.Fatalf("alice's ops is %q, %v", conv, err)
	}
	// An admin cannot make a private channel where a public one exists.
	if _, err := carol.Join(ctx, "dev"); err != nil {
		t.Fatal(err)
	}
	if err := a.adm.MakePrivate(ctx, "dev", "admin", []string{"alice"}); err == nil || !strings.Contains(err.Error(), "a public #dev exists") {
		t.Fatalf("private over a public name: %v", err)
	}
}

// With accounts, a person made by `rtchat admin user add` can be written
// to at once, before they ever start rtchat, and finds the conversation,
// message and all, when they first do.
func TestDirectMessageToAnAccountNotStartedYet(t *testing.T) {
	a := withAccounts(t, "alice", "bob")
	ctx := ctxT(t)
	alice := a.person("alice")
	alice.waitConnected()
	if _, err := alice.Join(ctx, chat.DM("bob")); err != nil {
		t.Fatalf("open a conversation with bob, who never started rtchat: %v", err)
	}
	sent, err := alice.BroadcastMessage(ctx, chat.DM("bob"), "welcome aboard")
	if err != nil {
		t.Fatal(err)
	}
	bob := a.person("bob")
	open, err := bob.Opening(ctx)
	if err != nil || !slices.Contains(open.Channels, chat.DM("alice")) {
		t.Fatalf("bob's first start opens %v (%v), not the conversation with alice", open.Channels, err)
	}
	if _, err := bob.Join(ctx, chat.DM("alice")); err != nil {
		t.Fatal(err)
	}
	bob.waitCount(chat.DM("alice"), 1, 10*time.Second)
	assertSameIDs(t, "bob", bob.ids(chat.DM("alice")), []string{sent.ID.String()})
}

// An account an admin removes while its window runs: the link says Redis
// refuses the account (ErrAuth), which the window words for an account.
func TestRemovedAccountIsAnAuthError(t *testing.T) {
	a := withAccounts(t, "carol")
	carol := a.person("carol")
	carol.waitConnected()
	if err := a.adm.DeleteUser(ctxT(t), "carol"); err != nil {
		t.Fatal(err)
	}
	carol.waitFor(10*time.Second, "a refused account", func() bool {
		return carol.hasEvent(func(e chat.Event) bool {
			s, ok := e.(chat.StateEvent)
			return ok && s.State == chat.StateReconnecting && errors.Is(s.Err, chat.ErrAuth)
		})
	})
}

// An account's sends under retention run only the commands its rules
// allow: every one is stored, the stream is trimmed, and the trim is
// marked where history starts.
func TestAccountSendsUnderRetention(t *testing.T) {
	a := withAccounts(t, "alice")
	ctx := ctxT(t)
	alice := newRecorder(t, a.conn("alice"), "alice", func(o *chat.Options) {
		o.Accounts, o.Signer, o.AutoJoin, o.MaxLen = true, chat.NewSigner(), true, 10
	})
	if _, err := alice.Join(ctx, "general"); err != nil {
		t.Fatal(err)
	}
	// 250 entries over a retention of 10 trim at least one stream node.
	for i := range 250 {
		post(t, alice, chat.Draft{Channel: "general", Text: fmt.Sprint("line ", i)})
	}
	if n := a.admin.XLen(ctx, chat.DefaultKeys().Stream("general")).Val(); n >= 250 {
		t.Fatalf("the stream was not trimmed: %d entries", n)
	}
	if mark := a.admin.HGet(ctx, chat.DefaultKeys().Stream("general")+":state", "trimmed").Val(); mark != "1" {
		t.Fatalf("the trim is not marked: %q", mark)
	}
}
