package hooks_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rtchat/rtchat/admin"
	"github.com/rtchat/rtchat/chat"
	"github.com/rtchat/rtchat/hooks"
	"github.com/rtchat/rtchat/internal/chattest"
	"github.com/rtchat/rtchat/internal/redistest"
)

// rtchat hooks serve runs as a hooks account, with no admin's rights:
// every integration works through it — incoming hooks into a public and
// a private channel, an outgoing hook, a slash command answered in the
// channel and to its person alone — and it can change no hook, account,
// key, membership or message of anyone's, nor read a direct conversation.
// Real ACL users.
func TestHooksAccount(t *testing.T) {
	srv := redistest.Start(t, redistest.RealOnly(), redistest.WithPassword("admin-secret"))
	adminRDB := srv.Client(t)
	ctx := ctxT(t)
	adm := admin.New(adminRDB, chat.DefaultKeys())
	if _, err := adm.Install(ctx, false); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"alice", "bob"} {
		if err := adm.AddUser(ctx, u, u+"-pw"); err != nil {
			t.Fatal(err)
		}
	}
	if err := adm.AddUser(ctx, admin.HooksAccount("web"), "web-pw"); err != nil {
		t.Fatal(err)
	}
	if err := adm.MakePrivate(ctx, "ops", "admin", []string{"alice"}); err != nil {
		t.Fatal(err)
	}
	// An upgrade's install gives it the rules of a hooks account again,
	// not a person's.
	if done, err := adm.Install(ctx, false); err != nil || !slices.Contains(done.Renewed, admin.HooksAccount("web")) {
		t.Fatalf("install: %+v %v", done, err)
	}
	alice := chattest.Start(t, chat.Options{Redis: srv.ClientAs(t, "alice", "alice-pw"), User: "alice", Accounts: true, Signer: chat.NewSigner(), AutoJoin: true})
	replies := replies(t, alice)
	for _, conv := range []string{"alerts", "+ops"} {
		if _, err := alice.Join(ctx, conv); err != nil {
			t.Fatal(err)
		}
	}
	bob := chattest.Start(t, chat.Options{Redis: srv.ClientAs(t, "bob", "bob-pw"), User: "bob", Accounts: true, Signer: chat.NewSigner()})
	if _, err := bob.BroadcastMessage(ctx, "@alice", "private words"); err != nil {
		t.Fatal(err)
	}

	// The admin makes the integrations.
	in, secret, err := hooks.Add(ctx, adminRDB, "ci", []string{"alerts", "+ops"}, "admin")
	if err != nil {
		t.Fatal(err)
	}
	service := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.PostForm.Get("command") != "" && r.PostForm.Get("text") == "prod":
			_, _ = io.WriteString(w, `{"response_type":"in_channel","text":"deploying prod"}`)
		case r.PostForm.Get("command") != "":
			_, _ = io.WriteString(w, `{"text":"only for you"}`)
		default:
			_, _ = io.WriteString(w, `{"text":"on it"}`)
		}
	}))
	defer service.Close()
	if _, _, err := hooks.AddOutgoing(ctx, adminRDB, "deployer", []string{"alerts"}, hooks.Outgoing{URL: service.URL, Triggers: []string{"deploy"}}, "admin"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := hooks.AddCommand(ctx, adminRDB, chat.DefaultKeys(), hooks.CommandSpec{Command: "/deploy", URL: service.URL}, "admin"); err != nil {
		t.Fatal(err)
	}

	// The server, as the hooks account.
	web := srv.ClientAs(t, admin.HooksAccount("web"), "web-pw")
	base := runServer(t, web, hooks.ServerOptions{}).URL
	redistest.WaitSubscribers(t, adminRDB, chat.DefaultKeys().CommandRuns(), 1)
	redistest.WaitSubscribers(t, adminRDB, chat.DefaultKeys().Stream("alerts"), 2) // alice and the outgoing hook
	for _, body := range []string{`{"text":"disk full"}`, `{"text":"ops only","channel":"+ops"}`} {
		if code, word, _ := post(t, in.URL(base, secret), "application/json", body); code != 200 {
			t.Fatalf("POST %s as the hooks account: %d %q", body, code, word)
		}
	}
	for _, conv := range []string{"alerts", "+ops"} {
		page, err := alice.History(ctx, conv, chat.ID{})
		if err != nil || len(page.Messages) != 1 || page.Messages[0].User != "hook:ci" {
			t.Fatalf("%s: %+v %v", conv, page.Messages, err)
		}
	}
	sent, err := alice.BroadcastMessage(ctx, "alerts", "deploy prod")
	if err != nil {
		t.Fatal(err)
	}
	redistest.Eventually(t, 10*time.Second, "the outgoing hook's answer", func() error {
		if _, rs, _ := alice.Thread(ctx, "alerts", sent.ID); len(rs) != 1 || rs[0].User != "hook:deployer" {
			return io.EOF
		}
		return nil
	})
	if _, err := alice.RunCommand(ctx, "+ops", "/deploy", "prod"); err != nil {
		t.Fatal(err)
	}
	redistest.Eventually(t, 10*time.Second, "the command's answer in +ops", func() error {
		page, _ := alice.History(ctx, "+ops", chat.ID{})
		for _, m := range page.Messages {
			if m.User == "hook:deploy" && strings.Contains(m.Text, "deploying prod") {
				return nil
			}
		}
		return io.EOF
	})
	if _, err := alice.RunCommand(ctx, "+ops", "/deploy", "status"); err != nil {
		t.Fatal(err)
	}
	if r := nextReply(t, replies); r.Text != "only for you" || r.Failed {
		t.Fatalf("the answer to alice alone: %+v", r)
	}

	// And nothing else.
	k := chat.DefaultKeys()
	for what, err := range map[string]error{
		"change a hook's secret":       web.HSet(ctx, "rtchat:hook:"+in.ID, "secret", "x").Err(),
		"delete a hook":                web.Del(ctx, "rtchat:hook:"+in.ID).Err(),
		"add a hook":                   web.SAdd(ctx, "rtchat:hooks", "evil").Err(),
		"write alice's keys":           web.HSet(ctx, k.SigningKeys("alice"), "k", "v").Err(),
		"read alice's direct messages": web.XRange(ctx, k.DMStream("alice", "bob"), "-", "+").Err(),
		"add a member to +ops":         web.SAdd(ctx, k.PrivateMembers("ops"), "bob").Err(),
		"delete a message":             web.XDel(ctx, k.Stream("alerts"), sent.ID.String()).Err(),
		"change the commands":          web.HSet(ctx, k.Commands(), "/evil", `{"hook":"hook:evil"}`).Err(),
		"manage accounts":              web.Do(ctx, "ACL", "SETUSER", "evil", "on", ">x", "+@all").Err(),
		"load Lua of its own":          web.Do(ctx, "EVAL", "return 1", "0").Err(),
		"run as alice's read marker":   web.HSet(ctx, k.ReadMarks("alice"), "alerts", "1-0").Err(),
		"hear alice's direct messages": subscribeErr(ctx, web, k.DMStream("alice", "bob")),
	} {
		if !redis.IsPermissionError(err) && (err == nil || !strings.Contains(err.Error(), "NOPERM")) {
			t.Errorf("the hooks account may %s: %v", what, err)
		}
	}
}

func subscribeErr(ctx context.Context, rdb *redis.Client, topic string) error {
	ps := rdb.Subscribe(ctx, topic)
	defer ps.Close()
	_, err := ps.Receive(ctx)
	return err
}
