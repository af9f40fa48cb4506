package main

import (
	"context"
	"testing"
	"time"

	"github.com/rtchat/rtchat/chat"
	"github.com/rtchat/rtchat/internal/redistest"
)

// The bot answers a person's !ping in its thread, and never a hook's.
func TestPingBot(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- run(ctx, srv.Client(t), "general") }()
	alice, err := chat.New(chat.Options{Redis: rdb, User: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	defer alice.Close()
	hook, err := chat.New(chat.Options{Redis: rdb, User: chat.HookAuthor("ci")})
	if err != nil {
		t.Fatal(err)
	}
	defer hook.Close()
	if _, _, err := alice.CreateChannel(ctx, "general", ""); err != nil {
		t.Fatal(err)
	}
	redistest.WaitSubscribers(t, rdb, chat.DefaultKeys().Stream("general"), 1)
	fromHook, err := hook.BroadcastMessage(ctx, "general", "!ping")
	if err != nil {
		t.Fatal(err)
	}
	ping, err := alice.BroadcastMessage(ctx, "general", "!ping")
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, replies, err := alice.Thread(ctx, "general", ping.ID); err == nil && len(replies) > 0 {
			if replies[len(replies)-1].Text != "pong" || replies[len(replies)-1].User != "pingbot" {
				t.Fatalf("the thread holds %+v", replies)
			}
			break
		}
		if ctx.Err() != nil {
			t.Fatal("no pong")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if _, replies, _ := alice.Thread(ctx, "general", fromHook.ID); len(replies) > 0 {
		t.Fatalf("the bot answered a hook: %+v", replies)
	}
	cancel()
	<-done
}
