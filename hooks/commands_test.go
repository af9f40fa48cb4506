package hooks_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rtchat/rtchat/admin"
	"github.com/rtchat/rtchat/chat"
	"github.com/rtchat/rtchat/hooks"
	"github.com/rtchat/rtchat/internal/chattest"
	"github.com/rtchat/rtchat/internal/redistest"
)

// commandService is a slash command's service on loopback: it keeps what
// it was POSTed and answers by the run's text.
type commandService struct {
	*httptest.Server
	mu    sync.Mutex
	forms []url.Values
}

func newCommandService(t *testing.T) *commandService {
	cs := &commandService{}
	cs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		cs.mu.Lock()
		cs.forms = append(cs.forms, r.PostForm)
		cs.mu.Unlock()
		switch r.PostForm.Get("text") {
		case "prod":
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"response_type":"in_channel","text":"deploying *prod*"}`)
		case "status":
			_, _ = io.WriteString(w, "all <https://ci.example|green>") // plain text: to the person alone
		case "blocks":
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"blocks":[{"type":"section","text":{"type":"mrkdwn","text":"from a block"}}]}`)
		case "fail":
			http.Error(w, "boom", http.StatusInternalServerError)
		}
		// "later": an empty 200; the answers come on the response_url.
	}))
	t.Cleanup(cs.Close)
	return cs
}

func (cs *commandService) posted() []url.Values {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return append([]url.Values(nil), cs.forms...)
}

// replies collects the CommandReplyEvents of c.
func replies(t *testing.T, c *chat.Client) <-chan chat.CommandReply {
	out := make(chan chat.CommandReply, 16)
	go func() {
		for ev := range c.Events() {
			if e, ok := ev.(chat.CommandReplyEvent); ok {
				out <- e.Reply
			}
		}
	}()
	return out
}

func nextReply(t *testing.T, ch <-chan chat.CommandReply) chat.CommandReply {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("no answer to the command")
		return chat.CommandReply{}
	}
}

func runServer(t *testing.T, rdb redis.UniversalClient, opts hooks.ServerOptions) *httptest.Server {
	s := hooks.NewServer(rdb, opts)
	d := s.NewDispatcher()
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	web := httptest.NewServer(s.Handler())
	t.Cleanup(func() { web.Close(); stop(); <-done; s.Close() })
	return web
}

