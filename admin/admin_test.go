package admin_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/rtchat/rtchat/admin"
	"github.com/rtchat/rtchat/chat"
	"github.com/rtchat/rtchat/internal/redistest"
)

func setup(t *testing.T, opts ...redistest.Option) (*redistest.Server, *admin.Admin) {
	t.Helper()
	srv := redistest.Start(t, append([]redistest.Option{redistest.RealOnly()}, opts...)...)
	return srv, admin.New(srv.Client(t), chat.DefaultKeys())
}

// as connects to srv as account name with password pw and says whether
// Redis took the password.
func as(t *testing.T, srv *redistest.Server, name, pw string) (*redis.Client, error) {
	t.Helper()
	rdb := srv.ClientAs(t, name, pw, redistest.NoRetries)
	return rdb, rdb.Ping(context.Background()).Err()
}

func TestUserCommands(t *testing.T) {
	srv, a := setup(t, redistest.WithPassword("admin-secret"))
	ctx := context.Background()
	pw := admin.GeneratePassword()
	if len(pw) < 26 || pw == admin.GeneratePassword() {
		t.Fatalf("weak or repeated password %q", pw)
	}
	if err := a.AddUser(ctx, "alice", pw); err != nil {
		t.Fatal(err)
	}
	if _, err := as(t, srv, "alice", pw); err != nil {
		t.Fatalf("alice cannot sign in: %v", err)
	}
	for name, err := range map[string]error{
		"exists":         a.AddUser(ctx, "alice", "x"),
		"bad name":       a.AddUser(ctx, "Alice!", "x"),
		"default":        a.AddUser(ctx, "default", "x"),
		"empty password": a.AddUser(ctx, "bob", ""),
		"two lines":      a.AddUser(ctx, "bob", "a\nb"),
		"del nobody":     a.DeleteUser(ctx, "nobody"),
		"passwd nobody":  a.SetPassword(ctx, "nobody", "x"),
	} {
		if err == nil {
			t.Errorf("%s: no error", name)
		} else if strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: not one line: %q", name, err)
		}
	}
	if err := a.AddUser(ctx, "alice", "x"); !errors.Is(err, admin.ErrExists) || !strings.Contains(err.Error(), "rtchat admin user passwd alice") {
		t.Errorf("adding alice again: %v", err)
	}

	// A new password: the old one stops working, the rules stay.
	if err := a.SetPassword(ctx, "alice", "new-pass"); err != nil {
		t.Fatal(err)
	}
	if _, err := as(t, srv, "alice", pw); err == nil {
		t.Error("the old password still works")
	}
	alice, err := as(t, srv, "alice", "new-pass")
	if err != nil {
		t.Fatalf("the new password: %v", err)
	}
	if err := alice.HSet(ctx, chat.DefaultKeys().User("alice"), "name", "alice").Err(); err != nil {
		t.Fatalf("the rules went with the password: %v", err)
	}

	// Accounts may not manage accounts.
	if err := admin.New(alice, chat.DefaultKeys()).AddUser(ctx, "mallory", "x"); !errors.Is(err, admin.ErrNotAdmin) || !strings.Contains(err.Error(), "default user") {
		t.Errorf("alice made an account: %v", err)
	}
	if _, err := admin.New(alice, chat.DefaultKeys()).Users(ctx); !errors.Is(err, admin.ErrNotAdmin) {
		t.Errorf("alice listed accounts: %v", err)
	}

	if err := a.AddUser(ctx, "bob", "bob-pass"); err != nil {
		t.Fatal(err)
	}
	if users, err := a.Users(ctx); err != nil || !slices.Equal(users, []string{"alice", "bob"}) {
		t.Fatalf("list: %v %v", users, err)
	}
	if err := a.DeleteUser(ctx, "bob"); err != nil {
		t.Fatal(err)
	}
	if _, err := as(t, srv, "bob", "bob-pass"); err == nil {
		t.Error("a deleted account signs in")
	}
	if err := a.Renew(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := as(t, srv, "alice", "new-pass"); err != nil {
		t.Errorf("renew lost the password: %v", err)
	}
}

