package chat_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rtchat/rtchat/chat"
	"github.com/rtchat/rtchat/internal/redistest"
)

// hitTexts are the conversations and texts of hits, in order.
func hitTexts(hits []chat.Message) []string {
	var out []string
	for _, m := range hits {
		out = append(out, m.Channel+" "+m.Text)
	}
	return out
}

// searchAll pages through a search everywhere, limit hits a page.
func searchAll(t *testing.T, c *chat.Client, query string, limit int) []string {
	t.Helper()
	q, err := chat.ParseQuery(query, time.Now())
	if err != nil {
		t.Fatalf("%q: %v", query, err)
	}
	var all []string
	var cur chat.SearchCursor
	for range 100 {
		res, err := c.SearchEverywhere(ctx(t), q, cur, limit)
		if err != nil {
			t.Fatalf("%q: %v", query, err)
		}
		if len(res.Hits) > limit {
			t.Fatalf("%q: %d hits on a page of %d", query, len(res.Hits), limit)
		}
		all = append(all, hitTexts(res.Hits)...)
		if res.Done {
			return all
		}
		cur = res.Next
	}
	t.Fatalf("%q: never done", query)
	return nil
}

func ctx(t *testing.T) context.Context { return ctxT(t) }

// A search everywhere finds, newest first across conversations and
// pages, what the person may read — public channels, their private
// channels, their direct conversations — with words ANDed, phrases and
// Slack's filters; a private channel of others is never searched, even
// when the person lists it as theirs (their own key), with real ACL
// users.
func TestSearchEverywhere(t *testing.T) {
	a := withAccounts(t, "alice", "bob", "carol")
	c := ctxT(t)
	if err := a.adm.MakePrivate(c, "secret", "admin", []string{"bob", "carol"}); err != nil {
		t.Fatal(err)
	}
	if err := a.adm.MakePrivate(c, "team", "admin", []string{"alice", "bob"}); err != nil {
		t.Fatal(err)
	}
	alice, bob := a.joinedAs(c, "alice", "general"), a.joinedAs(c, "bob", "general")
	for _, conv := range []string{"ops", "+team", "@bob"} { // as the window opens them
		if _, err := alice.Join(c, conv); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := bob.Join(c, "+secret"); err != nil {
		t.Fatal(err)
	}
	say := func(r *chat.Client, conv, text string) chat.Sent {
		t.Helper()
		s, err := r.BroadcastMessage(c, conv, text)
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Millisecond) // each its own millisecond: a clear order
		return s
	}
	say(bob.Client, "general", "the deploy went out")
	say(alice.Client, "ops", "Deploy FAILED: disk full on db-2")
	say(bob.Client, "+secret", "secret deploy plan")
	root := say(bob.Client, "+team", "team deploy at noon, see https://wiki.example/deploy")
	say(alice.Client, "@bob", "did the deploy fail? the disk is full")
	if _, err := alice.Broadcast(c, chat.Draft{Channel: "+team", Text: "deploy moved to two", Thread: root.ID}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Millisecond)
	if _, err := bob.SendFile(c, chat.Upload{Channel: "general", Name: "deploy.log", Size: 5, Body: strings.NewReader("hello")}); err != nil {
		t.Fatal(err)
	}
	say(bob.Client, "general", "lunch?")

	all := []string{"general ", "+team deploy moved to two", "@bob did the deploy fail? the disk is full",
		"+team team deploy at noon, see https://wiki.example/deploy", "ops Deploy FAILED: disk full on db-2", "general the deploy went out"}
	for _, limit := range []int{1, 2, 50} { // across pages, the same order
		if got := searchAll(t, alice.Client, "deploy", limit); !slices.Equal(got, all) {
			t.Fatalf("deploy, %d a page:\n got %q\nwant %q", limit, got, all)
		}
	}
	for query, want := range map[string][]string{
		`disk full`:             {"@bob did the deploy fail? the disk is full", "ops Deploy FAILED: disk full on db-2"},
		`"disk full"`:           {"ops Deploy FAILED: disk full on db-2"},
		`deploy from:bob`:       {"general ", "+team team deploy at noon, see https://wiki.example/deploy", "general the deploy went out"},
		`deploy in:#ops`:        {"ops Deploy FAILED: disk full on db-2"},
		`in:#team in:@bob fail`: {"@bob did the deploy fail? the disk is full"},
		`has:link`:              {"+team team deploy at noon, see https://wiki.example/deploy"},
		`has:file`:              {"general "},
		`deploy.log`:            {"general "},
		`is:thread`:             {"+team deploy moved to two"},
		`deploy before:today`:   nil,
		`lunch on:today`:        {"general lunch?"},
		`lunch after:yesterday`: {"general lunch?"},
		`nothing-like-this`:     nil,
	} {
		if got := searchAll(t, alice.Client, query, 50); !slices.Equal(got, want) {
			t.Errorf("%s:\n got %q\nwant %q", query, got, want)
		}
	}
	// bob finds his secret channel; alice never does, even listing it
	// as hers (her own key, which she may write).
	if got := searchAll(t, bob.Client, "secret", 50); !slices.Equal(got, []string{"+secret secret deploy plan"}) {
		t.Fatalf("bob: %q", got)
	}
	if got := searchAll(t, alice.Client, "secret", 50); len(got) != 0 {
		t.Fatalf("alice found %q", got)
	}
	q, _ := chat.ParseQuery("plan in:#secret", time.Now())
	if _, err := alice.SearchEverywhere(c, q, chat.SearchCursor{}, 10); !errors.Is(err, chat.ErrBadQuery) || !strings.Contains(err.Error(), "not one of yours") {
		t.Fatalf("in:#secret as alice: %v", err)
	}
}

