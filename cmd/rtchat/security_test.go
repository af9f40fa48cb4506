package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rtchat/rtchat/chat"
	"github.com/rtchat/rtchat/internal/redistest"
)

// readmeACL returns the ACL SETUSER line of the README's recipe.
func readmeACL(t *testing.T) []any {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "ACL SETUSER rtchat ") {
			var args []any
			for _, f := range strings.Fields(l) {
				args = append(args, f)
			}
			return args
		}
	}
	t.Fatal("the README has no ACL SETUSER rtchat line")
	return nil
}

func TestRunsAsTheReadmeACLUser(t *testing.T) {
	isolate(t)
	srv := redistest.Start(t, redistest.RealOnly(), redistest.WithPassword("admin-secret"))
	admin := srv.Client(t)
	ctx := context.Background()
	acl := readmeACL(t)
	for i, a := range acl {
		if a == ">change-me" {
			acl[i] = ">chat-secret"
		}
	}
	if err := admin.Do(ctx, acl...).Err(); err != nil {
		t.Fatalf("the README's ACL line fails: %v", err)
	}
	t.Setenv("REDIS_USERNAME", "rtchat")
	t.Setenv("REDIS_PASSWORD", "chat-secret")
	url := "redis://" + srv.Addr
	if code, _, errs := rtchat(t, "", "send", "--redis", url, "general", "as the ACL user"); code != 0 {
		t.Fatalf("send: %s", errs)
	}
	if code, out, errs := rtchat(t, "", "tail", "--redis", url, "general"); code != 0 || !strings.Contains(out, "as the ACL user") {
		t.Fatalf("tail: %d %q %q", code, out, errs)
	}
	if code, _, errs := rtchat(t, "", "channels", "--redis", url); code != 0 {
		t.Fatalf("channels: %s", errs)
	}

	// Everything the full-screen client does, as that user.
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr, Username: "rtchat", Password: "chat-secret"})
	t.Cleanup(func() { _ = rdb.Close() })
	c, err := chat.New(chat.Options{Redis: rdb, User: "acluser"})
	if err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if err := c.Start(cctx); err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	got := make(chan chat.Message, 10)
	go func() {
		for ev := range c.Events() {
			if m, ok := ev.(chat.MessageEvent); ok {
				got <- m.Message
			}
			if s, ok := ev.(chat.StateEvent); ok && s.Err != nil {
				t.Logf("state: %v", s.Err)
			}
		}
	}()
	if _, err := c.Join(ctx, "acl"); err != nil {
		t.Fatalf("join: %v", err)
	}
	waitConnected(t, c)
	if _, err := c.Send(chat.Draft{Channel: "acl", Text: "live"}); err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-got:
		if m.Text != "live" {
			t.Fatalf("got %+v", m)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no live message as the ACL user")
	}
	for name, err := range map[string]error{
		"topic":   c.SetTopic(ctx, "acl", "x"),
		"members": func() error { _, err := c.Who(ctx, "acl"); return err }(),
		"mine":    func() error { _, err := c.MyChannels(ctx); return err }(),
		"history": func() error { _, _, err := c.History(ctx, "acl", chat.ID{}); return err }(),
		"read": func() error {
			msgs, _, err := c.History(ctx, "acl", chat.ID{})
			if err != nil || len(msgs) == 0 {
				return fmt.Errorf("no history: %v", err)
			}
			if err := c.MarkRead(ctx, "acl", msgs[0].ID); err != nil {
				return err
			}
			_, err = c.ReadMarkers(ctx)
			return err
		}(),
		"online": func() error {
			who, err := c.Who(ctx, "acl")
			if err == nil && (len(who.Online) != 1 || who.Online[0] != "acluser") {
				err = fmt.Errorf("online = %v, want the ACL user's heartbeat", who.Online)
			}
			return err
		}(),
		"search":   func() error { _, err := c.Search(ctx, "acl", "live", chat.ID{}, 10); return err }(),
		"leave":    c.Leave(ctx, "acl"),
		"delete":   c.DeleteChannel(ctx, "acl"),
		"channels": func() error { _, err := c.ListChannels(ctx); return err }(),
	} {
		if err != nil {
			t.Errorf("%s as the ACL user: %v", name, err)
		}
	}
	// And the user really is limited.
	if err := rdb.Set(ctx, "other:key", "x", 0).Err(); err == nil || !strings.Contains(err.Error(), "NOPERM") {
		t.Fatalf("the ACL user wrote outside rtchat's keys: %v", err)
	}
}

