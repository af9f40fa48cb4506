package chat_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/rtchat/rtchat/chat"
)

func TestChannelManager(t *testing.T) {
	_, rdb := startRedis(t)
	ctx := ctxT(t)
	m := chat.NewChannelManager(rdb, chat.DefaultKeys())

	ch, created, err := m.Create(ctx, "general", "all hands", "alice")
	if err != nil || !created {
		t.Fatalf("Create = %v, %v, %v", ch, created, err)
	}
	if ch.ID == "" || ch.Name != "general" || ch.Description != "all hands" || ch.CreatedBy != "alice" || ch.Created.IsZero() {
		t.Fatalf("created channel = %+v", ch)
	}
	again, created, err := m.Create(ctx, "general", "other", "bob")
	if err != nil || created || again.ID != ch.ID || again.Description != "all hands" {
		t.Fatalf("second Create = %+v, %v, %v; want the first channel unchanged", again, created, err)
	}
	if _, _, err := m.Create(ctx, "Bad Name", "", "alice"); !errors.Is(err, chat.ErrInvalidName) {
		t.Fatalf("Create(bad name) err = %v", err)
	}
	if err := m.UpdateDescription(ctx, "general", "new topic"); err != nil {
		t.Fatal(err)
	}
	if got, _ := m.Get(ctx, "general"); got.Description != "new topic" {
		t.Fatalf("description = %q", got.Description)
	}
	if err := m.UpdateDescription(ctx, "nope", "x"); !errors.Is(err, chat.ErrNoSuchChannel) {
		t.Fatalf("UpdateDescription(missing) err = %v", err)
	}
	if _, err := m.Get(ctx, "nope"); !errors.Is(err, chat.ErrNoSuchChannel) {
		t.Fatalf("Get(missing) err = %v", err)
	}
	if _, _, err := m.Create(ctx, "random", "", "bob"); err != nil {
		t.Fatal(err)
	}
	list, err := m.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range list {
		names = append(names, c.Name)
	}
	if !slices.Equal(names, []string{"general", "random"}) {
		t.Fatalf("List names = %v", names)
	}

	subs := chat.NewSubscriptionManager(rdb, chat.DefaultKeys())
	if _, err := subs.Add(ctx, "bob", "general"); err != nil {
		t.Fatal(err)
	}
	if err := m.Delete(ctx, "general", "bob"); !errors.Is(err, chat.ErrNotOwner) {
		t.Fatalf("Delete by non-creator err = %v", err)
	}
	if err := m.Delete(ctx, "general", "alice"); err != nil {
		t.Fatal(err)
	}
	k := chat.DefaultKeys()
	if n := rdb.Exists(ctx, k.Channel("general"), k.Stream("general"), k.Members("general")).Val(); n != 0 {
		t.Fatalf("%d keys of the deleted channel remain", n)
	}
	if chs, _ := subs.Channels(ctx, "bob"); slices.Contains(chs, "general") {
		t.Fatalf("bob still lists the deleted channel: %v", chs)
	}
	if list, _ := m.List(ctx); len(list) != 1 || list[0].Name != "random" {
		t.Fatalf("List after delete = %+v", list)
	}
}

func TestSubscriptionManager(t *testing.T) {
	_, rdb := startRedis(t)
	ctx := ctxT(t)
	s := chat.NewSubscriptionManager(rdb, chat.DefaultKeys())
	for _, u := range []string{"alice", "bob"} {
		if _, err := s.Add(ctx, u, "general"); err != nil {
			t.Fatal(err)
		}
	}
	n, err := s.Add(ctx, "alice", "random")
	if err != nil || n != 1 {
		t.Fatalf("Add = %d, %v", n, err)
	}
	if m, _ := s.Members(ctx, "general"); !slices.Equal(m, []string{"alice", "bob"}) {
		t.Fatalf("Members = %v", m)
	}
	if c, _ := s.Channels(ctx, "alice"); !slices.Equal(c, []string{"general", "random"}) {
		t.Fatalf("Channels = %v", c)
	}
	if err := s.Remove(ctx, "alice", "general"); err != nil {
		t.Fatal(err)
	}
	if m, _ := s.Members(ctx, "general"); !slices.Equal(m, []string{"bob"}) {
		t.Fatalf("Members after Remove = %v", m)
	}
	if _, err := s.Add(ctx, "Bad!", "general"); !errors.Is(err, chat.ErrInvalidName) {
		t.Fatalf("Add(bad user) err = %v", err)
	}
	u1, err := s.RegisterUser(ctx, "carol")
	if err != nil || u1.ID == "" || u1.Name != "carol" {
		t.Fatalf("RegisterUser = %+v, %v", u1, err)
	}
	if u2, _ := s.RegisterUser(ctx, "carol"); u2.ID != u1.ID {
		t.Fatalf("RegisterUser is not stable: %s then %s", u1.ID, u2.ID)
	}
}
