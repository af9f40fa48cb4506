package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rtchat/rtchat/chat"
	"github.com/rtchat/rtchat/internal/faultproxy"
	"github.com/rtchat/rtchat/internal/redistest"
	"github.com/rtchat/rtchat/internal/testio"
)

// isolate points every config and log path at a temp dir and clears the
// variables a developer's shell may have set.
func isolate(t *testing.T) {
	t.Helper()
	dir := t.TempDir()
	for k, v := range map[string]string{"HOME": dir, "XDG_CONFIG_HOME": dir + "/config", "XDG_STATE_HOME": dir + "/state",
		"RTCHAT_USER": "tester", "RTCHAT_CONFIG": "", "REDIS_URL": "", "REDIS_HOST": "", "REDIS_PORT": "", "REDIS_PASSWORD": "", "REDIS_USERNAME": "", "REDIS_DB": ""} {
		t.Setenv(k, v)
	}
}

// rtchat runs the command in-process and returns exit code, stdout, stderr.
func rtchat(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	code := run(ctx, args, stdio{in: strings.NewReader(stdin), out: &out, err: &errb})
	return code, out.String(), errb.String()
}

func TestSendThenTailJSON(t *testing.T) {
	isolate(t)
	srv := redistest.Start(t)
	url := srv.URL()
	texts := []string{"hello", "سلام دنیا", "emoji 👋🏽👨‍👩‍👧 ☕", "[red]x[-] \x1b[2J"}
	var ids []string
	for _, text := range texts {
		code, out, errs := rtchat(t, "", "send", "--redis", url, "general", text)
		if code != 0 {
			t.Fatalf("send %q: exit %d, stderr %q", text, code, errs)
		}
		ids = append(ids, strings.TrimSpace(out))
	}
	code, out, errs := rtchat(t, "", "tail", "-n", "5", "--json", "--redis", url, "general")
	if code != 0 {
		t.Fatalf("tail: exit %d: %s", code, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != len(texts) {
		t.Fatalf("tail printed %d lines:\n%s", len(lines), out)
	}
	for i, l := range lines {
		m := jsonLine(t, l)
		if m["id"] != ids[i] || m["channel"] != "general" || m["user"] != "tester" || m["text"] != texts[i] || m["verified"] != "true" {
			t.Fatalf("line %d = %v, want id %s text %q", i, m, ids[i], texts[i])
		}
		ts, err := time.Parse(time.RFC3339, m["ts"])
		if err != nil || ts.Location() != time.UTC || time.Since(ts) > time.Minute {
			t.Fatalf("ts %q is not a recent RFC 3339 UTC time: %v", m["ts"], err)
		}
	}
	// -n limits, and the plain format neutralises terminal escapes.
	_, out, _ = rtchat(t, "", "tail", "-n", "1", "--redis", url, "general")
	if strings.Contains(out, "\x1b") || !strings.Contains(out, `[red]x[-] \x1b[2J`) || strings.Count(out, "\n") != 1 {
		t.Fatalf("plain tail = %q", out)
	}
}

func TestSendFromStdin(t *testing.T) {
	isolate(t)
	srv := redistest.Start(t)
	code, _, errs := rtchat(t, "line one\nline two\n", "send", "--redis", srv.URL(), "general", "-")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	_, out, _ := rtchat(t, "", "tail", "--json", "--redis", srv.URL(), "general")
	if !strings.Contains(out, `"text":"line one\nline two"`) {
		t.Fatalf("tail = %s", out)
	}
}

func TestBadInputExitsWithOneLine(t *testing.T) {
	isolate(t)
	srv := redistest.Start(t)
	for name, tc := range map[string]struct {
		stdin string
		args  []string
		want  string
	}{
		"invalid channel":    {args: []string{"send", "--redis", srv.URL(), "Bad!", "x"}, want: "invalid"},
		"oversized":          {stdin: strings.Repeat("x", 20000), args: []string{"send", "--redis", srv.URL(), "general", "-"}, want: "limit is 16384"},
		"missing channel":    {args: []string{"tail", "--redis", srv.URL(), "nowhere"}, want: "does not exist"},
		"unreachable":        {args: []string{"tail", "--redis", "redis://127.0.0.1:1", "general"}, want: "cannot reach Redis at redis://127.0.0.1:1"},
		"bad config":         {args: []string{"channels", "--config", "/nonexistent.toml"}, want: "/nonexistent.toml"},
		"bad -n":             {args: []string{"tail", "-n", "-4", "--redis", srv.URL(), "general"}, want: "out of range"},
		"empty message":      {args: []string{"send", "--redis", srv.URL(), "general", "  "}, want: "empty"},
		"no channel to send": {args: []string{"send", "--redis", srv.URL(), "general"}, want: "Usage: rtchat send"},
	} {
		t.Run(name, func(t *testing.T) {
			code, out, errs := rtchat(t, tc.stdin, tc.args...)
			if code == 0 {
				t.Fatalf("exit 0, stdout %q", out)
			}
			if !strings.Contains(errs, tc.want) {
				t.Fatalf("stderr %q lacks %q", errs, tc.want)
			}
			if !strings.HasPrefix(errs, "Usage:") && strings.Count(strings.TrimSpace(errs), "\n") != 0 {
				t.Fatalf("stderr is not one line: %q", errs)
			}
		})
	}
}

func TestChannelsAndVersion(t *testing.T) {
	isolate(t)
	srv := redistest.Start(t)
	rtchat(t, "", "send", "--redis", srv.URL(), "general", "hi")
	rtchat(t, "", "send", "--redis", srv.URL(), "random", "hi")
	code, out, _ := rtchat(t, "", "channels", "--json", "--redis", srv.URL())
	if code != 0 || !strings.Contains(out, `"name":"general"`) || !strings.Contains(out, `"name":"random"`) {
		t.Fatalf("channels = %d %s", code, out)
	}
	if code, out, _ := rtchat(t, "", "--version"); code != 0 || out != "rtchat "+version+"\n" {
		t.Fatalf("--version = %d %q", code, out)
	}
	if code, _, errs := rtchat(t, "", "send", "--help"); code != 0 || !strings.Contains(errs, "Usage: rtchat send") {
		t.Fatalf("send --help = %d %q", code, errs)
	}
}

func TestWrongPasswordIsExplained(t *testing.T) {
	isolate(t)
	srv := redistest.Start(t, redistest.WithPassword("right-pass"))
	t.Setenv("REDIS_PASSWORD", "wrong-pass")
	code, out, errs := rtchat(t, "", "channels", "--redis", "redis://"+srv.Addr)
	if code == 0 || !strings.Contains(errs, "refused the user name or password") || !strings.Contains(errs, "'rtchat login redis://"+srv.Addr+"'") {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
	if strings.Contains(out+errs, "wrong-pass") || strings.Contains(out+errs, "right-pass") {
		t.Fatal("a password was printed")
	}
	t.Setenv("REDIS_PASSWORD", "right-pass")
	if code, _, errs := rtchat(t, "", "channels", "--redis", "redis://"+srv.Addr); code != 0 {
		t.Fatalf("with the right password: exit %d %q", code, errs)
	}
}

// waitOutput waits until buf holds want lines.
func waitOutput(t *testing.T, buf *testio.Buffer, lines int, timeout time.Duration) []string {
	t.Helper()
	var got []string
	redistest.Eventually(t, timeout, fmt.Sprint(lines, " lines"), func() error {
		got = strings.Split(strings.TrimSpace(buf.String()), "\n")
		if buf.String() == "" || len(got) < lines {
			return fmt.Errorf("have:\n%s", buf.String())
		}
		return nil
	})
	return got
}

func TestTailFollowPrintsEachMessageOnce(t *testing.T) {
	isolate(t)
	srv := redistest.Start(t)
	rtchat(t, "", "send", "--redis", srv.URL(), "general", "before")
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb testio.Buffer
	done := make(chan int)
	go func() {
		done <- run(ctx, []string{"tail", "-f", "--json", "-n", "10", "--redis", srv.URL(), "general"}, stdio{in: strings.NewReader(""), out: &out, err: &errb})
	}()
	waitOutput(t, &out, 1, 10*time.Second)
	for i := range 20 {
		if code, _, errs := rtchat(t, "", "send", "--redis", srv.URL(), "general", fmt.Sprint("live ", i)); code != 0 {
			t.Fatal(errs)
		}
	}
	lines := waitOutput(t, &out, 21, 10*time.Second)
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("tail -f exit %d: %s", code, errb.String())
	}
	seen := map[string]bool{}
	for i, l := range lines {
		m := jsonLine(t, l)
		if seen[m["id"]] {
			t.Fatalf("id %s printed twice", m["id"])
		}
		seen[m["id"]] = true
		want := "before"
		if i > 0 {
			want = fmt.Sprint("live ", i-1)
		}
		if m["text"] != want {
			t.Fatalf("line %d text %q, want %q", i, m["text"], want)
		}
	}
}

func TestSendAndTailOnACluster(t *testing.T) {
	isolate(t)
	cl := redistest.StartCluster(t, 3, 0)
	addrs := cl.URLs()
	for i := range 3 {
		if code, _, errs := rtchat(t, "", "send", "--redis", addrs, fmt.Sprint("room", i), "on the cluster"); code != 0 {
			t.Fatalf("send to a cluster: %s", errs)
		}
	}
	code, out, errs := rtchat(t, "", "tail", "--json", "--redis", addrs, "room2")
	if code != 0 || !strings.Contains(out, `"text":"on the cluster"`) {
		t.Fatalf("tail on a cluster: %d %q %q", code, out, errs)
	}
	code, out, _ = rtchat(t, "", "channels", "--redis", addrs)
	if code != 0 || strings.Count(out, "room") != 3 {
		t.Fatalf("channels on a cluster: %q", out)
	}

	// tail -f follows live through sharded Pub/Sub (REDIS_URL as a list).
	t.Setenv("REDIS_URL", addrs)
	ctx, cancel := context.WithCancel(context.Background())
	var fout, ferr testio.Buffer
	done := make(chan int)
	go func() {
		done <- run(ctx, []string{"tail", "-f", "--json", "room1"}, stdio{in: strings.NewReader(""), out: &fout, err: &ferr})
	}()
	waitOutput(t, &fout, 1, 10*time.Second)
	for i := range 5 {
		if code, _, errs := rtchat(t, "", "send", "room1", fmt.Sprint("live ", i)); code != 0 {
			t.Fatal(errs)
		}
	}
	lines := waitOutput(t, &fout, 6, 10*time.Second)
	cancel()
	<-done
	if !strings.Contains(lines[5], `"text":"live 4"`) {
		t.Fatalf("tail -f on a cluster printed %q", lines)
	}
}

// TestHeadlessRoundTrips: send, tail and channels each cost connect,
// HELLO, the first exchange (which carries their first reads: the
// marker, ACL WHOAMI, and the name, the page or the channel names) and
// one more round trip (the script, the authors' keys, the channels'
// records); one more on these paths fails here (the bench's "remote"
// scenario says what they cost in time).
func TestHeadlessRoundTrips(t *testing.T) {
	isolate(t)
	srv := redistest.Start(t, redistest.RealOnly()) // a real server's counts (the embedded one runs EVAL)
	proxy := faultproxy.Start(t, srv.Addr)
	url := "redis://" + proxy.Addr
	if code, _, errs := rtchat(t, "", "send", "--redis", url, "general", "warm"); code != 0 {
		t.Fatal(errs) // (the scripts load; a channel is made)
	}
	if code, _, errs := rtchat(t, "", "tail", "--redis", url, "general"); code != 0 {
		t.Fatal(errs)
	}
	for _, c := range []struct {
		args []string
		want int64
	}{
		{[]string{"send", "--redis", url, "general", "hi"}, 4},
		{[]string{"tail", "--redis", url, "-n", "20", "general"}, 4}, // the page rides the first exchange; then the authors' keys
		{[]string{"channels", "--redis", url}, 4},
	} {
		before := proxy.RoundTrips()
		if code, _, errs := rtchat(t, "", c.args...); code != 0 {
			t.Fatalf("%v: %s", c.args, errs)
		}
		n := proxy.RoundTrips() - before
		t.Logf("rtchat %s: %d round trips", c.args[0], n)
		if n > c.want {
			t.Errorf("rtchat %s: %d round trips, want %d", c.args[0], n, c.want)
		}
	}
}

// Common flags may come before the command; a send that makes a new
// channel says so on stderr (a typo is noticed at once); help writes the
// flags as the README does, --name.
func TestFlagsBeforeCommandAndCreatedChannel(t *testing.T) {
	isolate(t)
	srv := redistest.Start(t)
	code, out, errs := rtchat(t, "", "--user", "dave", "--redis", srv.URL(), "send", "typo-name", "hi")
	if code != 0 || strings.TrimSpace(out) == "" {
		t.Fatalf("flags before send: exit %d, out %q, stderr %q", code, out, errs)
	}
	if !strings.Contains(errs, "created #typo-name") {
		t.Fatalf("a send that made a channel did not say so: %q", errs)
	}
	code, _, errs = rtchat(t, "", "send", "--redis", srv.URL(), "typo-name", "again")
	if code != 0 || strings.Contains(errs, "created") {
		t.Fatalf("a send to an existing channel: exit %d, stderr %q", code, errs)
	}
	_, out, _ = rtchat(t, "", "tail", "--json", "--redis", srv.URL(), "typo-name")
	if !strings.Contains(out, `"user":"dave"`) {
		t.Fatalf("--user before the command was not used: %s", out)
	}
	_, _, errs = rtchat(t, "", "send", "--help")
	if !strings.Contains(errs, "\n  --config PATH") || strings.Contains(errs, "\n  -config") {
		t.Fatalf("help does not write --config:\n%s", errs)
	}
}

// send --lines posts every line of standard input as its own message, in
// order, printing each id; blank lines are skipped, an oversized one is
// skipped with a warning that names it, and the rest still go.
func TestSendLines(t *testing.T) {
	isolate(t)
	srv := redistest.Start(t)
	var in strings.Builder
	for i := range 2000 {
		fmt.Fprintf(&in, "log line %d\n", i)
		if i == 10 {
			in.WriteString("\n   \n")
		}
		if i == 20 {
			in.WriteString(strings.Repeat("x", 20000) + "\n")
		}
	}
	code, out, errs := rtchat(t, in.String(), "send", "--lines", "--redis", srv.URL(), "ops")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(errs, "line 24 not sent") || !strings.Contains(errs, "limit is 16384") {
		t.Errorf("the oversized line's warning: %q", errs)
	}
	ids := strings.Fields(out)
	if len(ids) != 2000 {
		t.Fatalf("%d ids printed, want 2000", len(ids))
	}
	rdb := redistest.ClientAt(t, srv.Addr)
	xs, err := rdb.XRange(context.Background(), chat.DefaultKeys().Stream("ops"), "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(xs) != 2000 {
		t.Fatalf("the stream holds %d entries, want 2000", len(xs))
	}
	for i, x := range xs {
		if x.Values["text"] != fmt.Sprint("log line ", i) || x.ID != ids[i] {
			t.Fatalf("entry %d: %s %q (printed %s)", i, x.ID, x.Values["text"], ids[i])
		}
	}
	if code, _, errs := rtchat(t, "", "send", "--lines", "--redis", srv.URL(), "ops", "extra"); code == 0 || !strings.Contains(errs, "send --lines takes the conversation alone") {
		t.Errorf("send --lines with text: exit %d, %q", code, errs)
	}
}

// An admin makes a hook from the shell; rtchat hooks serve answers its
// URL on loopback and stores the POST; tail shows it as the hook's, a
// bot; the server stops cleanly when told to.
func TestHooksFromTheShell(t *testing.T) {
	isolate(t)
	srv := redistest.Start(t, redistest.RealOnly())
	url := srv.URL()
	if code, _, errs := rtchat(t, "", "send", "--redis", url, "alerts", "first"); code != 0 {
		t.Fatal(errs)
	}
	code, out, errs := rtchat(t, "", "--redis", url, "admin", "hook", "add", "alerts", "--name", "ci", "--url", "http://example.invalid:1")
	if code != 0 || !strings.HasPrefix(out, "http://example.invalid:1/hooks/") || !strings.Contains(errs, "shown once") {
		t.Fatalf("hook add: exit %d, %q, %q", code, out, errs)
	}
	hookPath := strings.TrimPrefix(strings.TrimSpace(out), "http://example.invalid:1")
	if code, _, errs := rtchat(t, "", "admin", "hook", "add", "nowhere", "--name", "x", "--redis", url); code == 0 || !strings.Contains(errs, "#nowhere does not exist") {
		t.Errorf("a hook to a missing channel: %d %q", code, errs)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var serveErr testio.Buffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"hooks", "serve", "--redis", url, "--addr", "127.0.0.1:0"}, stdio{in: strings.NewReader(""), out: io.Discard, err: &serveErr})
	}()
	t.Cleanup(func() { cancel(); <-done })
	var base string
	deadline := time.Now().Add(10 * time.Second)
	for base == "" && time.Now().Before(deadline) {
		if _, rest, ok := strings.Cut(serveErr.String(), "answering webhooks on "); ok {
			base, _, _ = strings.Cut(rest, " ")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if base == "" {
		t.Fatalf("hooks serve did not start: %s", serveErr.String())
	}
	resp, err := http.Post(base+hookPath, "application/json", strings.NewReader(`{"text":"build *green*"}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "ok" {
		t.Fatalf("POST: %d %q", resp.StatusCode, body)
	}
	_, out, _ = rtchat(t, "", "tail", "-n", "1", "--redis", url, "alerts")
	if !strings.Contains(out, "BOT ci (via hook): build *green*") {
		t.Fatalf("tail: %q", out)
	}
	_, out, _ = rtchat(t, "", "tail", "-n", "1", "--json", "--redis", url, "alerts")
	if !strings.Contains(out, `"user":"hook:ci"`) || !strings.Contains(out, `"verified":true,"bot":true`) {
		t.Fatalf("tail --json: %q", out)
	}
	// A payload's username and icon name its message beside the hook's.
	resp, err = http.Post(base+hookPath, "application/json", strings.NewReader(`{"text":"firing","username":"Alertmanager","icon_emoji":":rotating_light:"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	_, out, _ = rtchat(t, "", "tail", "-n", "1", "--redis", url, "alerts")
	if !strings.Contains(out, "BOT 🚨 Alertmanager (via hook ci): firing") {
		t.Fatalf("tail of a named message: %q", out)
	}
	_, out, _ = rtchat(t, "", "tail", "-n", "1", "--json", "--redis", url, "alerts")
	if !strings.Contains(out, `"user":"hook:ci"`) || !strings.Contains(out, `"bot":true,"as":"🚨 Alertmanager"`) {
		t.Fatalf("tail --json of a named message: %q", out)
	}
	_, out, _ = rtchat(t, "", "admin", "hook", "list", "--redis", url)
	if !strings.Contains(out, "\tci\talerts\t") || strings.Contains(out, strings.TrimPrefix(hookPath, "/hooks/")) {
		t.Fatalf("hook list: %q", out)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("hooks serve ended with %d: %s", code, serveErr.String())
	}
	done <- 0 // for the cleanup
}

// docs/TAIL-JSON.md lists every field tail --json prints, and nothing
// else: a field added to the output without its line in the contract
// (or a documented one gone) fails here.
func TestTailJSONContractListsEveryField(t *testing.T) {
	doc, err := os.ReadFile("../../docs/TAIL-JSON.md")
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for _, m := range regexp.MustCompile("(?m)^\\| `([a-z_0-9]+)` \\|").FindAllStringSubmatch(string(doc), -1) {
		documented[m[1]] = true
	}
	printed := map[string]bool{}
	ty := reflect.TypeFor[jsonMessage]()
	for i := range ty.NumField() {
		name, _, _ := strings.Cut(ty.Field(i).Tag.Get("json"), ",")
		printed[name] = true
	}
	for f := range printed {
		if !documented[f] {
			t.Errorf("tail --json prints %q, which docs/TAIL-JSON.md does not list", f)
		}
	}
	for f := range documented {
		if !printed[f] {
			t.Errorf("docs/TAIL-JSON.md lists %q, which tail --json does not print", f)
		}
	}
}

// An outgoing hook made from the shell fires while hooks serve runs:
// the answer lands in the message's thread.
func TestOutgoingHookFromTheShell(t *testing.T) {
	isolate(t)
	srv := redistest.Start(t, redistest.RealOnly())
	url := srv.URL()
	if code, _, errs := rtchat(t, "", "send", "--redis", url, "ops", "hello"); code != 0 {
		t.Fatal(errs)
	}
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		_, _ = io.WriteString(w, `{"text":"on it, `+r.PostForm.Get("user_name")+`"}`)
	}))
	defer receiver.Close()
	code, token, errs := rtchat(t, "", "admin", "hook", "out", "add", "ops", "--name", "deployer", "--trigger", "deploy", "--url", receiver.URL, "--redis", url)
	if code != 0 || len(strings.TrimSpace(token)) < 20 {
		t.Fatalf("out add: %d %q %q", code, token, errs)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"hooks", "serve", "--redis", url, "--addr", "127.0.0.1:0"}, stdio{in: strings.NewReader(""), out: io.Discard, err: io.Discard})
	}()
	defer func() { cancel(); <-done }()
	rdb := redistest.ClientAt(t, srv.Addr)
	redistest.WaitSubscribers(t, rdb, chat.DefaultKeys().Stream("ops"), 1)
	code, out, errs := rtchat(t, "", "send", "--redis", url, "--user", "carol", "ops", "deploy prod")
	if code != 0 {
		t.Fatal(errs)
	}
	id := strings.TrimSpace(out)
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, out, _ = rtchat(t, "", "tail", "--thread", id, "--redis", url, "ops")
		if strings.Contains(out, "BOT deployer (via hook): on it, carol") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no answer in the thread: %q", out)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
