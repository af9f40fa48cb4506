package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/rtchat/rtchat/chat"
	"github.com/rtchat/rtchat/config"
	"github.com/rtchat/rtchat/internal/chattest"
	"github.com/rtchat/rtchat/internal/embedded"
	"github.com/rtchat/rtchat/internal/redistest"
	"github.com/rtchat/rtchat/internal/testio"
)

// events collects a started client's messages per channel.
func collect(t *testing.T, c *chat.Client) func(channel string, n int) []chat.Message {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	got := make(chan chat.Message, 100)
	go func() {
		for ev := range c.Events() {
			switch e := ev.(type) {
			case chat.HistoryEvent:
				for _, m := range e.Messages {
					got <- m
				}
			case chat.MessageEvent:
				got <- e.Message
			}
		}
	}()
	t.Cleanup(func() { cancel(); _ = c.Close() })
	return func(channel string, n int) []chat.Message {
		t.Helper()
		var out []chat.Message
		for len(out) < n {
			select {
			case m := <-got:
				if m.Channel == channel {
					out = append(out, m)
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("%s: got %d of %d messages in %s", c.User(), len(out), n, channel)
			}
		}
		return out
	}
}

func TestTwoClientsOnEmbeddedServer(t *testing.T) {
	srv, err := embedded.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	if strings.HasSuffix(srv.Addr, ":6379") {
		t.Fatal("the test server must not take 6379")
	}
	ctx := context.Background()
	newClient := func(user string) *chat.Client {
		rdb := redistest.ClientAt(t, srv.Addr)
		if id, err := embedded.Marker(ctx, rdb); err != nil || id != srv.ID {
			t.Fatalf("marker = %q, %v; want %q", id, err, srv.ID)
		}
		c := chattest.New(t, chat.Options{Redis: rdb, User: user, MaxLen: config.EmbeddedRetention})
		return c
	}
	alice, bob := newClient("alice"), newClient("bob")
	aliceGot, bobGot := collect(t, alice), collect(t, bob)
	if _, err := alice.Join(ctx, "general"); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if _, err := alice.BroadcastMessage(ctx, "general", fmt.Sprint("before bob ", i)); err != nil {
			t.Fatal(err)
		}
	}
	aliceGot("general", 3)
	if _, err := bob.Join(ctx, "general"); err != nil {
		t.Fatal(err)
	}
	if h := bobGot("general", 3); h[0].Text != "before bob 0" || h[2].Text != "before bob 2" {
		t.Fatalf("bob's history = %+v", h)
	}
	if _, err := bob.BroadcastMessage(ctx, "general", "hi alice"); err != nil {
		t.Fatal(err)
	}
	if m := aliceGot("general", 1); m[0].Text != "hi alice" || m[0].User != "bob" {
		t.Fatalf("alice got %+v", m)
	}
	if _, err := alice.BroadcastMessage(ctx, "general", "hi bob"); err != nil {
		t.Fatal(err)
	}
	// bob sees his own message, then alice's.
	if m := bobGot("general", 2); m[1].Text != "hi bob" {
		t.Fatalf("bob got %+v", m)
	}
}

func TestConfiguredUnreachableAddressDoesNotFallBack(t *testing.T) {
	isolate(t)
	port := redistest.FreePort(t)
	t.Setenv("REDIS_PORT", fmt.Sprint(port))
	cfg, err := config.Load(config.Flags{}, config.Source{})
	if err != nil {
		t.Fatal(err)
	}
	var notice strings.Builder
	cn, err := connect(context.Background(), &cfg, slog.New(slog.DiscardHandler), &notice, nil, 0)
	if err == nil {
		cn.Close()
		t.Fatal("connect succeeded against a closed port")
	}
	want := fmt.Sprintf("cannot reach Redis at localhost:%d; start redis-server there, or point rtchat elsewhere with --redis or REDIS_URL", port)
	if err.Error() != want {
		t.Fatalf("error = %q\nwant    %q", err, want)
	}
	if c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), 200*time.Millisecond); err == nil {
		_ = c.Close()
		t.Fatal("an embedded server was started on the configured port")
	}
	// And through the command line: one line on stderr, non-zero exit.
	code, _, errs := rtchat(t, "", "channels")
	if code == 0 || strings.TrimSpace(errs) != "rtchat: "+want {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
}

func TestServeSendTail(t *testing.T) {
	isolate(t)
	addr := fmt.Sprintf("127.0.0.1:%d", redistest.FreePort(t))
	ctx, cancel := context.WithCancel(context.Background())
	var serveErr testio.Buffer
	done := make(chan int)
	go func() {
		done <- run(ctx, []string{"serve", "--addr", addr}, stdio{in: strings.NewReader(""), out: io.Discard, err: &serveErr})
	}()
	waitOutput(t, &serveErr, 1, 10*time.Second)
	if !strings.Contains(serveErr.String(), "listening on "+addr) {
		t.Fatalf("serve said %q", serveErr.String())
	}
	url := "redis://" + addr
	code, out, errs := rtchat(t, "", "send", "--redis", url, "demo", "hello from send")
	if code != 0 {
		t.Fatalf("send: %d %s", code, errs)
	}
	id := strings.TrimSpace(out)
	code, out, errs = rtchat(t, "", "tail", "--json", "--redis", url, "demo")
	if code != 0 || !strings.Contains(out, `"id":"`+id+`"`) || !strings.Contains(out, `"text":"hello from send"`) {
		t.Fatalf("tail: %d %q %q", code, out, errs)
	}
	waitOutput(t, &serveErr, 2, 10*time.Second) // it logged the connections
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("serve exited %d: %s", code, serveErr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop on cancel")
	}
	if !strings.Contains(serveErr.String(), "embedded server stopped") {
		t.Fatalf("serve did not say it stopped: %q", serveErr.String())
	}
}
