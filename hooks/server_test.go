package hooks_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rtchat/rtchat/admin"
	"github.com/rtchat/rtchat/chat"
	"github.com/rtchat/rtchat/hooks"
	"github.com/rtchat/rtchat/internal/faultproxy"
	"github.com/rtchat/rtchat/internal/redistest"
	"github.com/rtchat/rtchat/internal/testio"
)

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// setup starts a real redis-server, makes channels and a hook posting to
// the first (and allowed the others), and serves hooks on loopback.
func setup(t *testing.T, opts hooks.ServerOptions, channels ...string) (*redistest.Server, *redis.Client, *hooks.Hook, string, *httptest.Server) {
	t.Helper()
	srv := redistest.Start(t, redistest.RealOnly(), redistest.WithAOF())
	rdb := srv.Client(t)
	ctx := ctxT(t)
	admin, err := chat.New(chat.Options{Redis: rdb, User: "admin"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = admin.Close() })
	for _, c := range channels {
		if _, _, err := admin.CreateChannel(ctx, c, ""); err != nil {
			t.Fatal(err)
		}
	}
	h, secret, err := hooks.Add(ctx, rdb, "grafana", channels, "admin")
	if err != nil {
		t.Fatal(err)
	}
	// The server's own connection gives up at once, as a hook server's
	// should: its sender retries, not it.
	hrdb := redistest.ClientAt(t, srv.Addr, redistest.NoRetries)
	s := hooks.NewServer(hrdb, opts)
	t.Cleanup(s.Close)
	web := httptest.NewServer(s.Handler())
	t.Cleanup(web.Close)
	return srv, rdb, h, secret, web
}

