package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rtchat/rtchat/chat"
	"github.com/rtchat/rtchat/internal/chattest"
	"github.com/rtchat/rtchat/internal/redistest"
	"github.com/rtchat/rtchat/internal/testio"
)

// idLog is a list of stream ids delivered by one consumer.
type idLog struct {
	mu  sync.Mutex
	ids []string
}

func (l *idLog) add(id string) { l.mu.Lock(); l.ids = append(l.ids, id); l.mu.Unlock() }
func (l *idLog) get() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.ids)
}

// waitEqual waits until the consumer's list equals want, or fails with
// what differs.
func waitEqual(t *testing.T, who string, l *idLog, want []string, timeout time.Duration) {
	t.Helper()
	redistest.Eventually(t, timeout, who+"'s list to equal the stream", func() error {
		if diff := redistest.DiffIDs(l.get(), want); diff != "" {
			return errors.New(diff)
		}
		return nil
	})
}

// startTailF runs "rtchat tail -f --json channel" as a process and records
// the ids it prints (all history, then live).
func startTailF(t *testing.T, bin, url, channel string) *idLog {
	t.Helper()
	cmd := exec.Command(bin, "tail", "-f", "--json", "-n", "100000", "--redis", url, channel)
	cmd.Env = append(userEnv(t, "tailer"), "PATH=/usr/bin:/bin")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr testio.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("tail -f stderr:\n%s", stderr.String())
		}
	})
	l := &idLog{}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			var m struct{ ID string }
			if json.Unmarshal(sc.Bytes(), &m) == nil {
				l.add(m.ID)
			}
		}
		_, _ = io.Copy(io.Discard, out)
	}()
	return l
}

// startRecorder follows channel with an in-process client and records ids.
func startRecorder(t *testing.T, rdb redis.UniversalClient, user, channel string) *idLog {
	t.Helper()
	c := chattest.Start(t, chat.Options{Redis: rdb, User: user, PingEvery: time.Second, DeadAfter: 3 * time.Second})
	l := &idLog{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ev := range c.Events() {
			switch e := ev.(type) {
			case chat.HistoryEvent:
				for _, m := range e.Messages {
					l.add(m.ID.String())
				}
			case chat.MessageEvent:
				if !e.Message.Ephemeral {
					l.add(e.Message.ID.String())
				}
			}
		}
	}()
	if _, err := c.SubscribeToChannel(context.Background(), channel); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close(); <-done })
	return l
}

// producer sends n messages through the outbox (which retries across
// outages, keeping each message's id) and reports when every one is stored.
func producer(t *testing.T, rdb redis.UniversalClient, user, channel string, n int, pause time.Duration) <-chan error {
	t.Helper()
	c := chattest.Start(t, chat.Options{Redis: rdb, User: user, MaxBackoff: 500 * time.Millisecond})
	errc := make(chan error, 2)
	go func() {
		for i := range n {
			if _, err := c.Send(chat.Draft{Channel: channel, Text: fmt.Sprintf("%s %d", user, i)}); err != nil {
				errc <- err
				return
			}
			time.Sleep(pause)
		}
	}()
	go func() {
		stored := 0
		for ev := range c.Events() {
			s, ok := ev.(chat.SendEvent)
			switch {
			case !ok:
			case s.Err != nil:
				errc <- s.Err
				return
			case !s.ID.IsZero():
				if stored++; stored == n {
					errc <- nil
					return
				}
			}
		}
	}()
	return errc
}

func TestKillAndRestartRedisLosesNothing(t *testing.T) {
	srv := redistest.Start(t, redistest.RealOnly(), redistest.WithAOF())
	rdb := srv.Client(t)
	ctx := context.Background()
	bin := buildRtchat(t)
	keys := chat.DefaultKeys()
	setup := chattest.New(t, chat.Options{Redis: rdb, User: "setup"})
	if _, _, err := setup.CreateChannel(ctx, "general", ""); err != nil {
		t.Fatal(err)
	}
	tailed := startTailF(t, bin, srv.URL(), "general")
	recorded := startRecorder(t, srv.Client(t), "reader", "general")

	p1 := producer(t, srv.Client(t), "p1", "general", 150, 10*time.Millisecond)
	p2 := producer(t, srv.Client(t), "p2", "general", 150, 10*time.Millisecond)
	time.Sleep(500 * time.Millisecond)
	srv.Kill()
	time.Sleep(700 * time.Millisecond)
	srv.Restart()
	for _, p := range []<-chan error{p1, p2} {
		select {
		case err := <-p:
			if err != nil {
				t.Fatalf("a producer failed: %v", err)
			}
		case <-time.After(60 * time.Second):
			t.Fatal("the producers did not finish within 60s")
		}
	}
	xs, err := rdb.XRange(ctx, keys.Stream("general"), "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(xs) != 300 {
		t.Fatalf("the stream holds %d entries, want exactly 300 (150 from each producer, stored once)", len(xs))
	}
	want := make([]string, len(xs))
	for i, x := range xs {
		want[i] = x.ID
	}
	waitEqual(t, "in-process client", recorded, want, 30*time.Second)
	waitEqual(t, "tail -f", tailed, want, 30*time.Second)
}
