// pingbot answers "!ping" in a channel with "pong", in the message's
// thread; it never answers a bot (hooks included). Run it with
//
//	go run ./examples/pingbot -redis redis://127.0.0.1:6379 -channel general
package main

import (
	"context"
	"flag"
	"log"
	"os/signal"
	"strings"
	"syscall"

	"github.com/redis/go-redis/v9"
	"github.com/rtchat/rtchat/chat"
)

func main() {
	url := flag.String("redis", "redis://127.0.0.1:6379", "Redis URL")
	channel := flag.String("channel", "general", "channel to answer in")
	flag.Parse()
	opts, err := redis.ParseURL(*url)
	if err != nil {
		log.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, redis.NewClient(opts), *channel); err != nil && ctx.Err() == nil {
		log.Fatal(err)
	}
}

// run answers in channel until ctx ends.
func run(ctx context.Context, rdb redis.UniversalClient, channel string) error {
	c, err := chat.New(chat.Options{Redis: rdb, User: "pingbot", Signer: chat.NewSigner()})
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Start(ctx); err != nil {
		return err
	}
	if _, err := c.Join(ctx, channel); err != nil {
		return err
	}
	for {
		var ev chat.Event
		select {
		case ev = <-c.Events():
		case <-ctx.Done():
			return ctx.Err()
		}
		m, ok := ev.(chat.MessageEvent)
		if !ok || m.Message.IsBot() || m.Message.User == c.User() || strings.TrimSpace(m.Message.Text) != "!ping" {
			continue
		}
		if _, err := c.Broadcast(ctx, chat.Draft{Channel: m.Message.Channel, Text: "pong", Thread: m.Message.ID}); err != nil {
			log.Print(err)
		}
	}
}