func post(t *testing.T, u, contentType, body string) (int, string, http.Header) {
	t.Helper()
	resp, err := http.Post(u, contentType, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

func entries(t *testing.T, rdb *redis.Client, channel string) []redis.XMessage {
	t.Helper()
	xs, err := rdb.XRange(context.Background(), chat.DefaultKeys().Stream(channel), "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	return xs
}

// A Slack payload becomes one signed message of the hook's own author,
// its mrkdwn made rtchat's text; a reader verifies it and sees a bot.
func TestSlackPayloadStored(t *testing.T) {
	_, rdb, h, secret, web := setup(t, hooks.ServerOptions{}, "alerts", "ops")
	body := `{"text":"*Deploy* of <https://ci.example/42|build 42> by <@alice> &lt;ok&gt;","username":"alice","icon_emoji":":ghost:",
		"attachments":[{"fallback":"fb","pretext":"pre","title":"Disk full","title_link":"https://grafana.example/d/1","text":"node-3 at _97%_",
		"fields":[{"title":"severity","value":"critical","short":true}],"color":"danger"}]}`
	code, word, _ := post(t, h.URL(web.URL, secret), "application/json", body)
	if code != 200 || word != "ok" {
		t.Fatalf("POST answered %d %q", code, word)
	}
	xs := entries(t, rdb, "alerts")
	if len(xs) != 1 {
		t.Fatalf("%d entries", len(xs))
	}
	want := "*Deploy* of build 42 https://ci.example/42 by @alice <ok>\npre\n*Disk full* https://grafana.example/d/1\nnode-3 at _97%_\nseverity: critical"
	if xs[0].Values["user"] != "hook:grafana" || xs[0].Values["text"] != want {
		t.Fatalf("stored %v\nwant text %q", xs[0].Values, want)
	}
	reader, err := chat.New(chat.Options{Redis: rdb, User: "bob"})
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	page, err := reader.History(ctxT(t), "alerts", chat.ID{})
	if err != nil || len(page.Messages) != 1 {
		t.Fatalf("history: %v", err)
	}
	m := page.Messages[0]
	ok, _, err := reader.VerifyNow(ctxT(t), m)
	if err != nil || !ok[0] {
		t.Fatalf("the hook's message does not verify: %v %v", ok, err)
	}
	if !m.IsBot() || m.Malformed != "" {
		t.Fatalf("read back as %+v", m)
	}
	// The payload's username and icon_emoji name the message beside the
	// hook's own name: never as the person it names.
	if m.As != "👻 alice" || chat.ShownName(m.User, m.As) != "👻 alice (via hook grafana)" {
		t.Fatalf("the message's own name: %q, shown as %q", m.As, chat.ShownName(m.User, m.As))
	}
	// Mattermost's form body, to the other channel it may post to.
	form := url.Values{"payload": {`{"text":"from mattermost","channel":"#ops"}`}}.Encode()
	if code, word, _ := post(t, h.URL(web.URL, secret), "application/x-www-form-urlencoded", form); code != 200 {
		t.Fatalf("form POST: %d %q", code, word)
	}
	if xs := entries(t, rdb, "ops"); len(xs) != 1 || xs[0].Values["text"] != "from mattermost" {
		t.Fatalf("#ops holds %v", xs)
	}
}

// Errors answer as Slack's do, with their status codes; nothing is
// stored for any of them.
func TestHookErrors(t *testing.T) {
	_, rdb, h, secret, web := setup(t, hooks.ServerOptions{}, "alerts")
	deep := strings.Repeat(`{"a":`, 20000) + "1" + strings.Repeat("}", 20000)
	for _, c := range []struct {
		name, url, ctype, body string
		code                   int
		word                   string
	}{
		{"wrong secret", h.URL(web.URL, "x"+secret[1:]), "application/json", `{"text":"hi"}`, 403, "invalid_token"},
		{"unknown hook", web.URL + "/hooks/0123456789abcdef/" + secret, "application/json", `{"text":"hi"}`, 404, "no_service"},
		{"not JSON", h.URL(web.URL, secret), "application/json", `{"text":`, 400, "invalid_payload"},
		{"wrong types", h.URL(web.URL, secret), "application/json", `{"text":42,"attachments":"x"}`, 400, "invalid_payload"},
		{"deep JSON", h.URL(web.URL, secret), "application/json", deep, 400, "invalid_payload"},
		{"no text", h.URL(web.URL, secret), "application/json", `{"text":"  ","attachments":[{"color":"good"}]}`, 400, "no_text"},
		{"channel not its", h.URL(web.URL, secret), "application/json", `{"text":"hi","channel":"#general"}`, 404, "channel_not_found"},
		{"over 1 MiB", h.URL(web.URL, secret), "application/json", `{"text":"` + strings.Repeat("x", 1<<20) + `"}`, 413, "request_too_large"},
		{"form without payload", h.URL(web.URL, secret), "application/x-www-form-urlencoded", "text=hi", 400, "invalid_payload"},
	} {
		code, word, _ := post(t, c.url, c.ctype, c.body)
		if code != c.code || word != c.word {
			t.Errorf("%s: %d %q, want %d %q", c.name, code, word, c.code, c.word)
		}
	}
	resp, err := http.Get(h.URL(web.URL, secret))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 405 {
		t.Errorf("GET: %d", resp.StatusCode)
	}
	if xs := entries(t, rdb, "alerts"); len(xs) != 0 {
		t.Fatalf("stored %v", xs)
	}
}

// A resent body within the minute is stored once; a long text is cut to
// the limit at a character's edge; hostile text arrives as text.
func TestHookRetryStoredOnceAndHostileText(t *testing.T) {
	_, rdb, h, secret, web := setup(t, hooks.ServerOptions{}, "alerts")
	body := `{"text":"disk full on node-3"}`
	for range 3 {
		if code, word, _ := post(t, h.URL(web.URL, secret), "application/json", body); code != 200 || word != "ok" {
			t.Fatalf("POST: %d %q", code, word)
		}
	}
	if xs := entries(t, rdb, "alerts"); len(xs) != 1 {
		t.Fatalf("a resent body was stored %d times", len(xs))
	}
	long, _ := json.Marshal(map[string]string{"text": strings.Repeat("é", 12000) + "\x1b[2J\u202eevil"})
	if code, word, _ := post(t, h.URL(web.URL, secret), "application/json", string(long)); code != 200 {
		t.Fatalf("long POST: %d %q", code, word)
	}
	xs := entries(t, rdb, "alerts")
	text := xs[len(xs)-1].Values["text"].(string)
	if len(text) > chat.DefaultMaxMessageBytes || !strings.HasSuffix(text, "é… (cut)") {
		t.Fatalf("a long text was stored as %d bytes ending %q", len(text), text[len(text)-20:])
	}
}

// A POST whose claim's answer was lost (the link cut after Redis set it)
// is stored at once and once, whether go-redis tried the claim again on
// its own (as rtchat hooks serve's connection does) or the server did.
func TestHookClaimThroughAFault(t *testing.T) {
	srv, rdb, h, secret, _ := setup(t, hooks.ServerOptions{}, "alerts")
	for i, retries := range []bool{true, false} {
		proxy := faultproxy.Start(t, srv.Addr)
		opts := []func(*redis.Options){}
		if !retries {
			opts = append(opts, redistest.NoRetries)
		}
		s := hooks.NewServer(redistest.ClientAt(t, proxy.Addr, opts...), hooks.ServerOptions{})
		t.Cleanup(s.Close)
		web := httptest.NewServer(s.Handler())
		t.Cleanup(web.Close)
		body := fmt.Sprintf(`{"text":"disk full on node-%d"}`, i)
		proxy.CutReplyTo(":seen:")
		start := time.Now()
		if code, word, _ := post(t, h.URL(web.URL, secret), "application/json", body); code != 200 || word != "ok" {
			t.Fatalf("retries %v: POST: %d %q", retries, code, word)
		}
		if took := time.Since(start); proxy.Armed() || took > 3*time.Second {
			t.Fatalf("retries %v: the claim was cut: %v, answered after %v", retries, !proxy.Armed(), took)
		}
		if code, word, _ := post(t, h.URL(web.URL, secret), "application/json", body); code != 200 || word != "ok" {
			t.Fatalf("retries %v: the resend: %d %q", retries, code, word)
		}
		if xs := entries(t, rdb, "alerts"); len(xs) != i+1 {
			t.Fatalf("retries %v: %d messages stored, want %d", retries, len(xs), i+1)
		}
	}
}

// Over the rate a hook gets 429 with Retry-After; the next second it
// posts again.
func TestHookRateLimit(t *testing.T) {
	_, _, h, secret, web := setup(t, hooks.ServerOptions{Rate: 3}, "alerts")
	// Start at the beginning of a second, so that the four fall in one.
	time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second)))
	var codes []int
	var retry string
	for i := range 4 {
		code, _, hdr := post(t, h.URL(web.URL, secret), "application/json", fmt.Sprintf(`{"text":"n %d"}`, i))
		codes = append(codes, code)
		retry = hdr.Get("Retry-After")
	}
	if fmt.Sprint(codes) != "[200 200 200 429]" || retry != "1" {
		t.Fatalf("answers %v, Retry-After %q", codes, retry)
	}
	time.Sleep(1100 * time.Millisecond)
	if code, _, _ := post(t, h.URL(web.URL, secret), "application/json", `{"text":"later"}`); code != 200 {
		t.Fatalf("the next second: %d", code)
	}
}

