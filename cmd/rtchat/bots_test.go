package main

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rtchat/rtchat/chat"
	"github.com/rtchat/rtchat/internal/chattest"
	"github.com/rtchat/rtchat/internal/redistest"
)

// A bot account is an account of its own (a real ACL user): it sends
// signed messages that read as a bot's, in the window, in tail and in
// tail --json; it has no direct conversations either way, and may not
// send as a person.
func TestBotAccount(t *testing.T) {
	isolate(t)
	srv, pw := withAccounts(t, "alice")
	url := "redis://" + srv.Addr
	t.Setenv("REDIS_PASSWORD", "admin-secret")
	code, out, errs := rtchat(t, "", "admin", "user", "add", "--bot", "deploybot", "--redis", url)
	botPW := strings.TrimSpace(out)
	if code != 0 || !strings.Contains(errs, "account bot:deploybot made") || !strings.Contains(errs, "REDIS_USERNAME=bot:deploybot") || len(botPW) < 20 {
		t.Fatalf("admin user add --bot: %d %q %q", code, out, errs)
	}
	code, out, errs = rtchat(t, "", "admin", "user", "add", "--hooks", "web", "--redis", url)
	if code != 0 || !strings.Contains(errs, "account hooks:web made") || !strings.Contains(errs, "rtchat hooks serve with REDIS_USERNAME=hooks:web") {
		t.Fatalf("admin user add --hooks: %d %q %q", code, out, errs)
	}
	if _, out, _ := rtchat(t, "", "admin", "user", "list", "--redis", url); !strings.Contains(out, "bot:deploybot\n") {
		t.Fatalf("user list: %q", out)
	}
	signIn(t, "bot:deploybot", botPW)
	if code, _, errs := rtchat(t, "", "send", "--redis", url, "general", "deployed v1.2"); code != 0 {
		t.Fatalf("the bot's send: %d %q", code, errs)
	}
	code, _, errs = rtchat(t, "", "send", "--redis", url, "@alice", "psst")
	if code == 0 || !strings.Contains(errs, "bots have no direct conversations") {
		t.Fatalf("a bot's direct message: %d %q", code, errs)
	}
	// The account is the bot: it may not send as a person.
	t.Setenv("RTCHAT_USER", "alice")
	if code, _, errs := rtchat(t, "", "send", "--redis", url, "general", "as alice?"); code == 0 || !strings.Contains(errs, "you are bot:deploybot here") {
		t.Fatalf("a bot posing as alice: %d %q", code, errs)
	}

	signIn(t, "alice", pw["alice"])
	code, _, errs = rtchat(t, "", "send", "--redis", url, "@bot:deploybot", "hi")
	if code == 0 || !strings.Contains(errs, "bots have no direct conversations") {
		t.Fatalf("a direct message to a bot: %d %q", code, errs)
	}
	_, out, _ = rtchat(t, "", "tail", "-n", "1", "--redis", url, "general")
	if !strings.Contains(out, "BOT deploybot: deployed v1.2") || strings.Contains(out, "⚠") {
		t.Fatalf("tail: %q", out)
	}
	_, out, _ = rtchat(t, "", "tail", "-n", "1", "--json", "--redis", url, "general")
	m := jsonLines(t, out)[0]
	if m["user"] != "bot:deploybot" || m["verified"] != "true" || m["bot"] != "true" {
		t.Fatalf("tail --json: %q", out)
	}
}

// "rtchat admin command" adds, lists and removes a slash command, and
// "rtchat hooks serve" runs it: a window's run reaches the service with
// the person's name and the token, and the answer comes back to them.
func TestAdminCommandFromTheShell(t *testing.T) {
	isolate(t)
	srv := redistest.Start(t, redistest.RealOnly())
	url := srv.URL()
	service := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		_, _ = io.WriteString(w, `{"text":"hi `+r.PostForm.Get("user_name")+`, token `+r.PostForm.Get("token")[:4]+`"}`)
	}))
	defer service.Close()
	code, token, errs := rtchat(t, "", "admin", "command", "add", "/hello", "--url", service.URL, "--description", "say hello", "--redis", url)
	token = strings.TrimSpace(token)
	if code != 0 || len(token) < 20 || !strings.Contains(errs, "answers come from BOT hello") {
		t.Fatalf("command add: %d %q %q", code, token, errs)
	}
	if code, _, errs := rtchat(t, "", "admin", "command", "add", "/hello", "--url", service.URL, "--redis", url); code == 0 || !strings.Contains(errs, "exists already") {
		t.Fatalf("the same command again: %d %q", code, errs)
	}
	if _, out, _ := rtchat(t, "", "admin", "command", "list", "--redis", url); out != "/hello\t\t"+service.URL+"\tsay hello\n" {
		t.Fatalf("command list: %q", out)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"hooks", "serve", "--redis", url, "--addr", "127.0.0.1:0"}, stdio{in: strings.NewReader(""), out: io.Discard, err: io.Discard})
	}()
	defer func() { cancel(); <-done }()
	rdb := redistest.ClientAt(t, srv.Addr)
	redistest.WaitSubscribers(t, rdb, chat.DefaultKeys().CommandRuns(), 1)
	carol := chattest.Start(t, chat.Options{Redis: rdb, User: "carol", Signer: chat.NewSigner(), AutoJoin: true})
	if _, err := carol.Join(ctx, "general"); err != nil {
		t.Fatal(err)
	}
	if _, err := carol.RunCommand(ctx, "general", "/hello", ""); err != nil {
		t.Fatal(err)
	}
	for deadline := time.After(10 * time.Second); ; {
		select {
		case ev := <-carol.Events():
			if e, ok := ev.(chat.CommandReplyEvent); ok {
				if e.Reply.Text != "hi carol, token "+token[:4] {
					t.Fatalf("the answer: %+v", e.Reply)
				}
				goto answered
			}
		case <-deadline:
			t.Fatal("no answer")
		}
	}
answered:
	if code, _, errs := rtchat(t, "", "admin", "command", "del", "hello", "--redis", url); code != 0 {
		t.Fatalf("command del: %q", errs)
	}
	if _, out, _ := rtchat(t, "", "admin", "command", "list", "--redis", url); out != "" {
		t.Fatalf("after del: %q", out)
	}
	if _, err := carol.RunCommand(ctx, "general", "/hello", ""); !errors.Is(err, chat.ErrNoSuchCommand) {
		t.Fatalf("a removed command: %v", err)
	}
}