// A slash command typed in a window reaches its service with Slack's
// fields, once, as the person who typed it; the answer goes to them alone
// (plain text, blocks, or a failure) or into the conversation
// (in_channel); the response_url takes five delayed answers; a run in
// another's name, one outside the person's conversations, and one with no
// server, never reach the service.
func TestSlashCommand(t *testing.T) {
	srv := redistest.Start(t, redistest.RealOnly())
	rdb := srv.Client(t)
	ctx := ctxT(t)
	alice := chattest.Start(t, chat.Options{Redis: rdb, User: "alice", Signer: chat.NewSigner(), AutoJoin: true})
	got := replies(t, alice)
	if _, err := alice.Join(ctx, "ops"); err != nil {
		t.Fatal(err)
	}
	cs := newCommandService(t)
	if _, err := alice.RunCommand(ctx, "ops", "/deploy", "prod"); !errors.Is(err, chat.ErrNoSuchCommand) {
		t.Fatalf("an unknown command: %v", err)
	}
	h, token, err := hooks.AddCommand(ctx, rdb, chat.DefaultKeys(), hooks.CommandSpec{Command: "/deploy", URL: cs.URL, Description: "deploy a branch", Usage: "[branch]"}, "admin")
	if err != nil {
		t.Fatal(err)
	}
	list, err := alice.ServerCommands(ctx)
	if err != nil || len(list) != 1 || list[0].Name != "/deploy" || list[0].Usage != "[branch]" || list[0].Hook != "hook:deploy" {
		t.Fatalf("commands: %+v %v", list, err)
	}
	if _, err := alice.RunCommand(ctx, "ops", "/deploy", "prod"); !errors.Is(err, chat.ErrNoCommandServer) {
		t.Fatalf("with no server: %v", err)
	}
	web := runServer(t, srv.Client(t), hooks.ServerOptions{PublicURL: "http://127.0.0.1:1"})
	runServer(t, srv.Client(t), hooks.ServerOptions{PublicURL: "http://127.0.0.1:1"}) // a second server: each run is taken once
	redistest.WaitSubscribers(t, rdb, chat.DefaultKeys().CommandRuns(), 2)

	// Plain text: to alice alone.
	trigger, err := alice.RunCommand(ctx, "ops", "/deploy", "status")
	if err != nil {
		t.Fatal(err)
	}
	r := nextReply(t, got)
	if r.Trigger != trigger || r.From != "hook:deploy" || r.Conv != "ops" || r.Failed || r.Text != "all green https://ci.example" {
		t.Fatalf("the answer: %+v", r)
	}
	f := cs.posted()[0]
	if f.Get("token") != token || f.Get("command") != "/deploy" || f.Get("text") != "status" || f.Get("user_name") != "alice" ||
		f.Get("channel_name") != "ops" || f.Get("channel_id") == "" || f.Get("trigger_id") != trigger || f.Get("api_app_id") != h.ID {
		t.Fatalf("the POST carried %v", f)
	}
	if _, err := alice.RunCommand(ctx, "ops", "/deploy", "blocks"); err != nil {
		t.Fatal(err)
	}
	if r := nextReply(t, got); r.Text != "from a block" {
		t.Fatalf("blocks: %+v", r)
	}
	if _, err := alice.RunCommand(ctx, "ops", "/deploy", "fail"); err != nil {
		t.Fatal(err)
	}
	if r := nextReply(t, got); !r.Failed || !strings.Contains(r.Text, "/deploy failed: its service answered 500") {
		t.Fatalf("a failure: %+v", r)
	}

	// in_channel: a signed message of the command's hook in ops.
	if _, err := alice.RunCommand(ctx, "ops", "/deploy", "prod"); err != nil {
		t.Fatal(err)
	}
	var posted chat.Message
	for deadline := time.Now().Add(10 * time.Second); posted.ID.IsZero(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no in_channel answer in ops")
		}
		page, _ := alice.History(ctx, "ops", chat.ID{})
		for _, m := range page.Messages {
			if m.User == "hook:deploy" {
				posted = m
			}
		}
	}
	if posted.Text != "alice ran `/deploy prod`\ndeploying *prod*" || !posted.IsBot() {
		t.Fatalf("in_channel: %+v", posted)
	}
	if ok, _, err := alice.VerifyNow(ctx, posted); err != nil || !ok[0] {
		t.Fatalf("the answer is not the hook's: %v %v", ok, err)
	}

	// The response_url: five answers in 30 minutes, no more.
	if _, err := alice.RunCommand(ctx, "ops", "/deploy", "later"); err != nil {
		t.Fatal(err)
	}
	var later url.Values
	for deadline := time.Now().Add(10 * time.Second); later == nil; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the run never reached the service")
		}
		for _, f := range cs.posted() {
			if f.Get("text") == "later" {
				later = f
			}
		}
	}
	ru, err := url.Parse(later.Get("response_url"))
	if err != nil || ru.Host != "127.0.0.1:1" || !strings.HasPrefix(ru.Path, "/commands/"+later.Get("trigger_id")+"/") {
		t.Fatalf("response_url %q", later.Get("response_url"))
	}
	respond := web.URL + ru.Path
	wrong := web.URL + "/commands/" + later.Get("trigger_id") + "/not-the-secret"
	if code, word, _ := post(t, wrong, "application/json", `{"text":"x"}`); code != 403 || word != "invalid_token" {
		t.Fatalf("a wrong secret: %d %q", code, word)
	}
	if code, word, _ := post(t, web.URL+"/commands/000000000000000000000000/x", "application/json", `{"text":"x"}`); code != 404 || word != "expired_url" {
		t.Fatalf("an unknown run: %d %q", code, word)
	}
	if code, word, _ := post(t, respond, "application/json", `{"text":`); code != 400 || word != "invalid_payload" {
		t.Fatalf("a bad answer: %d %q", code, word)
	}
	for i := range 5 {
		if code, word, _ := post(t, respond, "application/json", `{"text":"step `+string(rune('1'+i))+`"}`); code != 200 {
			t.Fatalf("delayed answer %d: %d %q", i+1, code, word)
		}
		if r := nextReply(t, got); r.Text != "step "+string(rune('1'+i)) {
			t.Fatalf("delayed answer %d: %+v", i+1, r)
		}
	}
	if code, word, _ := post(t, respond, "application/json", `{"text":"six"}`); code != 410 || word != "used_url" {
		t.Fatalf("a sixth answer: %d %q", code, word)
	}

	// A run signed by alice in bob's name never reaches the service; nor
	// does alice's run in a private channel she is not in.
	before := len(cs.posted())
	forged := chat.CommandRun{Trigger: strings.Repeat("ab", 12), Command: "/deploy", Text: "prod", User: "bob", Conv: "ops", TS: time.Now().UnixMilli(), Key: "x", Sig: make([]byte, 64)}
	raw, _ := json.Marshal(forged)
	if err := rdb.Publish(ctx, chat.DefaultKeys().CommandRuns(), raw).Err(); err != nil {
		t.Fatal(err)
	}
	// A private channel of carol's (made by hand: no accounts here).
	rdb.HSet(ctx, chat.DefaultKeys().PrivateChannel("secret"), "id", "99", "name", "secret")
	rdb.SAdd(ctx, chat.DefaultKeys().PrivateMembers("secret"), "carol")
	if _, err := alice.RunCommand(ctx, "+secret", "/deploy", "prod"); err != nil {
		t.Fatal(err)
	}
	if r := nextReply(t, got); !r.Failed || !strings.Contains(r.Text, "you are not in #secret") {
		t.Fatalf("a run outside her conversations: %+v", r)
	}
	time.Sleep(200 * time.Millisecond)
	if n := len(cs.posted()); n != before {
		t.Fatalf("the service got %d more POSTs", n-before)
	}
	if n := len(cs.posted()); n != 5 {
		t.Fatalf("the service got %d POSTs in all, want 5 (each run once)", n)
	}
	// Removed, it leaves every window.
	if _, err := hooks.Delete(ctx, rdb, chat.DefaultKeys(), "/deploy"); err != nil {
		t.Fatal(err)
	}
	if list, _ := alice.ServerCommands(ctx); len(list) != 0 {
		t.Fatalf("after del: %+v", list)
	}
}

