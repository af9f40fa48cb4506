package chat_test

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"
	"github.com/rtchat/rtchat/chat"
	"github.com/rtchat/rtchat/internal/embedded"
)

// The basic flow: create a channel, subscribe, send, read the stream back.
// (The example runs on the embedded in-memory server; any Redis does.)
func Example() {
	srv, err := embedded.Start("127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	defer rdb.Close()
	ctx := context.Background()

	alice, _ := chat.New(chat.Options{Redis: rdb, User: "alice"})
	if err := alice.Start(ctx); err != nil {
		fmt.Println(err)
		return
	}
	defer alice.Close()
	go func() {
		for range alice.Events() { // a window would show these
		}
	}()
	if _, err := alice.Join(ctx, "general"); err != nil {
		fmt.Println(err)
		return
	}
	if _, err := alice.BroadcastMessage(ctx, "general", "hello, @bob"); err != nil {
		fmt.Println(err)
		return
	}
	msgs, _ := alice.ConsumeMessages(ctx, "general", chat.ID{}, 10)
	for _, m := range msgs {
		fmt.Printf("%s: %s (mentions bob: %v)\n", m.User, m.Text, chat.Mentions(m.Text, "bob"))
	}
	// Output: alice: hello, @bob (mentions bob: true)
}

func ExampleMentions() {
	for _, text := range []string{"hi alice!", "@Alice: look", "malice", "alice_bot"} {
		fmt.Println(text, "→", chat.Mentions(text, "alice"))
	}
	// Output:
	// hi alice! → true
	// @Alice: look → true
	// malice → false
	// alice_bot → false
}