// TestAccountRules: an account reaches rtchat's keys as the rules say and
// nothing else.
func TestAccountRules(t *testing.T) {
	srv, a := setup(t, redistest.WithPassword("admin-secret"))
	ctx := context.Background()
	for _, n := range []string{"alice", "bob"} {
		if err := a.AddUser(ctx, n, n+"-pass"); err != nil {
			t.Fatal(err)
		}
	}
	alice, _ := as(t, srv, "alice", "alice-pass")
	k := chat.DefaultKeys()
	stream := k.Stream("general")
	allowed := map[string]error{
		"own keys":        alice.HSet(ctx, k.SigningKeys("alice"), "id", "key").Err(),
		"own read marks":  alice.HSet(ctx, k.ReadMarks("alice"), "general", "1-0").Err(),
		"own sessions":    alice.ZAdd(ctx, k.Online("alice"), redis.Z{Score: 1, Member: "s1"}).Err(),
		"bob's keys":      alice.HGetAll(ctx, k.SigningKeys("bob")).Err(),
		"bob's record":    alice.Exists(ctx, k.User("bob")).Err(),
		"bob's sessions":  alice.ZRange(ctx, k.Online("bob"), 0, -1).Err(),
		"a public stream": alice.XAdd(ctx, &redis.XAddArgs{Stream: stream, Values: []any{"user", "alice"}}).Err(),
		"their DM":        alice.XAdd(ctx, &redis.XAddArgs{Stream: k.DMStream("bob", "alice"), Values: []any{"user", "alice"}}).Err(),
		"its state":       alice.HSet(ctx, k.DMStream("alice", "bob")+":state", "1-0", "{}").Err(),
		"a DM's thread":   alice.XAdd(ctx, &redis.XAddArgs{Stream: k.DMStream("alice", "zed") + ":thread:1-0", Values: []any{"user", "alice"}}).Err(),
		"own changes":     alice.HSet(ctx, stream+":by:alice", "1-0", "{}").Err(),
		"undo own change": alice.HDel(ctx, stream+":by:alice", "1-0").Err(),
		"shared state":    alice.HSet(ctx, stream+":state", "1-0", "{}").Err(),
		"tell bob":        alice.ZAdd(ctx, k.DMInbox("bob"), redis.Z{Score: 1, Member: "alice\nx"}).Err(),
		"a function":      alice.FCallRO(ctx, "rtchat_nothing", []string{stream}).Err(),
		"whoami":          alice.Do(ctx, "ACL", "WHOAMI").Err(),
	}
	for what, err := range allowed {
		if err != nil && !(what == "a function" && strings.Contains(err.Error(), "Function not found")) {
			t.Errorf("alice may not %s: %v", what, err)
		}
	}
	// Each refusal is asked of Redis twice: ACL DRYRUN as the admin, and
	// the real command as alice.
	refused := map[string][]any{
		"write bob's keys":      {"HSET", k.SigningKeys("bob"), "id", "key"},
		"read bob's markers":    {"HGETALL", k.ReadMarks("bob")},
		"read bob's DMs list":   {"SMEMBERS", k.DMList("bob")},
		"probe bob's DMs list":  {"SADD", k.DMList("bob"), "carol"},
		"read bob's inbox":      {"ZRANGE", k.DMInbox("bob"), "0", "-1"},
		"empty bob's inbox":     {"DEL", k.DMInbox("bob")},
		"take from bob's inbox": {"ZREM", k.DMInbox("bob"), "x"},
		"break bob's inbox":     {"SET", k.DMInbox("bob"), "x"},
		"end bob's sessions":    {"ZREM", k.Online("bob"), "s1"},
		"expire bob's sessions": {"PEXPIRE", k.Online("bob"), "1"},
		"write bob's changes":   {"HSET", stream + ":by:bob", "1-0", "{}"},
		"undo bob's changes":    {"HDEL", stream + ":by:bob", "1-0"},
		"HDEL shared state":     {"HDEL", stream + ":state", "1-0"},
		"SET shared state":      {"SET", k.Stream("random") + ":state", "x"},
		"DEL a stream":          {"DEL", stream},
		"XDEL":                  {"XDEL", stream, "1-0"},
		"XTRIM":                 {"XTRIM", stream, "MAXLEN", "0"},
		"a DM of others":        {"XRANGE", k.DMStream("bob", "carol"), "-", "+"},
		"a lookalike name":      {"XRANGE", "dm:{bob,malice}", "-", "+"},
		"others' DM state":      {"HGETALL", k.DMStream("bob", "carol") + ":state"},
		"other keys":            {"SET", "other", "x"},
		"EVAL":                  {"EVAL", "while true do end", "0"},
		"EVAL_RO":               {"EVAL_RO", "return 1", "0"},
		"EVALSHA":               {"EVALSHA", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "0"},
		"SCRIPT LOAD":           {"SCRIPT", "LOAD", "return 1"},
		"FUNCTION LOAD":         {"FUNCTION", "LOAD", "#!lua name=x\nredis.register_function('x', function() while true do end end)"},
		"FUNCTION DELETE":       {"FUNCTION", "DELETE", "x"},
		"FUNCTION FLUSH":        {"FUNCTION", "FLUSH"},
		"KEYS":                  {"KEYS", "*"},
		"SCAN":                  {"SCAN", "0"},
		"FLUSHALL":              {"FLUSHALL"},
		"CONFIG":                {"CONFIG", "GET", "*"},
		"CLIENT KILL":           {"CLIENT", "KILL", "TYPE", "pubsub"},
		"CLIENT PAUSE":          {"CLIENT", "PAUSE", "1000"},
		"SHUTDOWN":              {"SHUTDOWN", "NOSAVE"},
	}
	for what, cmd := range refused {
		dry, err := a.DryRun(ctx, "alice", cmd...)
		if err != nil || dry == "OK" {
			t.Errorf("ACL DRYRUN says alice may %s: %q %v", what, dry, err)
		}
		if err := alice.Do(ctx, cmd...).Err(); !redis.HasErrorPrefix(err, "NOPERM") {
			t.Errorf("alice may %s: %v", what, err)
		}
	}
}