// Without accounts, nothing stops a person from listing another's private
// channel as theirs; the search still leaves it out, as its members do
// not name them.
func TestSearchEverywhereWithoutAccounts(t *testing.T) {
	rdb := redistest.Start(t).Client(t)
	c := ctxT(t)
	bob := newRecorder(t, rdb, "bob", func(o *chat.Options) { o.Signer = chat.NewSigner() })
	alice := newRecorder(t, rdb, "alice", func(o *chat.Options) { o.Signer = chat.NewSigner() })
	k := chat.DefaultKeys()
	rdb.HSet(c, k.PrivateChannel("secret"), "id", "77", "name", "secret")
	rdb.SAdd(c, k.PrivateMembers("secret"), "bob")
	rdb.SAdd(c, k.UserPrivate("bob"), "secret")
	if _, err := bob.BroadcastMessage(c, "+secret", "secret plan"); err != nil {
		t.Fatal(err)
	}
	if got := searchAll(t, bob.Client, "plan", 10); !slices.Equal(got, []string{"+secret secret plan"}) {
		t.Fatalf("bob: %q", got)
	}
	rdb.SAdd(c, k.UserPrivate("alice"), "secret") // alice's own list
	if got := searchAll(t, alice.Client, "plan", 10); len(got) != 0 {
		t.Fatalf("alice found %q", got)
	}
}

// Queries are read as Slack's; what is wrong says what to write.
func TestParseQuery(t *testing.T) {
	now := time.Date(2026, 12, 7, 15, 0, 0, 0, time.Local)
	q, err := chat.ParseQuery(`Deploy "Disk  Full" from:@alice in:#ops in:@bob after:2026-11-01 before:today has:link has:file is:thread`, now)
	if err != nil {
		t.Fatal(err)
	}
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.Local) }
	if !slices.Equal(q.Terms, []string{"deploy", "disk full"}) || q.From != "alice" || !slices.Equal(q.In, []string{"ops", "@bob"}) ||
		!q.After.Equal(day(2026, 11, 2)) || !q.Before.Equal(day(2026, 12, 7)) || !q.HasLink || !q.HasFile || !q.IsThread {
		t.Fatalf("%+v", q)
	}
	if q, _ := chat.ParseQuery("on:yesterday", now); !q.After.Equal(day(2026, 12, 6)) || !q.Before.Equal(day(2026, 12, 7)) {
		t.Fatalf("on:yesterday: %+v", q)
	}
	if q, _ := chat.ParseQuery("http://x.example/a:b", now); !slices.Equal(q.Terms, []string{"http://x.example/a:b"}) {
		t.Fatalf("a URL is a word: %+v", q)
	}
	for query, want := range map[string]string{
		"":                         "give words",
		"has:cat":                  "has:cat is not a filter",
		"before:soon":              "not a date",
		"from:Not!A!Name":          "not a user name",
		"in:#bad!name":             "not a channel",
		"after:today before:today": "no day is both",
	} {
		if _, err := chat.ParseQuery(query, now); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", query, err, want)
		}
	}
}