// With accounts, an account may hand a run to the server but never hear
// another's, nor write the list of commands, nor answer as a command.
func TestSlashCommandRights(t *testing.T) {
	srv := redistest.Start(t, redistest.RealOnly(), redistest.WithPassword("admin-secret"))
	adminRDB := srv.Client(t)
	ctx := ctxT(t)
	if err := chat.LoadLibrary(ctx, adminRDB); err != nil {
		t.Fatal(err)
	}
	adm := admin.New(adminRDB, chat.DefaultKeys())
	if err := adm.AddUser(ctx, "mallory", "mallory-pw"); err != nil {
		t.Fatal(err)
	}
	mallory := srv.ClientAs(t, "mallory", "mallory-pw")
	k := chat.DefaultKeys()
	if err := mallory.Publish(ctx, k.CommandRuns(), "{}").Err(); err != nil {
		t.Fatalf("an account may not hand over a run: %v", err)
	}
	ps := mallory.Subscribe(ctx, k.CommandRuns())
	defer ps.Close()
	_, err := ps.Receive(ctx)
	for what, err := range map[string]error{
		"hear the runs":               err,
		"add a command":               mallory.HSet(ctx, k.Commands(), "/evil", `{"hook":"hook:evil"}`).Err(),
		"remove a command":            mallory.HDel(ctx, k.Commands(), "/deploy").Err(),
		"read a run's response_url":   mallory.HGetAll(ctx, "rtchat:hook:reply:x").Err(),
		"answer another as a command": mallory.Publish(ctx, k.UserEvents("alice"), "/reply\n{}").Err(),
	} {
		if !redis.IsPermissionError(err) && (err == nil || !strings.Contains(err.Error(), "NOPERM")) {
			t.Errorf("an account may %s: %v", what, err)
		}
	}
	if _, err := mallory.HGetAll(ctx, k.Commands()).Result(); err != nil {
		t.Errorf("an account may not read the commands: %v", err)
	}
}