func TestPrivateChannelCommands(t *testing.T) {
	srv, a := setup(t, redistest.WithPassword("admin-secret"))
	ctx := context.Background()
	for _, n := range []string{"alice", "bob"} {
		if err := a.AddUser(ctx, n, n+"-pass"); err != nil {
			t.Fatal(err)
		}
	}
	for name, err := range map[string]error{
		"no members":  a.MakePrivate(ctx, "ops", "admin", nil),
		"bad name":    a.MakePrivate(ctx, "Ops!", "admin", []string{"alice"}),
		"no account":  a.MakePrivate(ctx, "ops", "admin", []string{"alice", "nobody"}),
		"not made":    a.AddMembers(ctx, "ghost", []string{"alice"}),
		"not made 2":  a.RemoveMembers(ctx, "ghost", []string{"alice"}),
		"bad member":  a.RemoveMembers(ctx, "ghost", []string{"A B"}),
		"bad account": a.MakePrivate(ctx, "ops", "admin", []string{"default"}),
	} {
		if err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if err := a.MakePrivate(ctx, "ops", "admin", []string{"nobody"}); !errors.Is(err, admin.ErrNoAccount) || !strings.Contains(err.Error(), "rtchat admin user add nobody") {
		t.Errorf("a member without an account: %v", err)
	}
	if err := a.MakePrivate(ctx, "ops", "admin", []string{"alice"}); err != nil {
		t.Fatal(err)
	}
	if err := a.MakePrivate(ctx, "ops", "admin", []string{"bob"}); !errors.Is(err, admin.ErrExists) {
		t.Errorf("made twice: %v", err)
	}
	k := chat.DefaultKeys()
	bob, _ := as(t, srv, "bob", "bob-pass")
	if err := bob.XRange(ctx, k.PrivateStream("ops"), "-", "+").Err(); !redis.HasErrorPrefix(err, "NOPERM") {
		t.Fatalf("bob reads a channel he is not in: %v", err)
	}
	if err := a.AddMembers(ctx, "ops", []string{"bob"}); err != nil {
		t.Fatal(err)
	}
	if err := bob.XRange(ctx, k.PrivateStream("ops"), "-", "+").Err(); err != nil {
		t.Fatalf("bob, now a member, may not read it: %v", err)
	}
	if err := a.DeleteUser(ctx, "bob"); err != nil {
		t.Fatal(err)
	}
	members, _ := srv.Client(t).SMembers(ctx, k.PrivateMembers("ops")).Result()
	if !slices.Equal(members, []string{"alice"}) {
		t.Fatalf("a deleted account stays a member: %v", members)
	}
}

// TestPersist: with an ACL file every change is saved there; without one
// the admin is told which nodes keep accounts only until a restart.
func TestPersist(t *testing.T) {
	aclfile := filepath.Join(t.TempDir(), "users.acl")
	if err := os.WriteFile(aclfile, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_, a := setup(t, redistest.WithConfig("aclfile "+aclfile))
	ctx := context.Background()
	if err := a.AddUser(ctx, "alice", "secret-pass"); err != nil {
		t.Fatal(err)
	}
	if unsaved, err := a.Persist(ctx); err != nil || len(unsaved) != 0 {
		t.Fatalf("persist: %v %v", unsaved, err)
	}
	b, _ := os.ReadFile(aclfile)
	if !strings.Contains(string(b), "user alice") || strings.Contains(string(b), "secret-pass") {
		t.Fatalf("the ACL file holds:\n%s", b)
	}

	srv2, b2 := setup(t)
	if unsaved, err := b2.Persist(ctx); err != nil || !slices.Equal(unsaved, []string{srv2.Addr}) {
		t.Fatalf("without an ACL file: %v %v", unsaved, err)
	}
}

// TestInstalledRulesAreTheRights: what Redis holds for an account (ACL
// GETUSER) is exactly admin.Rights: its root rules and one selector per
// other right, in order.
func TestInstalledRulesAreTheRights(t *testing.T) {
	srv, a := setup(t, redistest.WithPassword("admin-secret"))
	ctx := context.Background()
	if err := a.AddUser(ctx, "alice", "alice-pass"); err != nil {
		t.Fatal(err)
	}
	if err := a.MakePrivate(ctx, "ops", "admin", []string{"alice"}); err != nil {
		t.Fatal(err)
	}
	rights := admin.Rights(chat.DefaultKeys(), "alice", []string{"ops"})
	var root chat.Right
	var selectors []chat.Right
	for _, r := range rights {
		if r.Root {
			root.Keys, root.Channels, root.Commands = append(root.Keys, r.Keys...), append(root.Channels, r.Channels...), append(root.Commands, r.Commands...)
		} else {
			selectors = append(selectors, r)
		}
	}
	cmds := func(cs []string) string { return "-@all +" + strings.Join(cs, " +") }
	got, err := srv.Client(t).Do(ctx, "ACL", "GETUSER", "alice").Result()
	if err != nil {
		t.Fatal(err)
	}
	field := func(v any, name string) any { // a RESP3 map, or a RESP2 list of pairs
		if m, ok := v.(map[any]any); ok {
			if x, ok := m[name]; ok {
				return x
			}
		}
		kv, _ := v.([]any)
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i] == name {
				return kv[i+1]
			}
		}
		t.Fatalf("ACL GETUSER has no %s: %v", name, v)
		return nil
	}
	// Redis writes the root commands compactly (+@pubsub -pubsub|numsub
	// …): each one must be there, or one of its categories.
	rdb := srv.Client(t)
	c, _ := field(got, "commands").(string)
	tokens := map[string]bool{}
	for _, tok := range strings.Fields(c) {
		tokens[tok] = true
	}
	for _, want := range root.Commands {
		if tokens["+"+want] {
			delete(tokens, "+"+want)
			continue
		}
		name, sub, _ := strings.Cut(want, "|")
		info, err := rdb.Do(ctx, "COMMAND", "INFO", name).Slice()
		covered := false
		if err == nil && len(info) == 1 && sub == "" {
			if spec, ok := info[0].([]any); ok && len(spec) > 6 {
				cats, _ := spec[6].([]any)
				for _, cat := range cats {
					covered = covered || tokens["+"+fmt.Sprint(cat)]
				}
			}
		}
		if !covered {
			t.Errorf("root command %s is not installed: %s", want, c)
		}
	}
	for tok := range tokens {
		if strings.HasPrefix(tok, "+") && !strings.HasPrefix(tok, "+@") {
			t.Errorf("root command %s is installed but not a right", tok)
		}
	}
	if k := field(got, "keys"); k != strings.Join(root.Keys, " ") {
		t.Errorf("root keys:\n%v\nwant\n%v", k, strings.Join(root.Keys, " "))
	}
	if c := field(got, "channels"); c != strings.Join(root.Channels, " ") {
		t.Errorf("root channels:\n%v\nwant\n%v", c, strings.Join(root.Channels, " "))
	}
	sels, _ := field(got, "selectors").([]any)
	if len(sels) != len(selectors) {
		t.Fatalf("%d selectors installed, %d rights", len(sels), len(selectors))
	}
	for i, kv := range sels {
		want := selectors[i]
		c, _ := field(kv, "commands").(string)
		got, wanted := strings.Fields(c), strings.Fields(cmds(want.Commands))
		slices.Sort(got)
		slices.Sort(wanted)
		if !slices.Equal(got, wanted) || field(kv, "keys") != strings.Join(want.Keys, " ") || field(kv, "channels") != strings.Join(want.Channels, " ") {
			t.Errorf("selector %d: %v\nwant %v", i, kv, want)
		}
	}
}

