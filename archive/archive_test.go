package archive_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rtchat/rtchat/admin"
	"github.com/rtchat/rtchat/archive"
	"github.com/rtchat/rtchat/chat"
	"github.com/rtchat/rtchat/internal/chattest"
	"github.com/rtchat/rtchat/internal/redistest"
)

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func open(t *testing.T, path string, maxBytes int64) *archive.Archive {
	t.Helper()
	a, err := archive.Open(path, maxBytes)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Close() })
	return a
}

// keeping starts a client of user on rdb with a as its index, kept as
// the window keeps it (archive.Keep), its events read.
func keeping(t *testing.T, rdb redis.UniversalClient, user string, a *archive.Archive, tweak ...func(*chat.Options)) *chat.Client {
	t.Helper()
	c := chattest.Start(t, chat.Options{Redis: rdb, User: user, Index: a, AutoJoin: true}, tweak...)
	ctx, cancel := context.WithCancel(context.Background())
	kept := archive.Keep(ctx, c, a, nil)
	go func() {
		for range kept.Events() {
		}
	}()
	t.Cleanup(func() { cancel(); kept.Wait() })
	return c
}

// withChannels connects to srv and starts alice's client, which makes
// the channels named.
func withChannels(t *testing.T, srv *redistest.Server, names ...string) (*redis.Client, *chat.Client) {
	t.Helper()
	rdb := srv.Client(t)
	alice := chattest.Start(t, chat.Options{Redis: rdb, User: "alice"})
	chattest.Drain(alice)
	for _, name := range names {
		if _, _, err := alice.CreateChannel(ctxT(t), name, ""); err != nil {
			t.Fatal(err)
		}
	}
	return rdb, alice
}

func say(t *testing.T, c *chat.Client, conv, text string) chat.ID {
	t.Helper()
	s, err := c.Broadcast(ctxT(t), chat.Draft{Channel: conv, Text: text})
	if err != nil {
		t.Fatal(err)
	}
	return s.ID
}

