package chat_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rtchat/rtchat/chat"
	"github.com/rtchat/rtchat/internal/chattest"
	"github.com/rtchat/rtchat/internal/redistest"
)

var (
	soakFor     = flag.Duration("soak", 3*time.Second, "how long the soak test sends (CI: 60s)")
	soakClients = flag.Int("soak-clients", 10, "clients in the soak test (CI: 50)")
)

// soakClient sends at a steady rate through its outbox and records every
// id it is delivered.
type soakClient struct {
	*chat.Client
	mu     sync.Mutex
	ids    []string
	queued int
	stored int
	failed error
}

func (s *soakClient) run(ctx context.Context) {
	for ev := range s.Events() {
		s.mu.Lock()
		switch e := ev.(type) {
		case chat.HistoryEvent:
			for _, m := range e.Messages {
				s.ids = append(s.ids, m.ID.String())
			}
		case chat.MessageEvent:
			s.ids = append(s.ids, e.Message.ID.String())
		case chat.SendEvent:
			if e.Err != nil {
				s.failed = e.Err
			} else if !e.ID.IsZero() {
				s.stored++
			}
		}
		s.mu.Unlock()
	}
}

// TestSoak: many clients send and receive at 20 msg/s each while Redis is
// killed and restarted once; afterwards every client's list equals the
// stream. The default run is short; CI runs -soak 60s -soak-clients 50.
func TestSoak(t *testing.T) {
	srv := redistest.Start(t, redistest.RealOnly(), redistest.WithAOF())
	rdb := srv.Client(t)
	ctx := context.Background()
	setup := chattest.New(t, chat.Options{Redis: rdb, User: "setup"})
	if _, _, err := setup.CreateChannel(ctx, "soak", ""); err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	clients := make([]*soakClient, *soakClients)
	var wg sync.WaitGroup
	for i := range clients {
		own := redistest.ClientAt(t, srv.Addr, func(o *redis.Options) { o.PoolSize = 4 })
		c := chattest.New(t, chat.Options{Redis: own, User: fmt.Sprint("soak", i), MaxBackoff: time.Second})
		if err := c.Start(cctx); err != nil {
			t.Fatal(err)
		}
		sc := &soakClient{Client: c}
		clients[i] = sc
		wg.Go(func() { sc.run(cctx) })
		if _, err := c.SubscribeToChannel(ctx, "soak"); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		cancel()
		for _, c := range clients {
			_ = c.Close()
		}
		wg.Wait()
	})

	start := time.Now()
	restarted := false
	tick := time.NewTicker(50 * time.Millisecond) // 20 msg/s per client
	for n := 0; time.Since(start) < *soakFor; n++ {
		<-tick.C
		if !restarted && time.Since(start) > *soakFor/2 {
			srv.Kill()
			time.Sleep(500 * time.Millisecond)
			srv.Restart()
			restarted = true
		}
		for i, c := range clients {
			if _, err := c.Send(chat.Draft{Channel: "soak", Text: fmt.Sprintf("c%d m%d", i, n)}); err != nil {
				t.Fatalf("client %d: %v", i, err)
			}
			c.mu.Lock()
			c.queued++
			c.mu.Unlock()
		}
	}
	tick.Stop()
	sent := 0
	for _, c := range clients {
		c.mu.Lock()
		sent += c.queued
		c.mu.Unlock()
	}
	for _, c := range clients {
		redistest.Eventually(t, 60*time.Second, c.User()+"'s sends to be stored", func() error {
			c.mu.Lock()
			defer c.mu.Unlock()
			if c.failed != nil {
				t.Fatalf("%s: a send failed: %v", c.User(), c.failed)
			}
			if c.stored != c.queued {
				return fmt.Errorf("%d of %d stored", c.stored, c.queued)
			}
			return nil
		})
	}
	want := streamIDs(t, rdb, "soak")
	if len(want) != sent {
		t.Fatalf("the stream holds %d entries for %d sends", len(want), sent)
	}
	for _, c := range clients {
		redistest.Eventually(t, 60*time.Second, c.User()+"'s list to equal the stream", func() error {
			c.mu.Lock()
			defer c.mu.Unlock()
			if diff := redistest.DiffIDs(c.ids, want); diff != "" {
				return errors.New(diff)
			}
			return nil
		})
	}
	t.Logf("%d clients, %d messages in %v with one Redis restart: every list equals the stream", len(clients), sent, time.Since(start).Round(time.Second))
}