// TestInstallMovesLegacyChanges: an edit and a delete that rtchat 0.1
// kept in the shared state reach their author's changes (and are gone
// from the shared state, where anyone could have removed them); reactions
// stay; running it again changes nothing.
func TestInstallMovesLegacyChanges(t *testing.T) {
	srv, a := setup(t, redistest.WithPassword("admin-secret"))
	ctx := context.Background()
	rdb := srv.Client(t)
	k := chat.DefaultKeys()
	stream := k.Stream("general")
	if err := rdb.HSet(ctx, k.Channel("general"), "id", "1", "name", "general").Err(); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, text := range []string{"edited", "deleted", "reacted"} {
		id, err := rdb.XAdd(ctx, &redis.XAddArgs{Stream: stream, Values: []any{"user", "alice", "text", text, "ts", "1", "mid", text, "channel_id", "1"}}).Result()
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	edit := `{"id":"9-1","t":"second","ts":"2","mid":"e1","k":"","s":""}`
	del := `{"id":"9-2","ts":"3","mid":"d1","k":"","s":""}`
	if err := rdb.HSet(ctx, stream+":state", ids[0], `{"e":`+edit+`,"r":{"👍":["bob"]}}`, ids[1], `{"d":`+del+`}`, ids[2], `{"r":{"🎉":["bob"]}}`).Err(); err != nil {
		t.Fatal(err)
	}
	done, err := a.Install(ctx, false)
	if err != nil || done.Moved != 2 || done.Library == "" {
		t.Fatalf("install: %+v %v", done, err)
	}
	state := rdb.HGetAll(ctx, stream+":state").Val()
	mine := rdb.HGetAll(ctx, stream+":by:alice").Val()
	if strings.Contains(state[ids[0]], `"e"`) || !strings.Contains(state[ids[0]], "👍") || state[ids[1]] != "" || !strings.Contains(state[ids[2]], "🎉") {
		t.Errorf("the shared state after install: %v", state)
	}
	if !strings.Contains(mine[ids[0]], `"second"`) || !strings.Contains(mine[ids[1]], `"d1"`) || len(mine) != 2 {
		t.Errorf("alice's changes after install: %v", mine)
	}
	c, err := chat.New(chat.Options{Redis: rdb, User: "reader"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.History(ctx, "general", chat.ID{})
	msgs := p.Messages
	if err != nil || len(msgs) != 3 {
		t.Fatalf("history: %v %v", msgs, err)
	}
	if msgs[0].State == nil || msgs[0].State.Edit == nil || msgs[0].State.Edit.Text != "second" || msgs[1].State == nil || msgs[1].State.Deleted == nil {
		t.Errorf("the moved changes do not read back: %+v %+v", msgs[0].State, msgs[1].State)
	}
	if again, err := a.Install(ctx, false); err != nil || again.Moved != 0 {
		t.Errorf("install again: %+v %v", again, err)
	}
	// --prune removes older libraries, not this one.
	if err := rdb.FunctionLoad(ctx, "#!lua name=rtchat_0000000000\nredis.register_function('rtchat_0000000000_x', function() return 1 end)").Err(); err != nil {
		t.Fatal(err)
	}
	pruned, err := a.Install(ctx, true)
	if err != nil || strings.Join(pruned.Pruned, " ") != "rtchat_0000000000" {
		t.Fatalf("prune: %+v %v", pruned, err)
	}
	if libs := rdb.FunctionList(ctx, redis.FunctionListQuery{}).Val(); len(libs) != 1 || libs[0].Name != pruned.Library {
		t.Errorf("libraries after prune: %v", libs)
	}
}

// TestInstallClaimsOldPrivateNames: a private channel made before private
// names were kept from public channels gets its name kept by install, so
// an account's /join of that name is refused instead of making a public
// channel beside it; a public channel already beside one is reported,
// not touched.
func TestInstallClaimsOldPrivateNames(t *testing.T) {
	srv, a := setup(t, redistest.WithPassword("admin-secret"))
	ctx := context.Background()
	rdb := srv.Client(t)
	k := chat.DefaultKeys()
	if err := a.AddUser(ctx, "alice", "alice-pass"); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"ops", "both"} {
		if err := a.MakePrivate(ctx, name, "admin", []string{"alice"}); err != nil {
			t.Fatal(err)
		}
		// As an older rtchat left it: no claim key, the claim a field of
		// the public hash (or, older still, nothing).
		if err := rdb.Del(ctx, k.PrivateClaim(name)).Err(); err != nil {
			t.Fatal(err)
		}
		if err := rdb.HSet(ctx, k.Channel(name), chat.LegacyPrivateField, "1").Err(); err != nil {
			t.Fatal(err)
		}
	}
	if err := rdb.HSet(ctx, k.Channel("both"), "id", "99", "name", "both").Err(); err != nil {
		t.Fatal(err)
	}
	done, err := a.Install(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(done.Claimed, []string{"ops"}) || !slices.Equal(done.Clashes, []string{"both"}) {
		t.Fatalf("claimed %v, clashes %v; want [ops] and [both]", done.Claimed, done.Clashes)
	}
	if h := rdb.HGetAll(ctx, k.Channel("both")).Val(); h["id"] != "99" || h["name"] != "both" || len(h) != 2 {
		t.Errorf("the public #both after install: %v (want its id and name, without the old claim)", h)
	}
	if rdb.Exists(ctx, k.Channel("ops")).Val() != 0 || rdb.Exists(ctx, k.PrivateClaim("ops")).Val() != 1 {
		t.Errorf("ops after install: the old claim's hash is there %d, the claim key %d", rdb.Exists(ctx, k.Channel("ops")).Val(), rdb.Exists(ctx, k.PrivateClaim("ops")).Val())
	}
	if err := a.AddUser(ctx, "carol", "carol-pass"); err != nil {
		t.Fatal(err)
	}
	carol, err := chat.New(chat.Options{Redis: srv.ClientAs(t, "carol", "carol-pass"), User: "carol"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { carol.Close() })
	if _, err := carol.Join(ctx, "ops"); !errors.Is(err, chat.ErrPrivateName) {
		t.Fatalf("carol's join of ops after install: %v, want ErrPrivateName", err)
	}
	if again, err := a.Install(ctx, false); err != nil || len(again.Claimed) != 0 {
		t.Errorf("install again: %+v %v", again, err)
	}
}