func query(t *testing.T, s string) chat.Query {
	t.Helper()
	q, err := chat.ParseQuery(s, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// searchAll reads every page of q.
func searchAll(t *testing.T, c *chat.Client, q chat.Query) (hits []chat.Message, local, scanned int, offline bool) {
	t.Helper()
	var cur chat.SearchCursor
	for {
		res, err := c.SearchEverywhere(ctxT(t), q, cur, 7)
		if err != nil {
			t.Fatal(err)
		}
		hits = append(hits, res.Hits...)
		local += res.Local
		scanned += res.Scanned
		offline = offline || res.Offline
		if res.Done {
			return hits, local, scanned, offline
		}
		cur = res.Next
	}
}

func ids(msgs []chat.Message) []string {
	var out []string
	for _, m := range msgs {
		out = append(out, m.Channel+"/"+m.ID.String()+"/"+m.Current())
	}
	return out
}

// sameHits says whether got and want hold the same messages, and got
// is newest first (messages of the same id in two conversations may come
// in either order).
func sameHits(got, want []chat.Message) bool {
	for i := 1; i < len(got); i++ {
		if got[i].ID.After(got[i-1].ID) {
			fmt.Println("order", i, ids(got[i-1:i+1]))
			return false
		}
	}
	a, b := ids(got), ids(want)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func holdsThrough(t *testing.T, a *archive.Archive, conv string, want chat.ID) {
	t.Helper()
	holdsThroughWithin(t, a, conv, want, 20*time.Second)
}

func holdsThroughWithin(t *testing.T, a *archive.Archive, conv string, want chat.ID, within time.Duration) {
	t.Helper()
	redistest.Eventually(t, within, "the archive to hold "+conv+" through "+want.String(), func() error {
		if _, through, ok := a.Holds(conv); !ok || through != want {
			return fmt.Errorf("holds %v through %s", ok, through)
		}
		return nil
	})
}

// The archive fills from history in the background, then grows with the
// live messages; a search reads it instead of the server for what it
// holds, and finds the same as a search of the server alone.
func TestFillLiveAndSearch(t *testing.T) {
	rdb, alice := withChannels(t, redistest.Start(t), "ops")
	ctx := ctxT(t)
	var last chat.ID
	for i := range 1203 {
		text := fmt.Sprintf("deploy step %d went fine", i)
		if i%400 == 7 {
			text = fmt.Sprintf("zanzibar rollout %d", i)
		}
		last = say(t, alice, "ops", text)
	}
	path := filepath.Join(t.TempDir(), "archive.db")
	a := open(t, path, 0)
	bob := keeping(t, rdb, "bob", a)
	if _, err := bob.Join(ctx, "ops"); err != nil {
		t.Fatal(err)
	}
	holdsThrough(t, a, "ops", last)
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("archive file %v, %v: want it readable by its owner only", fi.Mode(), err)
	}

	plain := chattest.Start(t, chat.Options{Redis: rdb, User: "carol"})
	chattest.Drain(plain)
	want, _, _, _ := searchAll(t, plain, query(t, "zanzibar"))
	got, local, scanned, _ := searchAll(t, bob, query(t, "zanzibar"))
	if len(want) != 3 || !slices.Equal(ids(got), ids(want)) {
		t.Fatalf("with the archive: %v\nthe server alone: %v", ids(got), ids(want))
	}
	if local != 3 || scanned > 2 {
		t.Fatalf("%d hits came from the archive and %d entries were scanned on the server; want 3 and none", local, scanned)
	}

	// Live: the part held grows as messages come.
	live := say(t, alice, "ops", "zanzibar live")
	holdsThrough(t, a, "ops", live)
	got, local, _, _ = searchAll(t, bob, query(t, "zanzibar"))
	if len(got) != 4 || got[0].ID != live || local != 4 {
		t.Fatalf("after a live one: %v (%d local)", ids(got), local)
	}

	// An edit changes the archive's copy; a delete removes it.
	edit, err := alice.Broadcast(ctx, chat.Draft{Channel: "ops", Kind: chat.KindEdit, Ref: got[1].ID, Text: "nothing to see"})
	if err != nil {
		t.Fatal(err)
	}
	secret := say(t, alice, "ops", "the launch code is swordfish-4471")
	holdsThrough(t, a, "ops", secret)
	del, err := alice.Broadcast(ctx, chat.Draft{Channel: "ops", Kind: chat.KindDelete, Ref: secret})
	if err != nil {
		t.Fatal(err)
	}
	holdsThrough(t, a, "ops", del.ID)
	_ = edit
	direct, err := a.Search(ctx, query(t, "zanzibar"), []string{"ops"}, chat.IndexMark{}, 50)
	if err != nil {
		t.Fatal(err)
	}
	if len(direct) != 3 {
		t.Fatalf("the archive finds %v after an edit took one away", ids(direct))
	}
	if edited, _ := a.Search(ctx, query(t, "nothing to see"), []string{"ops"}, chat.IndexMark{}, 50); len(edited) != 1 || edited[0].State == nil || edited[0].State.Edit == nil {
		t.Fatalf("the edited text: %v", ids(edited))
	}
	if gone, _ := a.Search(ctx, query(t, "swordfish"), []string{"ops"}, chat.IndexMark{}, 50); len(gone) != 0 {
		t.Fatalf("a deleted message is still found: %v", ids(gone))
	}
	for _, f := range []string{path, path + "-wal"} {
		b, err := os.ReadFile(f)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		if strings.Contains(string(b), "launch code is swordfish") {
			t.Fatalf("%s still holds a deleted message's text", filepath.Base(f))
		}
	}
}

// A search with the archive holding only a middle part of a
// conversation finds exactly what the server alone finds, in the same
// order, with filters, across conversations.
func TestPartialHoldMergesWithServer(t *testing.T) {
	rdb, alice := withChannels(t, redistest.Start(t), "ops", "dev")
	ctx := ctxT(t)
	bobC := chattest.Start(t, chat.Options{Redis: rdb, User: "bob"})
	chattest.Drain(bobC)
	for i := range 300 {
		ch, who := "ops", alice
		if i%3 == 0 {
			ch = "dev"
		}
		if i%5 == 0 {
			who = bobC
		}
		say(t, who, ch, fmt.Sprintf("build %d of api is green", i))
	}
	a := open(t, filepath.Join(t.TempDir(), "a.db"), 0)
	// Hold ops's entries 100..199 only, as a fill stopped half way after
	// a trim would.
	msgs, err := alice.ConsumeMessages(ctx, "ops", chat.ID{}, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Store(ctx, "ops", msgs[100:200], msgs[100].ID, msgs[199].ID); err != nil {
		t.Fatal(err)
	}
	carol := chattest.Start(t, chat.Options{Redis: rdb, User: "carol", Index: a})
	chattest.Drain(carol)
	plain := chattest.Start(t, chat.Options{Redis: rdb, User: "dave"})
	chattest.Drain(plain)
	for _, s := range []string{"build", "green from:bob", "api in:#ops", "\"of api\""} {
		want, _, _, _ := searchAll(t, plain, query(t, s))
		got, local, _, _ := searchAll(t, carol, query(t, s))
		if !sameHits(got, want) {
			t.Fatalf("%s: with the archive %d hits, the server alone %d", s, len(got), len(want))
		}
		if local == 0 {
			t.Fatalf("%s: nothing came from the archive", s)
		}
	}
}

// When the server does not answer, the archive alone is searched, and
// the results say so.
func TestOfflineSearch(t *testing.T) {
	srv := redistest.Start(t, redistest.RealOnly())
	rdb, alice := withChannels(t, srv, "ops")
	ctx := ctxT(t)
	var last chat.ID
	for i := range 30 {
		last = say(t, alice, "ops", fmt.Sprintf("note %d about the zanzibar release", i))
	}
	a := open(t, filepath.Join(t.TempDir(), "a.db"), 0)
	bob := keeping(t, rdb, "bob", a)
	if _, err := bob.Join(ctx, "ops"); err != nil {
		t.Fatal(err)
	}
	holdsThrough(t, a, "ops", last)
	srv.Kill()
	got, _, _, offline := searchAll(t, bob, query(t, "zanzibar in:#ops"))
	if !offline || len(got) != 30 || got[0].ID != last {
		t.Fatalf("offline: %v, %d hits (first %v)", offline, len(got), ids(got[:min(1, len(got))]))
	}
}

// The archive stays within its bound; what it dropped is searched on the
// server, so the results do not change.
func TestBoundedArchive(t *testing.T) {
	rdb, alice := withChannels(t, redistest.Start(t), "ops")
	ctx := ctxT(t)
	var last chat.ID
	for i := range 3000 {
		text := fmt.Sprintf("entry %d of a long day, with some words to make it weigh more than a short line would, so that a few thousand of them fill the bound", i)
		if i%50 == 0 {
			text += " zanzibar"
		}
		last = say(t, alice, "ops", text)
	}
	const bound = 256 << 10
	a := open(t, filepath.Join(t.TempDir(), "a.db"), bound)
	bob := keeping(t, rdb, "bob", a)
	if _, err := bob.Join(ctx, "ops"); err != nil {
		t.Fatal(err)
	}
	holdsThroughWithin(t, a, "ops", last, time.Minute) // SQLite is slow under -race
	if err := a.Trim(ctx); err != nil {
		t.Fatal(err)
	}
	size, err := a.Size(ctx)
	if err != nil {
		t.Fatal(err)
	}
	from, _, _ := a.Holds("ops")
	if size > bound || from.IsZero() {
		t.Fatalf("size %d (bound %d), holds from %v: want the oldest dropped", size, bound, from)
	}
	plain := chattest.Start(t, chat.Options{Redis: rdb, User: "carol"})
	chattest.Drain(plain)
	for _, s := range []string{"zanzibar", "zanzibar from:alice", "\"long day\" zanzibar"} {
		want, _, _, _ := searchAll(t, plain, query(t, s))
		got, local, scanned, _ := searchAll(t, bob, query(t, s))
		if !sameHits(got, want) || local == 0 || scanned == 0 {
			t.Fatalf("%s: %d hits (%d local, %d scanned), the server alone %d", s, len(got), local, scanned, len(want))
		}
	}
}

// With real ACL users: a private channel's copy goes when its member is
// taken out (while the window runs, and while it did not: at the next
// start), and a search never shows what the account may not read, even
// from a copy kept before.
func TestPrivateChannelRemoval(t *testing.T) {
	srv := redistest.Start(t, redistest.RealOnly(), redistest.WithPassword("admin-secret"))
	rdb := srv.Client(t)
	ctx := ctxT(t)
	adm := admin.New(rdb, chat.DefaultKeys())
	pw := map[string]string{}
	for _, n := range []string{"alice", "bob"} {
		pw[n] = admin.GeneratePassword()
		if err := adm.AddUser(ctx, n, pw[n]); err != nil {
			t.Fatal(err)
		}
	}
	as := func(n string) redis.UniversalClient { return srv.ClientAs(t, n, pw[n]) }
	accounts := func(o *chat.Options) { o.Accounts = true }
	if err := adm.MakePrivate(ctx, "secret", "alice", []string{"alice", "bob"}); err != nil {
		t.Fatal(err)
	}
	alice := chattest.Start(t, chat.Options{Redis: as("alice"), User: "alice"}, accounts)
	chattest.Drain(alice)
	var last chat.ID
	for i := range 20 {
		last = say(t, alice, chat.Private("secret"), fmt.Sprintf("merger plan %d", i))
	}
	path := filepath.Join(t.TempDir(), "bob.db")
	a := open(t, path, 0)
	bob := keeping(t, as("bob"), "bob", a, accounts)
	if _, err := bob.Join(ctx, chat.Private("secret")); err != nil {
		t.Fatal(err)
	}
	holdsThrough(t, a, chat.Private("secret"), last)
	if got, local, _, _ := searchAll(t, bob, query(t, "merger")); len(got) != 20 || local != 20 {
		t.Fatalf("a member finds %d (%d local)", len(got), local)
	}
	if err := adm.RemoveMembers(ctx, "secret", []string{"bob"}); err != nil {
		t.Fatal(err)
	}
	redistest.Eventually(t, 20*time.Second, "the copy of +secret to go", func() error {
		if _, _, ok := a.Holds(chat.Private("secret")); ok {
			return fmt.Errorf("still held")
		}
		if hits, _ := a.Search(ctx, query(t, "merger"), []string{chat.Private("secret")}, chat.IndexMark{}, 50); len(hits) != 0 {
			return fmt.Errorf("%d still found", len(hits))
		}
		return nil
	})
	if got, _, _, _ := searchAll(t, bob, query(t, "merger")); len(got) != 0 {
		t.Fatalf("a non-member finds %v", ids(got))
	}

	// A copy kept while bob was a member (an archive from before): never
	// shown once he is not.
	if err := adm.AddMembers(ctx, "secret", []string{"bob"}); err != nil {
		t.Fatal(err)
	}
	msgs, err := alice.ConsumeMessages(ctx, chat.Private("secret"), chat.ID{}, 100)
	if err != nil {
		t.Fatal(err)
	}
	old := open(t, filepath.Join(t.TempDir(), "old.db"), 0)
	if err := old.Store(ctx, chat.Private("secret"), msgs, chat.ID{}, msgs[len(msgs)-1].ID); err != nil {
		t.Fatal(err)
	}
	if err := adm.RemoveMembers(ctx, "secret", []string{"bob"}); err != nil {
		t.Fatal(err)
	}
	again := chattest.Start(t, chat.Options{Redis: as("bob"), User: "bob", Index: old}, accounts)
	chattest.Drain(again)
	if got, _, _, _ := searchAll(t, again, query(t, "merger")); len(got) != 0 {
		t.Fatalf("a copy from before is shown to a non-member: %v", ids(got))
	}
	if err := archive.Reconcile(ctx, old, again); err != nil {
		t.Fatal(err)
	}
	if slices.Contains(old.Conversations(), chat.Private("secret")) {
		t.Fatal("the copy from before was kept at the next start")
	}
}

// A live entry that is not in the stream never changes the archive: an
// edit forged on a channel's topic (in alice's name, chained onto the last
// real message, as anyone who may publish there can) leaves her message
// as she wrote it, and a forged message goes once the stream says so.
func TestForgedLiveEditLeavesTheArchiveAlone(t *testing.T) {
	rdb, alice := withChannels(t, redistest.Start(t), "ops")
	ctx := ctxT(t)
	first := say(t, alice, "ops", "the rollout is at noon")
	last := say(t, alice, "ops", "bring coffee")
	a := open(t, filepath.Join(t.TempDir(), "a.db"), 0)
	bob := keeping(t, rdb, "bob", a)
	if _, err := bob.Join(ctx, "ops"); err != nil {
		t.Fatal(err)
	}
	holdsThrough(t, a, "ops", last)
	field := func(name, value string) string { return fmt.Sprintf("%s:%d:%s", name, len(value), value) }
	forged := chat.ID{MS: last.MS, Seq: last.Seq + 1}
	body := field("mid", "m") + field("user", "alice") + field("ts", "1") + field("text", "FORGED the rollout is off") +
		field("kind", "edit") + field("ref", first.String())
	if err := rdb.Publish(ctx, chat.DefaultKeys().Topic("ops"), "v2\n"+forged.String()+"\n"+last.String()+"\n"+body).Err(); err != nil {
		t.Fatal(err)
	}
	next := say(t, alice, "ops", "see you there")
	holdsThrough(t, a, "ops", next)
	if hits, _ := a.Search(ctx, query(t, "forged"), []string{"ops"}, chat.IndexMark{}, 10); len(hits) != 0 {
		t.Fatalf("a forged edit reached the archive: %v", ids(hits))
	}
	if hits, _ := a.Search(ctx, query(t, "rollout noon"), []string{"ops"}, chat.IndexMark{}, 10); len(hits) != 1 {
		t.Fatalf("alice's message as she wrote it: %v", ids(hits))
	}
	// A made-up message the archive kept (taken live before the stream
	// was read) is never shown as a search hit: the server is asked again,
	// and an older entry is still there, so it was never in the stream.
	madeUp := chat.Message{ID: chat.ID{MS: first.MS, Seq: first.Seq + 1}, Channel: "ops", User: "alice", Text: "FORGED pay the invoice", Time: time.Now()}
	if madeUp.ID == last {
		madeUp.ID.Seq += 1000
	}
	if err := a.Store(ctx, "ops", []chat.Message{madeUp}, chat.ID{}, chat.ID{}); err != nil {
		t.Fatal(err)
	}
	if hits, _ := a.Search(ctx, query(t, "invoice"), []string{"ops"}, chat.IndexMark{}, 10); len(hits) != 1 {
		t.Fatalf("the made-up message is not in the archive: %v", ids(hits))
	}
	if got, _, _, _ := searchAll(t, bob, query(t, "invoice")); len(got) != 0 {
		t.Fatalf("a made-up message is shown: %v", ids(got))
	}
}

// The name a hook gave its message is kept with it, and comes back from
// the archive as the server gives it (shown "Prometheus (via hook
// alertmanager)" offline too); an archive made before that was kept
// gains the column and keeps its rows.
func TestArchiveKeepsAHooksNameForItsMessage(t *testing.T) {
	ctx := ctxT(t)
	path := filepath.Join(t.TempDir(), "a.db")
	// The msgs table as archives had it before (no aid), with a row.
	old, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`CREATE TABLE msgs (rid INTEGER PRIMARY KEY, ms INTEGER NOT NULL, seq INTEGER NOT NULL, cid INTEGER NOT NULL,
			uid INTEGER NOT NULL, kid INTEGER NOT NULL, ts INTEGER NOT NULL, text TEXT NOT NULL, file TEXT, thread TEXT, flags INTEGER NOT NULL)`,
		`CREATE TABLE convs (cid INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, from_id TEXT NOT NULL DEFAULT '', through_id TEXT NOT NULL DEFAULT '')`,
		`CREATE TABLE ids (n INTEGER PRIMARY KEY, s TEXT NOT NULL UNIQUE)`,
		`INSERT INTO convs (cid, name) VALUES (1, 'alerts')`,
		`INSERT INTO ids (n, s) VALUES (1, 'u:alice')`,
		`INSERT INTO msgs (ms, seq, cid, uid, kid, ts, text, flags) VALUES (1000, 0, 1, 1, 0, 0, 'kept before', 0)`,
	} {
		if _, err := old.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	old.Close()

	a := open(t, path, 0)
	at := time.UnixMilli(2000)
	msgs := []chat.Message{
		{ID: chat.ID{MS: 2000}, Channel: "alerts", User: chat.HookAuthor("alertmanager"), As: "🚨 Prometheus", Text: "disk full", Time: at},
		{ID: chat.ID{MS: 2001}, Channel: "alerts", User: "bob", Text: "on it", Time: at},
	}
	if err := a.Store(ctx, "alerts", msgs, chat.ID{MS: 1000}, chat.ID{MS: 2001}); err != nil {
		t.Fatal(err)
	}
	check := func(a *archive.Archive) {
		t.Helper()
		var got []chat.Message
		if err := a.Each(ctx, "alerts", time.Time{}, func(m chat.Message) error { got = append(got, m); return nil }); err != nil {
			t.Fatal(err)
		}
		if len(got) != 3 || got[0].Text != "kept before" || got[0].User != "alice" || got[0].As != "" {
			t.Fatalf("kept: %+v", got)
		}
		if got[1].User != msgs[0].User || got[1].As != "🚨 Prometheus" || got[2].User != "bob" || got[2].As != "" {
			t.Fatalf("read back as %q %q, %q %q", got[1].User, got[1].As, got[2].User, got[2].As)
		}
		if shown := chat.ShownName(got[1].User, got[1].As); shown != "🚨 Prometheus (via hook alertmanager)" {
			t.Fatalf("shown as %q", shown)
		}
	}
	check(a)
	_ = a.Close()
	check(open(t, path, 0)) // and again, opened anew
}