// While Redis is away the server answers 503 with Retry-After, so the
// sender keeps the alert; once Redis is back, the resend is stored.
func TestHookThroughRedisRestart(t *testing.T) {
	srv, rdb, h, secret, web := setup(t, hooks.ServerOptions{}, "alerts")
	srv.Stop()
	code, word, hdr := post(t, h.URL(web.URL, secret), "application/json", `{"text":"while away"}`)
	if code != 503 || word != "redis_unavailable" || hdr.Get("Retry-After") == "" {
		t.Fatalf("with Redis away: %d %q", code, word)
	}
	srv.Restart()
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, word, _ = post(t, h.URL(web.URL, secret), "application/json", `{"text":"while away"}`)
		if code == 200 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if code != 200 {
		t.Fatalf("after the restart: %d %q", code, word)
	}
	if xs := entries(t, rdb, "alerts"); len(xs) != 1 || xs[0].Values["text"] != "while away" {
		t.Fatalf("stored %v", xs)
	}
}

// Deleting a hook stops its URL at once; rotating gives a new secret and
// the old one stops working.
func TestHookRotateAndDelete(t *testing.T) {
	_, rdb, h, secret, web := setup(t, hooks.ServerOptions{}, "alerts")
	ctx := ctxT(t)
	_, fresh, err := hooks.Rotate(ctx, rdb, "grafana")
	if err != nil {
		t.Fatal(err)
	}
	if code, _, _ := post(t, h.URL(web.URL, secret), "application/json", `{"text":"old"}`); code != 403 {
		t.Errorf("the old secret after rotate: %d", code)
	}
	if code, _, _ := post(t, h.URL(web.URL, fresh), "application/json", `{"text":"new"}`); code != 200 {
		t.Errorf("the new secret: %d", code)
	}
	if _, _, err := hooks.Add(ctx, rdb, "grafana", []string{"alerts"}, "admin"); err == nil {
		t.Error("a second hook of the same name was made")
	}
	if _, err := hooks.Delete(ctx, rdb, chat.DefaultKeys(), h.ID); err != nil {
		t.Fatal(err)
	}
	if code, _, _ := post(t, h.URL(web.URL, fresh), "application/json", `{"text":"gone"}`); code != 404 {
		t.Errorf("after delete: %d", code)
	}
	if list, _ := hooks.List(ctx, rdb); len(list) != 0 {
		t.Errorf("listed %v", list)
	}

}

