package chat_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rtchat/rtchat/chat"
	"github.com/rtchat/rtchat/internal/redistest"
)

// TestSettingsReachEveryTerminal: a change in one terminal of a person
// reaches their other terminal as a SettingsEvent, and the next start
// reads it; what another tool wrote that does not decode is left out.
func TestSettingsReachEveryTerminal(t *testing.T) {
	_, rdb := startRedis(t)
	ctx := ctxT(t)
	one := newRecorder(t, rdb, "alice")
	two := newRecorder(t, rdb, "alice")
	other := newRecorder(t, rdb, "bob")
	for _, r := range []*recorder{one, two, other} {
		r.waitConnected()
	}
	until := time.Now().Add(time.Hour).Truncate(time.Millisecond)
	steps := []error{
		one.ChangeSettings(ctx, chat.SetLevel{Conv: "ops", Level: chat.LevelAll}),
		one.ChangeSettings(ctx, chat.SetLevel{Conv: "@bob", Level: chat.LevelMute}),
		one.ChangeSettings(ctx, chat.SetPinned{Conv: "ops", Pinned: true}),
		one.ChangeSettings(ctx, chat.SetHighlights{Words: []string{"Deploy", "deploy", "oncall"}}),
		one.ChangeSettings(ctx, chat.SetDND{Until: until}),
	}
	if err := errors.Join(steps...); err != nil {
		t.Fatal(err)
	}
	want := func(s chat.Settings) bool {
		return s.Level("ops") == chat.LevelAll && s.Level("@bob") == chat.LevelMute && s.Level("general") == chat.LevelMentions &&
			s.Pinned["ops"] && strings.Join(s.Highlights, ",") == "deploy,oncall" && s.DNDUntil.Equal(until)
	}
	two.waitFor(5*time.Second, "the settings in the other terminal", func() bool {
		return two.hasEvent(func(e chat.Event) bool { se, ok := e.(chat.SettingsEvent); return ok && want(se.Settings) })
	})
	if other.sawEvent(func(e chat.Event) bool { _, ok := e.(chat.SettingsEvent); return ok }) {
		t.Fatal("bob was told alice's settings")
	}
	// Back to the defaults: the fields go.
	if err := errors.Join(one.ChangeSettings(ctx, chat.SetLevel{Conv: "@bob", Level: chat.LevelMentions}), one.ChangeSettings(ctx, chat.SetPinned{Conv: "ops", Pinned: false}), one.ChangeSettings(ctx, chat.SetDND{Until: time.Time{}})); err != nil {
		t.Fatal(err)
	}
	// Another tool's garbage is skipped, not an error.
	key := chat.DefaultKeys().UserSettings("alice")
	if err := rdb.HSet(ctx, key, "notify:general", "loud", "notify:bad\x1bname", "all", "pin:ops", "yes", "highlights", "{not json", "dnd_until", "-5").Err(); err != nil {
		t.Fatal(err)
	}
	s, err := newRecorder(t, rdb, "alice").Settings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Levels) != 1 || s.Level("ops") != chat.LevelAll || len(s.Pinned) != 0 || s.Highlights != nil || !s.DNDUntil.IsZero() {
		t.Fatalf("settings after garbage: %+v", s)
	}
	// What cannot be stored says so.
	for _, err := range []error{
		one.ChangeSettings(ctx, chat.SetLevel{Conv: "ops", Level: "loud"}),
		one.ChangeSettings(ctx, chat.SetHighlights{Words: []string{"two words"}}),
		one.ChangeSettings(ctx, chat.SetHighlights{Words: []string{strings.Repeat("x", 65)}}),
	} {
		if !errors.Is(err, chat.ErrBadSetting) {
			t.Errorf("a bad setting: %v", err)
		}
	}
}

// TestAwayIsSeenByEveryone: away, with a message, reaches other people
// at once and is read by who starts later; back clears it.
func TestAwayIsSeenByEveryone(t *testing.T) {
	_, rdb := startRedis(t)
	ctx := ctxT(t)
	alice, bob := newRecorder(t, rdb, "alice"), newRecorder(t, rdb, "bob")
	alice.waitConnected()
	bob.waitConnected()
	if err := bob.SetAway(ctx, true, "lunch\n\x1b[31mred"); err != nil {
		t.Fatal(err)
	}
	alice.waitFor(5*time.Second, "bob away", func() bool {
		return alice.hasEvent(func(e chat.Event) bool {
			ae, ok := e.(chat.AwayEvent)
			return ok && ae.User == "bob" && ae.Away && !strings.ContainsRune(ae.Message, 0x1b) && strings.HasPrefix(ae.Message, "lunch")
		})
	})
	away, err := newRecorder(t, rdb, "carol").Away(ctx, []string{"alice", "bob", "no such/user"})
	if err != nil {
		t.Fatal(err)
	}
	if len(away) != 1 || !strings.HasPrefix(away["bob"], "lunch") {
		t.Fatalf("away = %q", away)
	}
	// /who in a direct conversation: the two people, and bob away.
	who, err := alice.Who(ctx, "@bob")
	if err != nil || strings.Join(who.Members, ",") != "alice,bob" || len(who.Online) != 2 || !strings.HasPrefix(who.Away["bob"], "lunch") {
		t.Fatalf("who in @bob: %+v, %v", who, err)
	}
	if err := bob.SetAway(ctx, false, ""); err != nil {
		t.Fatal(err)
	}
	alice.waitFor(5*time.Second, "bob back", func() bool {
		return alice.hasEvent(func(e chat.Event) bool { ae, ok := e.(chat.AwayEvent); return ok && ae.User == "bob" && !ae.Away })
	})
	if away, err := alice.Away(ctx, []string{"bob"}); err != nil || len(away) != 0 {
		t.Fatalf("after back: %q, %v", away, err)
	}
	if err := bob.SetAway(ctx, true, strings.Repeat("x", 201)); !errors.Is(err, chat.ErrBadSetting) {
		t.Fatalf("a long away message: %v", err)
	}
}

// TestSettingsAreThePersonsOwn: with accounts, a person's settings and
// away state are theirs to change; another account is refused.
func TestSettingsAreThePersonsOwn(t *testing.T) {
	redistest.SkipUnless(t, "redis-cli")
	a := newAccounts(t)
	for _, n := range []string{"alice", "mallory"} {
		a.add(n)
	}
	ctx := ctxT(t)
	alice := a.person("alice")
	if err := errors.Join(alice.ChangeSettings(ctx, chat.SetLevel{Conv: "general", Level: chat.LevelAll}), alice.SetAway(ctx, true, "")); err != nil {
		t.Fatalf("alice's own settings: %v", err)
	}
	for _, args := range [][]string{
		{"HSET", chat.DefaultKeys().UserSettings("alice"), "notify:general", "mute"},
		{"HSET", chat.DefaultKeys().User("alice"), "away", "1hacked"},
	} {
		if out := a.cli("mallory", args...); !strings.Contains(out, "NOPERM") {
			t.Errorf("mallory ran %v: %q", args, out)
		}
	}
}