func waitConnected(t *testing.T, c *chat.Client) {
	t.Helper()
	redistest.Eventually(t, 10*time.Second, "the client to connect", func() error {
		if s := c.State(); s.State != chat.StateConnected {
			return fmt.Errorf("state %+v", s)
		}
		return nil
	})
}

func TestPasswordNeverInOutputOrLog(t *testing.T) {
	isolate(t)
	const secret = "Sup3r-s3cret-pw"
	srv := redistest.Start(t, redistest.RealOnly(), redistest.WithPassword(secret))
	logFile := filepath.Join(t.TempDir(), "rtchat.log")
	var all strings.Builder
	runAndKeep := func(env map[string]string, args ...string) int {
		for k, v := range env {
			t.Setenv(k, v)
		}
		code, out, errs := rtchat(t, "", append(args, "--log-file", logFile)...)
		all.WriteString(out + errs)
		return code
	}
	url := "redis://" + srv.Addr
	runAndKeep(map[string]string{"REDIS_PASSWORD": secret}, "send", "--redis", url, "general", "hello")
	runAndKeep(nil, "tail", "--json", "--redis", url, "general")
	runAndKeep(nil, "channels", "--redis", url)
	// The password in the URL, a wrong one, and an unreachable server.
	runAndKeep(map[string]string{"REDIS_PASSWORD": ""}, "channels", "--redis", "redis://:"+secret+"@"+srv.Addr)
	if code := runAndKeep(map[string]string{"REDIS_PASSWORD": secret + "x"}, "channels", "--redis", url); code == 0 {
		t.Fatal("a wrong password was accepted")
	}
	runAndKeep(map[string]string{"REDIS_PASSWORD": secret}, "channels", "--redis", "redis://:"+secret+"@127.0.0.1:1")
	runAndKeep(nil, "channels", "--redis", "redis://:"+secret+"@[::bad")
	// A config file holding it, readable by others (it warns).
	cfg := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(cfg, []byte("[redis]\npassword = \""+secret+"\"\nport = 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	runAndKeep(map[string]string{"REDIS_PASSWORD": ""}, "channels", "--config", cfg)
	if !strings.Contains(all.String(), "chmod 600") {
		t.Fatalf("no warning about the readable config file in:\n%s", all.String())
	}
	log, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatal(err)
	}
	if len(log) == 0 {
		t.Fatal("the log is empty; the test would prove nothing")
	}
	if strings.Contains(all.String(), secret) || strings.Contains(string(log), secret) {
		t.Fatalf("the password appeared:\noutput:\n%s\nlog:\n%s", all.String(), log)
	}
}

func TestTLSWithCAFile(t *testing.T) {
	isolate(t)
	srv := redistest.Start(t, redistest.WithTLS())
	cfg := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(cfg, []byte("[redis]\nca_file = \""+srv.CAFile+"\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	url := "rediss://" + srv.TLSAddr
	if code, _, errs := rtchat(t, "", "send", "--config", cfg, "--redis", url, "general", "over tls"); code != 0 {
		t.Fatalf("send over TLS: %s", errs)
	}
	if code, out, errs := rtchat(t, "", "tail", "--config", cfg, "--redis", url, "general"); code != 0 || !strings.Contains(out, "over tls") {
		t.Fatalf("tail over TLS: %d %q %q", code, out, errs)
	}
	// Without the CA the certificate is not trusted, and rtchat says so.
	code, _, errs := rtchat(t, "", "channels", "--redis", url)
	if code == 0 || !strings.Contains(errs, "TLS certificate rtchat does not trust; give its CA with redis.ca_file") {
		t.Fatalf("an untrusted certificate was accepted: %d %q", code, errs)
	}
}
