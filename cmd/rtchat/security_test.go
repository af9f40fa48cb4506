package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rtchat/rtchat/admin"
	"github.com/rtchat/rtchat/chat"
	"github.com/rtchat/rtchat/internal/chattest"
	"github.com/rtchat/rtchat/internal/redistest"
)

var updateREADME = flag.Bool("update-readme", false, "rewrite the README's account rules and rights from the code")

// TestREADMERecipeIsTheAccountRules: the README's ACL line for doing an
// account by hand is exactly what "rtchat admin user add" sets, and its
// table of an account's rights is the rights, each with its reason.
func TestREADMERecipeIsTheAccountRules(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	want := "ACL SETUSER alice reset on >change-me " + strings.Join(admin.Rules(chat.DefaultKeys(), "alice", nil), " ")
	table := chat.RightsTable(admin.Rights(chat.DefaultKeys(), "alice", nil))
	const begin, end = "<!-- rights: generated from chat.Keys.AccountRights; go test ./cmd/rtchat -run README -update-readme -->\n", "<!-- end of rights -->"
	i, j := strings.Index(readme, begin), strings.Index(readme, end)
	if i < 0 || j < i {
		t.Fatal("the README has no generated table of rights")
	}
	got := readme[i+len(begin) : j]
	var line string
	for _, l := range strings.Split(readme, "\n") {
		if strings.HasPrefix(l, "ACL SETUSER alice ") {
			line = l
		}
	}
	if *updateREADME {
		readme = readme[:i+len(begin)] + table + readme[j:]
		if line != "" {
			readme = strings.Replace(readme, line, want, 1)
		}
		if err := os.WriteFile("../../README.md", []byte(readme), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if line != want {
		t.Errorf("the README's recipe is not the account rules (go test ./cmd/rtchat -run README -update-readme):\nREADME: %s\nrules:  %s", line, want)
	}
	if got != table {
		t.Errorf("the README's table of rights is not the rights (go test ./cmd/rtchat -run README -update-readme):\nREADME:\n%s\nrights:\n%s", got, table)
	}
}

// withAccounts starts a server whose default user has the admin's
// password and makes accounts with "rtchat admin user add"; it returns
// the server and each account's password.
func withAccounts(t *testing.T, names ...string) (*redistest.Server, map[string]string) {
	t.Helper()
	srv := redistest.Start(t, redistest.RealOnly(), redistest.WithPassword("admin-secret"))
	t.Setenv("REDIS_PASSWORD", "admin-secret")
	pw := map[string]string{}
	for _, n := range names {
		code, out, errs := rtchat(t, "", "admin", "user", "add", n, "--redis", "redis://"+srv.Addr)
		if code != 0 || !strings.Contains(errs, "account "+n+" made") || strings.Contains(errs, strings.TrimSpace(out)) {
			t.Fatalf("admin user add %s: %d %q %q", n, code, out, errs)
		}
		pw[n] = strings.TrimSpace(out)
	}
	t.Setenv("REDIS_PASSWORD", "")
	return srv, pw
}

// signIn makes the next commands run as account name.
func signIn(t *testing.T, name, pw string) {
	t.Setenv("REDIS_USERNAME", name)
	t.Setenv("REDIS_PASSWORD", pw)
	t.Setenv("RTCHAT_USER", "")
}

func TestRunsAsAnAccount(t *testing.T) {
	isolate(t)
	srv, pw := withAccounts(t, "alice", "bob")
	url := "redis://" + srv.Addr
	signIn(t, "alice", pw["alice"])
	if code, _, errs := rtchat(t, "", "send", "--redis", url, "general", "as alice"); code != 0 {
		t.Fatalf("send: %s", errs)
	}
	// An account is a person from the start: bob may be written to
	// before he ever ran rtchat.
	code, _, errs := rtchat(t, "", "send", "--redis", url, "@bob", "before you came")
	if code != 0 {
		t.Fatalf("a direct message to an account that never came: %d %q", code, errs)
	}
	signIn(t, "bob", pw["bob"])
	if code, _, errs := rtchat(t, "", "send", "--redis", url, "general", "bob is here"); code != 0 {
		t.Fatalf("send: %s", errs)
	}
	signIn(t, "alice", pw["alice"])
	if code, _, errs := rtchat(t, "", "send", "--redis", url, "@bob", "psst"); code != 0 {
		t.Fatalf("send a direct message: %s", errs)
	}
	code, out, errs := rtchat(t, "", "tail", "--json", "--redis", url, "general")
	if code != 0 || len(jsonLines(t, out)) != 2 {
		t.Fatalf("tail: %d %q %q", code, out, errs)
	}
	if m := jsonLines(t, out)[0]; m["user"] != "alice" || m["verified"] != "true" {
		t.Fatalf("tail printed %v", m)
	}
	if code, _, errs := rtchat(t, "", "channels", "--redis", url); code != 0 {
		t.Fatalf("channels: %s", errs)
	}
	// The account is the name: another one is refused, with the reason.
	t.Setenv("RTCHAT_USER", "bob")
	code, _, errs = rtchat(t, "", "send", "--redis", url, "general", "as bob?")
	if code == 0 || !strings.Contains(errs, "signed in to Redis as account alice, so you are alice here, not bob") {
		t.Fatalf("posing as bob: %d %q", code, errs)
	}
	signIn(t, "bob", pw["bob"])
	code, out, errs = rtchat(t, "", "tail", "--redis", url, "@alice")
	if code != 0 || !strings.Contains(out, "alice: psst") || !strings.Contains(out, "alice: before you came") || strings.Contains(out, "⚠") {
		t.Fatalf("bob's tail of @alice: %d %q %q", code, out, errs)
	}

	// Everything the full-screen client does, as alice.
	rdb := srv.ClientAs(t, "alice", pw["alice"])
	c := chattest.Start(t, chat.Options{Redis: rdb, User: "alice", Accounts: true, AutoJoin: true, Signer: chat.NewSigner()})
	ctx := context.Background()
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
		t.Fatal("no live message as an account")
	}
	for name, err := range map[string]error{
		"topic":   c.SetTopic(ctx, "acl", "x"),
		"members": func() error { _, err := c.Who(ctx, "acl"); return err }(),
		"mine":    func() error { _, err := c.MyChannels(ctx); return err }(),
		"history": func() error { _, err := c.History(ctx, "acl", chat.ID{}); return err }(),
		"read": func() error {
			p, err := c.History(ctx, "acl", chat.ID{})
			msgs := p.Messages
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
			if err == nil && (len(who.Online) != 1 || who.Online[0] != "alice") {
				err = fmt.Errorf("online = %v, want alice's heartbeat", who.Online)
			}
			return err
		}(),
		"search":   func() error { _, err := c.Search(ctx, "acl", "live", chat.ID{}, 10); return err }(),
		"dm":       func() error { _, err := c.Join(ctx, chat.DM("bob")); return err }(),
		"leave":    c.Leave(ctx, "acl"),
		"channels": func() error { _, err := c.ListChannels(ctx); return err }(),
	} {
		if err != nil {
			t.Errorf("%s as an account: %v", name, err)
		}
	}
	// Deleting a channel is an admin's: no account may delete keys others
	// write.
	if err := c.DeleteChannel(ctx, "acl"); !errors.Is(err, chat.ErrAdminOnly) || !strings.Contains(err.Error(), "rtchat admin channel delete") {
		t.Errorf("an account deleted a channel: %v", err)
	}
	t.Setenv("REDIS_USERNAME", "")
	t.Setenv("REDIS_PASSWORD", "admin-secret")
	if code, _, errs := rtchat(t, "", "admin", "channel", "delete", "acl", "--redis", url); code != 0 || !strings.Contains(errs, "#acl deleted") {
		t.Fatalf("admin channel delete: %d %q", code, errs)
	}
	if n, err := srv.Client(t).Exists(ctx, chat.DefaultKeys().Stream("acl"), chat.DefaultKeys().Channel("acl")).Result(); err != nil || n != 0 {
		t.Fatalf("the channel's keys after delete: %d %v", n, err)
	}
	// And the account really is limited.
	if err := rdb.Set(ctx, "other:key", "x", 0).Err(); !redis.HasErrorPrefix(err, "NOPERM") {
		t.Fatalf("an account wrote outside rtchat's keys: %v", err)
	}
}

// TestAdminCommandLine: the admin command's errors are one clear line each.
func TestAdminCommandLine(t *testing.T) {
	isolate(t)
	srv, pw := withAccounts(t, "alice")
	url := "redis://" + srv.Addr
	t.Setenv("REDIS_PASSWORD", "admin-secret")
	if code, _, errs := rtchat(t, "bob-password\n", "admin", "user", "add", "bob", "--password", "-", "--redis", url); code != 0 || !strings.Contains(errs, "CONFIG REWRITE") {
		t.Fatalf("add bob from stdin: %d %q", code, errs)
	}
	if code, out, _ := rtchat(t, "", "admin", "user", "list", "--redis", url); code != 0 || out != "alice\nbob\n" {
		t.Fatalf("list: %q", out)
	}
	if code, _, errs := rtchat(t, "", "admin", "channel", "private", "ops", "--members", "alice,bob", "--redis", url); code != 0 || !strings.Contains(errs, "#ops: private alice, bob") {
		t.Fatalf("private channel: %d %q", code, errs)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"user", "add", "alice"}, "account alice already exists; change its password with 'rtchat admin user passwd alice'"},
		{[]string{"user", "add", "Bad!"}, "invalid name"},
		{[]string{"user", "add", "carol", "--password", "secret"}, "--password takes only -"},
		{[]string{"user", "del", "nobody"}, "no such account"},
		{[]string{"channel", "add-member", "ghost", "--members", "alice"}, "rtchat admin channel private ghost"},
		{[]string{"channel", "private", "ops2", "--members", "nobody"}, "nobody has no account here"},
		{[]string{"channel", "private", "ops3"}, "--members"},
		{[]string{"user", "frobnicate", "x"}, "unknown action"},
	} {
		code, _, errs := rtchat(t, "", append(append([]string{"admin"}, tc.args...), "--redis", url)...)
		if code == 0 || !strings.Contains(errs, tc.want) {
			t.Errorf("admin %v: %d %q, want %q", tc.args, code, errs, tc.want)
		}
	}
	// An account may not manage accounts.
	signIn(t, "alice", pw["alice"])
	if code, _, errs := rtchat(t, "", "admin", "user", "add", "mallory", "--redis", url); code == 0 || !strings.Contains(errs, "may not manage accounts") || strings.Count(strings.TrimSpace(errs), "\n") > 0 {
		t.Errorf("alice made an account: %d %q", code, errs)
	}
	// The embedded server has none.
	t.Setenv("REDIS_USERNAME", "")
	t.Setenv("REDIS_PASSWORD", "")
	if code, _, errs := rtchat(t, "", "admin", "user", "list", "--embedded"); code == 0 || !strings.Contains(errs, "the embedded server has no accounts") {
		t.Errorf("admin on the embedded server: %d %q", code, errs)
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

// TestPasswordsStayOffCommandLines: a password in --redis is warned
// about; --password-file and rtchat login keep it off the command line;
// the config file rtchat login writes is its owner's alone and keeps the
// rest of the file; headless commands sign with the account's key.
func TestPasswordsStayOffCommandLines(t *testing.T) {
	isolate(t)
	srv, pw := withAccounts(t, "alice")
	t.Setenv("RTCHAT_USER", "")
	url := "redis://" + srv.Addr

	code, _, errs := rtchat(t, "", "send", "--redis", "redis://alice:"+pw["alice"]+"@"+srv.Addr, "general", "in the URL")
	if code != 0 || !strings.Contains(errs, "the password in --redis can be read by every user of this machine") || strings.Contains(errs, pw["alice"]) {
		t.Fatalf("a password in --redis: %d %q", code, errs)
	}

	file := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(file, []byte(pw["alice"]+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("REDIS_USERNAME", "alice")
	if code, _, errs := rtchat(t, "", "send", "--redis", url, "--password-file", file, "general", "from a file"); code != 0 || strings.Contains(errs, "warning") {
		t.Fatalf("--password-file: %d %q", code, errs)
	}
	if err := os.Chmod(file, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, errs := rtchat(t, "", "channels", "--redis", url, "--password-file", file); !strings.Contains(errs, "can be read by other users; run: chmod 600") {
		t.Fatalf("a password file others may read: %q", errs)
	}
	t.Setenv("REDIS_USERNAME", "")

	// rtchat login: asked on standard input here (no terminal), checked,
	// then kept.
	cfgPath := filepath.Join(os.Getenv("XDG_CONFIG_HOME"), "rtchat", "config.toml")
	if err := os.MkdirAll(filepath.Dir(cfgPath), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfgPath, []byte("# mine\ntheme = \"dark\"\n\n[redis]\npassword = \"old\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := rtchat(t, "wrong\n", "login", "--username", "alice", url); code == 0 || !strings.Contains(errs, "refused the user name or password") {
		t.Fatalf("login with a wrong password: %d %q", code, errs)
	}
	code, out, errs := rtchat(t, pw["alice"]+"\n", "login", "--username", "alice", url)
	if code != 0 || !strings.Contains(errs, "as account alice") || strings.Contains(out+errs, pw["alice"]) {
		t.Fatalf("login: %d %q %q", code, out, errs)
	}
	info, err := os.Stat(cfgPath)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("the config file after login: %v %v", info, err)
	}
	b, _ := os.ReadFile(cfgPath)
	if s := string(b); !strings.Contains(s, "# mine") || !strings.Contains(s, `theme = "dark"`) || strings.Contains(s, `"old"`) || !strings.Contains(s, pw["alice"]) {
		t.Fatalf("the config file after login:\n%s", s)
	}
	code, out, errs = rtchat(t, "", "send", "general", "after login")
	if code != 0 || strings.Contains(errs, "warning") {
		t.Fatalf("send after login: %d %q", code, errs)
	}
	// Signed with alice's key, the one her window would use.
	keys, _ := os.ReadDir(filepath.Join(os.Getenv("XDG_CONFIG_HOME"), "rtchat", "keys"))
	var names []string
	for _, k := range keys {
		if strings.HasSuffix(k.Name(), ".key") {
			names = append(names, k.Name())
		}
	}
	if strings.Join(names, " ") != "alice.key" {
		t.Fatalf("key files after sending as account alice: %v", names)
	}
	code, out, _ = rtchat(t, "", "tail", "--json", "general")
	if code != 0 || strings.Count(out, `"verified":true`) != 3 {
		t.Fatalf("tail: %q", out)
	}
}

// TestSendWaitsOutARestart: rtchat send to a server that is down for a
// few seconds waits for it (up to 20 s) instead of failing at once.
func TestSendWaitsOutARestart(t *testing.T) {
	isolate(t)
	srv := redistest.Start(t, redistest.RealOnly())
	url := srv.URL()
	if code, _, errs := rtchat(t, "", "send", "--redis", url, "general", "before"); code != 0 {
		t.Fatal(errs)
	}
	srv.Stop()
	type result struct {
		code      int
		out, errs string
		waited    time.Duration
	}
	done := make(chan result, 1)
	start := time.Now()
	go func() {
		code, out, errs := rtchat(t, "", "send", "--redis", url, "general", "during")
		done <- result{code, out, errs, time.Since(start)}
	}()
	time.Sleep(3 * time.Second)
	srv.Restart()
	r := <-done
	if r.code != 0 || r.waited < 3*time.Second {
		t.Fatalf("send across a 3 s outage, after %v: %d %q", r.waited, r.code, r.errs)
	}
	// Nothing waits for a server that was never there.
	if code, _, errs := rtchat(t, "", "channels", "--redis", url+"0"); code == 0 || !strings.Contains(errs, "cannot reach") {
		t.Fatalf("channels to nothing: %q", errs)
	}
}