// freePort is a free loopback port.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// A real sender: Prometheus Alertmanager, whose slack_configs speak
// Slack's webhook format, posts a firing alert to the hook; it arrives
// in #alerts as the hook's message, its title and text made rtchat's.
func TestAlertmanagerPostsToHook(t *testing.T) {
	redistest.SkipUnless(t, "prometheus-alertmanager")
	_, rdb, h, secret, web := setup(t, hooks.ServerOptions{}, "alerts")
	dir := t.TempDir()
	config := fmt.Sprintf(`route:
  receiver: rtchat
  group_wait: 0s
  group_interval: 1s
  repeat_interval: 1h
receivers:
- name: rtchat
  slack_configs:
  - api_url: %q
    channel: '#alerts'
    username: alertmanager
    title: '[{{ .Status | toUpper }}] {{ .CommonLabels.alertname }}'
    title_link: 'http://127.0.0.1/alerts'
    text: '{{ range .Alerts }}{{ .Annotations.summary }} ({{ .Labels.severity }}){{ end }}'
`, h.URL(web.URL, secret))
	if err := os.WriteFile(filepath.Join(dir, "am.yml"), []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	am := exec.Command("prometheus-alertmanager", "--config.file="+filepath.Join(dir, "am.yml"), "--storage.path="+dir,
		fmt.Sprintf("--web.listen-address=127.0.0.1:%d", port), "--cluster.listen-address=")
	var logs testio.Buffer
	am.Stdout, am.Stderr = &logs, &logs
	if err := am.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = am.Process.Kill(); _ = am.Wait() })
	api := fmt.Sprintf("http://127.0.0.1:%d/api/v2/alerts", port)
	alert := `[{"labels":{"alertname":"DiskFull","severity":"critical","instance":"node-3"},"annotations":{"summary":"node-3 disk at 97%"}}]`
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Post(api, "application/json", strings.NewReader(alert))
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("Alertmanager took no alert: %v\n%s", err, logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	for {
		if xs := entries(t, rdb, "alerts"); len(xs) > 0 {
			want := "*[FIRING] DiskFull* http://127.0.0.1/alerts\nnode-3 disk at 97% (critical)"
			if xs[0].Values["user"] != "hook:grafana" || xs[0].Values["text"] != want {
				t.Fatalf("Alertmanager's alert arrived as %v, want text %q", xs[0].Values, want)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no alert arrived in #alerts; Alertmanager said:\n%s", logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// With accounts (real ACL users): the hook server, as an admin, stores a
// POST that an account's reader verifies; an account can neither read a
// hook's record (its secret's hash, its key) nor register keys for a
// hook, so no account can post as one.
func TestHooksWithAccounts(t *testing.T) {
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
	m, err := chat.New(chat.Options{Redis: mallory, User: "mallory", Accounts: true})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if _, _, err := m.CreateChannel(ctx, "alerts", ""); err != nil {
		t.Fatal(err)
	}
	h, secret, err := hooks.Add(ctx, adminRDB, "ci", []string{"alerts"}, "admin")
	if err != nil {
		t.Fatal(err)
	}
	s := hooks.NewServer(srv.Client(t), hooks.ServerOptions{})
	defer s.Close()
	web := httptest.NewServer(s.Handler())
	defer web.Close()
	if code, word, _ := post(t, h.URL(web.URL, secret), "application/json", `{"text":"from ci"}`); code != 200 {
		t.Fatalf("POST: %d %q", code, word)
	}
	page, err := m.History(ctx, "alerts", chat.ID{})
	if err != nil || len(page.Messages) != 1 {
		t.Fatalf("history: %v", err)
	}
	if ok, _, err := m.VerifyNow(ctx, page.Messages[0]); err != nil || !ok[0] {
		t.Fatalf("an account does not verify the hook's message: %v %v", ok, err)
	}
	for what, err := range map[string]error{
		"read the hook's record":        mallory.HGetAll(ctx, "rtchat:hook:"+h.ID).Err(),
		"list the hooks":                mallory.SMembers(ctx, "rtchat:hooks").Err(),
		"register a key for the hook":   mallory.HSet(ctx, chat.DefaultKeys().SigningKeys(chat.HookAuthor("ci")), "k", "v").Err(),
		"register a key for a new hook": mallory.HSet(ctx, chat.DefaultKeys().SigningKeys(chat.HookAuthor("evil")), "k", "v").Err(),
	} {
		if !redis.IsPermissionError(err) {
			t.Errorf("an account may %s: %v", what, err)
		}
	}
}

// aliceInOps starts a real redis-server with #ops and alice, signing,
// in it: what the outgoing hooks' tests start from.
func aliceInOps(t *testing.T) (*redistest.Server, *redis.Client, context.Context, *chat.Client) {
	t.Helper()
	srv := redistest.Start(t, redistest.RealOnly())
	rdb := srv.Client(t)
	ctx := ctxT(t)
	alice, err := chat.New(chat.Options{Redis: rdb, User: "alice", Signer: chat.NewSigner()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = alice.Close() })
	if err := alice.RegisterKey(ctx); err != nil {
		t.Fatal(err)
	}
	if _, _, err := alice.CreateChannel(ctx, "ops", ""); err != nil {
		t.Fatal(err)
	}
	return srv, rdb, ctx, alice
}

// A message whose claim's answer was lost (the link cut after Redis set
// it) still fires, once: the server knows the claim by its token.
func TestOutgoingHookClaimThroughAFault(t *testing.T) {
	srv, rdb, ctx, alice := aliceInOps(t)
	var posts atomic.Int32
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		posts.Add(1)
		_, _ = io.WriteString(w, `{"text":"on it"}`)
	}))
	defer receiver.Close()
	if _, _, err := hooks.AddOutgoing(ctx, rdb, "deployer", []string{"ops"}, hooks.Outgoing{URL: receiver.URL, Triggers: []string{"deploy"}}, "admin"); err != nil {
		t.Fatal(err)
	}
	proxy := faultproxy.Start(t, srv.Addr)
	s := hooks.NewServer(redistest.ClientAt(t, proxy.Addr), hooks.ServerOptions{})
	dctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { s.NewDispatcher().Run(dctx); close(done) }()
	t.Cleanup(func() { stop(); <-done; s.Close() })
	redistest.WaitSubscribers(t, rdb, chat.DefaultKeys().Stream("ops"), 1)

	proxy.CutReplyTo(":fired:")
	sent, err := alice.BroadcastMessage(ctx, "ops", "deploy prod")
	if err != nil {
		t.Fatal(err)
	}
	redistest.Eventually(t, 15*time.Second, "the answer in the thread", func() error {
		_, replies, err := alice.Thread(ctx, "ops", sent.ID)
		if err == nil && len(replies) != 1 {
			err = fmt.Errorf("%d answers", len(replies))
		}
		return err
	})
	if proxy.Armed() {
		t.Fatal("the claim's answer was never cut")
	}
	time.Sleep(300 * time.Millisecond) // room for a second, wrong firing
	if n := posts.Load(); n != 1 {
		t.Fatalf("the URL got %d POSTs, want 1", n)
	}
}

// An outgoing hook POSTs a person's signed message that starts with its
// trigger (Mattermost's fields) and posts the answer in its thread, as
// the hook; a bot's message and an entry forged in a person's name never
// fire it; two servers fire it once.
func TestOutgoingHook(t *testing.T) {
	srv, rdb, ctx, alice := aliceInOps(t)
	var mu sync.Mutex
	var got []url.Values
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		mu.Lock()
		got = append(got, r.PostForm)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"text":"deploying *`+r.PostForm.Get("text")[len("deploy "):]+`*"}`)
	}))
	defer receiver.Close()
	h, token, err := hooks.AddOutgoing(ctx, rdb, "deployer", []string{"ops"}, hooks.Outgoing{URL: receiver.URL, Triggers: []string{"deploy", "build"}}, "admin")
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // two servers
		s := hooks.NewServer(srv.Client(t), hooks.ServerOptions{})
		d := s.NewDispatcher()
		dctx, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { d.Run(dctx); close(done) }()
		t.Cleanup(func() { stop(); <-done; s.Close() })
	}
	redistest.WaitSubscribers(t, rdb, chat.DefaultKeys().Stream("ops"), 2)
	bot, err := chat.New(chat.Options{Redis: rdb, User: chat.HookAuthor("ci")})
	if err != nil {
		t.Fatal(err)
	}
	defer bot.Close()
	if _, err := bot.BroadcastMessage(ctx, "ops", "deploy from a bot"); err != nil {
		t.Fatal(err)
	}
	// A bot account's message is signed and verifies, and still never
	// fires a hook (the loop rule).
	account, err := chat.New(chat.Options{Redis: rdb, User: chat.BotAuthor("deploybot"), Signer: chat.NewSigner()})
	if err != nil {
		t.Fatal(err)
	}
	defer account.Close()
	if err := account.RegisterKey(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := account.BroadcastMessage(ctx, "ops", "deploy from a bot account"); err != nil {
		t.Fatal(err)
	}
	if _, err := alice.BroadcastMessage(ctx, "ops", "deployment is not a trigger"); err != nil {
		t.Fatal(err)
	}
	// An entry added in alice's name by another writer of the channel
	// (unsigned) does not fire: the service may act on user_name.
	if err := rdb.XAdd(ctx, &redis.XAddArgs{Stream: chat.DefaultKeys().Stream("ops"),
		Values: []any{"user", "alice", "text", "deploy forged", "ts", time.Now().UnixMilli(), "mid", "m-forged", "channel_id", "1"}}).Err(); err != nil {
		t.Fatal(err)
	}
	sent, err := alice.BroadcastMessage(ctx, "ops", "deploy prod")
	if err != nil {
		t.Fatal(err)
	}
	var replies []chat.Message
	for deadline := time.Now().Add(10 * time.Second); len(replies) == 0; {
		if time.Now().After(deadline) {
			t.Fatal("no answer in the thread")
		}
		time.Sleep(50 * time.Millisecond)
		_, replies, _ = alice.Thread(ctx, "ops", sent.ID)
	}
	if replies[0].User != "hook:deployer" || replies[0].Text != "deploying *prod*" {
		t.Fatalf("the thread holds %+v", replies[0])
	}
	time.Sleep(300 * time.Millisecond) // room for a second, wrong firing
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 {
		t.Fatalf("the URL got %d POSTs, want 1: %v", len(got), got)
	}
	f := got[0]
	if f.Get("token") != token || f.Get("trigger_word") != "deploy" || f.Get("user_name") != "alice" || f.Get("channel_name") != "ops" ||
		f.Get("post_id") != sent.ID.String() || f.Get("text") != "deploy prod" || f.Get("timestamp") == "" || f.Get("channel_id") == "" {
		t.Fatalf("the POST carried %v", f)
	}
	if _, replies, _ := alice.Thread(ctx, "ops", sent.ID); len(replies) != 1 {
		t.Fatalf("%d answers in the thread", len(replies))
	}
	// An outgoing hook takes no POSTs of its own.
	web := httptest.NewServer(hooks.NewServer(rdb, hooks.ServerOptions{}).Handler())
	defer web.Close()
	if code, _, _ := post(t, h.URL(web.URL, token), "application/json", `{"text":"x"}`); code != 404 {
		t.Errorf("a POST to an outgoing hook: %d", code)
	}
}
