package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rtchat/rtchat/chat"
	"github.com/rtchat/rtchat/internal/chattest"
	"github.com/rtchat/rtchat/internal/faultproxy"
	"github.com/rtchat/rtchat/internal/redistest"
	"github.com/rtchat/rtchat/internal/testio"
)

// followTail runs "rtchat tail -f --json args…" in-process until the test
// ends; it returns its stdout and stderr.
func followTail(t *testing.T, args ...string) (out, errs *testio.Buffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out, errs = &testio.Buffer{}, &testio.Buffer{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		run(ctx, append([]string{"tail", "-f", "--json"}, args...), stdio{in: strings.NewReader(""), out: out, err: errs})
	}()
	t.Cleanup(func() { cancel(); <-done })
	return out, errs
}

// jsonLines decodes tail --json output.
func jsonLines(t *testing.T, s string) []map[string]string {
	t.Helper()
	var out []map[string]string
	for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
		if l != "" {
			out = append(out, jsonLine(t, l))
		}
	}
	return out
}

// jsonLine decodes one line of tail --json, its values as text
// ("verified": "true" or "false").
func jsonLine(t *testing.T, l string) map[string]string {
	t.Helper()
	var raw map[string]any
	if err := json.Unmarshal([]byte(l), &raw); err != nil {
		t.Fatalf("not JSON: %q", l)
	}
	m := map[string]string{}
	for k, v := range raw {
		m[k] = fmt.Sprint(v)
	}
	return m
}

// TestForgedLiveEntriesAsAnAccount: an account may publish on a channel's
// topic; what it publishes that is not in the stream never reaches tail
// -f, and every real message after it does.
func TestForgedLiveEntriesAsAnAccount(t *testing.T) {
	isolate(t)
	srv, pw := withAccounts(t, "alice", "mallory")
	ctx := context.Background()
	signIn(t, "alice", pw["alice"])
	url := "redis://" + srv.Addr
	if code, _, errs := rtchat(t, "", "send", "--redis", url, "general", "before"); code != 0 {
		t.Fatal(errs)
	}
	out, errs := followTail(t, "--redis", url, "general")
	waitOutput(t, out, 1, 10*time.Second)
	mallory := srv.ClientAs(t, "mallory", pw["mallory"])
	last := jsonLines(t, out.String())[0]["id"]
	topic := chat.DefaultKeys().Topic("general")
	field := func(name, value string) string { return fmt.Sprintf("%s:%d:%s", name, len(value), value) }
	body := field("mid", "m") + field("user", "bob") + field("ts", "1") + field("text", "FORGED")
	for _, payload := range []string{
		"v2\n99999999999999-0\n\n" + body,
		"v2\n99999999999999-1\n" + last + "\n" + body,
		"99999999999999-2\n\n1\n" + `{"mid":"m","user":"bob","text":"FORGED","ts":1}`,
	} {
		if err := mallory.Publish(ctx, topic, payload).Err(); err != nil {
			t.Fatalf("an account may not publish: %v", err)
		}
	}
	for i := range 3 {
		if code, _, errs := rtchat(t, "", "send", "--redis", url, "general", fmt.Sprint("real ", i)); code != 0 {
			t.Fatal(errs)
		}
	}
	lines := waitOutput(t, out, 4, 10*time.Second)
	time.Sleep(200 * time.Millisecond) // a late forged line would show now
	got := jsonLines(t, out.String())
	if len(got) != 4 || strings.Contains(out.String(), "FORGED") {
		t.Fatalf("tail -f printed %d lines (want the 4 real ones):\n%s\nstderr: %s", len(got), strings.Join(lines, "\n"), errs.String())
	}
	for i, m := range got[1:] {
		if m["text"] != fmt.Sprint("real ", i) {
			t.Fatalf("line %d = %v", i+1, m)
		}
	}
}

// TestPlainOutputCannotForgeLines: a message or a description with line
// breaks prints every line after the first indented, so none of them can
// pass for another message.
func TestPlainOutputCannotForgeLines(t *testing.T) {
	isolate(t)
	srv := redistest.Start(t)
	url := srv.URL()
	forged := "fine\n[08:29] bob: please send me your password\n[2026-11-26 08:29] bob: really"
	if code, _, errs := rtchat(t, "", "send", "--redis", url, "general", forged); code != 0 {
		t.Fatal(errs)
	}
	_, out, _ := rtchat(t, "", "tail", "--redis", url, "general")
	rows := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(rows) != 3 || !strings.HasSuffix(rows[0], "tester: fine") {
		t.Fatalf("tail printed %q", out)
	}
	for _, r := range rows[1:] {
		if !strings.HasPrefix(r, continuation) {
			t.Fatalf("a continuation line is not indented: %q", r)
		}
	}
	c := chattest.New(t, chat.Options{Redis: srv.Client(t), User: "tester"})
	if err := c.SetTopic(context.Background(), "general", "topic\nrandom  9  looks like a channel"); err != nil {
		t.Fatal(err)
	}
	_, out, _ = rtchat(t, "", "channels", "--redis", url)
	rows = strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(rows) != 2 || !strings.HasPrefix(rows[1], continuation) {
		t.Fatalf("channels printed %q", out)
	}
}

// TestCredentialsInAddressListsNeverPrinted: a cluster address list with a
// password in it is refused without printing the password, and says how
// to give one.
func TestCredentialsInAddressListsNeverPrinted(t *testing.T) {
	isolate(t)
	const secret = "Addr-s3cret"
	cfg := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(cfg, []byte("[redis]\naddrs = [\"user:"+secret+"@127.0.0.1:7000\", \"127.0.0.1:7001\"]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"channels", "--redis", ":" + secret + "@127.0.0.1:7002,127.0.0.1:7001"},
		{"channels", "--redis", "redis://u:" + secret + "@127.0.0.1:7002,127.0.0.1:7001"},
		{"channels", "--config", cfg},
	} {
		code, out, errs := rtchat(t, "", args...)
		if code == 0 || strings.Contains(out+errs, secret) || !strings.Contains(errs, "REDIS_PASSWORD") {
			t.Fatalf("%v: exit %d, output %q %q", args, code, out, errs)
		}
	}
	t.Setenv("REDIS_URL", ":"+secret+"@127.0.0.1:7002,127.0.0.1:7001")
	if code, out, errs := rtchat(t, "", "channels"); code == 0 || strings.Contains(out+errs, secret) {
		t.Fatalf("REDIS_URL: exit %d, output %q %q", code, out, errs)
	}
}

// TestWipedServerIsNoticed: after FLUSHALL, tail -f says once that the
// server lost its data (not that history was truncated), the user and the
// channel are registered again, and new messages still arrive.
func TestWipedServerIsNoticed(t *testing.T) {
	isolate(t)
	srv := redistest.Start(t, redistest.RealOnly())
	rdb := srv.Client(t)
	ctx := context.Background()
	if code, _, errs := rtchat(t, "", "send", "--redis", srv.URL(), "general", "before"); code != 0 {
		t.Fatal(errs)
	}
	// A member's window keeps going through the wipe.
	c := chattest.Start(t, chat.Options{Redis: srv.Client(t), User: "alice", PresenceEvery: 300 * time.Millisecond})
	reset := make(chan struct{}, 4)
	go func() {
		for ev := range c.Events() {
			if _, ok := ev.(chat.ResetEvent); ok {
				reset <- struct{}{}
			}
		}
	}()
	if _, err := c.Join(ctx, "general"); err != nil {
		t.Fatal(err)
	}
	out, errs := followTail(t, "--redis", srv.URL(), "general")
	waitOutput(t, out, 1, 10*time.Second)
	if err := rdb.FlushAll(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-reset:
	case <-time.After(10 * time.Second):
		t.Fatal("the client did not notice the wipe")
	}
	waitFor(t, 10*time.Second, "alice and #general registered again", func() bool {
		return rdb.Exists(ctx, "user:{alice}", "channel:{general}").Val() == 2 &&
			rdb.SIsMember(ctx, "channel:{general}:members", "alice").Val()
	})
	if code, _, e := rtchat(t, "", "send", "--redis", srv.URL(), "general", "after"); code != 0 {
		t.Fatal(e)
	}
	waitOutput(t, out, 2, 10*time.Second)
	waitFor(t, 10*time.Second, "tail -f to say it", func() bool { return strings.Contains(errs.String(), "lost its data") })
	if strings.Count(errs.String(), "lost its data") != 1 || strings.Contains(errs.String(), "truncated") {
		t.Fatalf("tail -f stderr: %q", errs.String())
	}
}

// waitFor waits until cond holds (see redistest.Eventually).
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	redistest.Eventually(t, timeout, what, func() error {
		if !cond() {
			return errors.New("not yet")
		}
		return nil
	})
}

// TestTailFollowSaysWhenTheLinkComesBack: tail -f tells stderr when it
// lost the server and when it has it again, and misses nothing between.
func TestTailFollowSaysWhenTheLinkComesBack(t *testing.T) {
	isolate(t)
	srv := redistest.Start(t, redistest.RealOnly())
	proxy := faultproxy.Start(t, srv.Addr)
	if code, _, errs := rtchat(t, "", "send", "--redis", srv.URL(), "general", "before"); code != 0 {
		t.Fatal(errs)
	}
	out, errs := followTail(t, "--redis", "redis://"+proxy.Addr, "general")
	waitOutput(t, out, 1, 10*time.Second)
	proxy.Down()
	if code, _, e := rtchat(t, "", "send", "--redis", srv.URL(), "general", "while away"); code != 0 {
		t.Fatal(e)
	}
	waitFor(t, 10*time.Second, "the lost notice", func() bool { return strings.Contains(errs.String(), "lost the connection") })
	proxy.Up()
	waitFor(t, 20*time.Second, "the back notice", func() bool { return strings.Contains(errs.String(), "connected to Redis again") })
	lines := waitOutput(t, out, 2, 10*time.Second)
	if !strings.Contains(lines[1], "while away") {
		t.Fatalf("tail -f printed %q", lines)
	}
}

// TestOddTimestampsPrintValidJSON: entries another tool wrote with an
// absurd ts or user print an RFC 3339 time and are marked odd.
func TestOddTimestampsPrintValidJSON(t *testing.T) {
	isolate(t)
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	rtchat(t, "", "send", "--redis", srv.URL(), "general", "ok")
	key := chat.DefaultKeys().Stream("general")
	for _, v := range [][]any{
		{"user", "tool", "text", "negative", "ts", "-5"},
		{"user", "tool", "text", "far", "ts", "100000000000000000"},
		{"user", strings.Repeat("x", 300), "text", "long user", "ts", "1"},
		{"user", "a\n[red]b", "text", "odd user", "ts", "1"},
	} {
		redistest.XAdd(t, rdb, key, v...)
	}
	_, out, _ := rtchat(t, "", "tail", "--json", "--redis", srv.URL(), "general")
	got := jsonLines(t, out)
	if len(got) != 5 {
		t.Fatalf("tail printed %q", out)
	}
	for _, m := range got {
		if _, err := time.Parse(time.RFC3339, m["ts"]); err != nil {
			t.Fatalf("ts %q is not RFC 3339", m["ts"])
		}
		if (m["text"] == "ok") != (m["odd"] == "") {
			t.Fatalf("entry %v: odd %q", m["text"], m["odd"])
		}
	}
}

// TestAccurateCauses: each failure says what it is.
func TestAccurateCauses(t *testing.T) {
	isolate(t)
	srv := redistest.Start(t, redistest.RealOnly())
	rdb := srv.Client(t)
	ctx := context.Background()
	rtchat(t, "", "send", "--redis", srv.URL(), "general", "ok")

	// A paused server is not an absent one.
	if err := rdb.Do(ctx, "CLIENT", "PAUSE", "6000", "ALL").Err(); err != nil {
		t.Fatal(err)
	}
	code, _, errs := rtchat(t, "", "channels", "--redis", srv.URL())
	_ = rdb.Do(ctx, "CLIENT", "UNPAUSE").Err()
	if code == 0 || !strings.Contains(errs, "did not answer") || strings.Contains(errs, "start redis-server") {
		t.Fatalf("paused: %q", errs)
	}
	// TLS against a plain server: quick, and it names TLS.
	start := time.Now()
	code, _, errs = rtchat(t, "", "channels", "--redis", "rediss://:pw@"+srv.Addr)
	if code == 0 || !strings.Contains(errs, "TLS") || strings.Contains(errs, "context canceled") || time.Since(start) > 5*time.Second {
		t.Fatalf("rediss:// to a plain server after %v: %q", time.Since(start), errs)
	}
	// Script errors say what Redis said, not where in which script.
	if err := rdb.ConfigSet(ctx, "maxmemory", "1").Err(); err != nil {
		t.Fatal(err)
	}
	code, _, errs = rtchat(t, "", "send", "--redis", srv.URL(), "general", "too much")
	_ = rdb.ConfigSet(ctx, "maxmemory", "0").Err()
	if code == 0 || !strings.Contains(errs, "OOM") || strings.Contains(errs, "script") || strings.Contains(errs, "user_script") {
		t.Fatalf("out of memory: %q", errs)
	}
	if err := rdb.Set(ctx, chat.DefaultKeys().Stream("odd"), "x", 0).Err(); err != nil {
		t.Fatal(err)
	}
	code, _, errs = rtchat(t, "", "send", "--redis", srv.URL(), "odd", "x")
	if code == 0 || !strings.Contains(errs, "message:{odd} holds a string, not a stream") || strings.Contains(errs, "script") {
		t.Fatalf("wrong type: %q", errs)
	}
	// serve: a bad address, and a public one.
	if code, _, errs := rtchat(t, "", "serve", "--addr", "garbage"); code == 0 || !strings.Contains(errs, "not host:port") || strings.Contains(errs, "already listening") {
		t.Fatalf("serve --addr garbage: %q", errs)
	}
	if code, _, errs := rtchat(t, "", "serve", "--addr", "0.0.0.0:0"); code == 0 || !strings.Contains(errs, "--allow-remote") {
		t.Fatalf("serve on every interface: %q", errs)
	}
	// Flags and sizes as given.
	if code, _, errs := rtchat(t, "", "channels", "--user", "", "--redis", srv.URL()); code == 0 || !strings.Contains(errs, "--user is empty") {
		t.Fatalf("--user '': %q", errs)
	}
	if code, _, errs := rtchat(t, "", "--help"); code != 0 || strings.Contains(errs, "rtchat  ") || !strings.Contains(errs, "Usage: rtchat [flags]") {
		t.Fatalf("--help: %q", errs)
	}
	bad := strings.Repeat("\xffa", 5000) // 10000 bytes given, 20000 once replaced
	if code, _, errs := rtchat(t, bad, "send", "--redis", srv.URL(), "general", "-"); code == 0 || !strings.Contains(errs, "20000 bytes once invalid UTF-8 is replaced") {
		t.Fatalf("invalid UTF-8 over the limit: %q", errs)
	}
	if code, _, errs := rtchat(t, strings.Repeat("x", 20000), "send", "--redis", srv.URL(), "general", "-"); code == 0 || !strings.Contains(errs, "20000 bytes") {
		t.Fatalf("oversized: %q", errs)
	}
}

// TestOddKeysAreSkippedAndNamed: keys of the wrong type do not break the
// channel list, and a channel hash without an id still takes messages.
func TestOddKeysAreSkippedAndNamed(t *testing.T) {
	isolate(t)
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	ctx := context.Background()
	rtchat(t, "", "send", "--redis", srv.URL(), "general", "ok")
	keys := chat.DefaultKeys()
	rdb.Set(ctx, keys.Channel("broken"), "oops", 0)
	rdb.SAdd(ctx, keys.ChannelIndex(), "broken")
	code, out, errs := rtchat(t, "", "channels", "--redis", srv.URL())
	if code != 0 || !strings.Contains(out, "general") || !strings.Contains(errs, "channel:{broken}") || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
		t.Fatalf("channels with an odd key: %d %q %q", code, out, errs)
	}
	// A hash another tool made, without an id.
	rdb.HSet(ctx, keys.Channel("bare"), "name", "bare")
	rdb.SAdd(ctx, keys.ChannelIndex(), "bare")
	if code, _, errs := rtchat(t, "", "send", "--redis", srv.URL(), "bare", "hello"); code != 0 {
		t.Fatalf("send to a channel without an id: %q", errs)
	}
	if _, out, _ := rtchat(t, "", "tail", "--redis", srv.URL(), "bare"); !strings.Contains(out, "hello") {
		t.Fatalf("tail of it: %q", out)
	}
}

// TestSendWaitsOutAFailover: "rtchat send" to a channel whose master just
// died waits for its replica to take over instead of failing at once.
func TestSendWaitsOutAFailover(t *testing.T) {
	isolate(t)
	cl := redistest.StartCluster(t, 3, 1)
	addrs := cl.URLs()
	if code, _, errs := rtchat(t, "", "send", "--redis", addrs, "failover", "before"); code != 0 {
		t.Fatal(errs)
	}
	master := cl.MasterOf(t, chat.DefaultKeys().Stream("failover"))
	cl.WaitReplicated(t, master)
	cl.Node(master).Kill()
	start := time.Now()
	code, out, errs := rtchat(t, "", "send", "--redis", addrs, "failover", "during")
	if code != 0 {
		t.Fatalf("send during a failover, after %v: %q", time.Since(start), errs)
	}
	t.Logf("the send waited %v for the failover", time.Since(start).Round(time.Millisecond))
	_, out, _ = rtchat(t, "", "tail", "--redis", addrs, "failover")
	if strings.Count(out, "during") != 1 || !strings.Contains(out, "before") {
		t.Fatalf("after the failover the channel holds %q", out)
	}
}

// A restart that lost the data: tail -f says the data is gone, and when
// the link is back it does not say nothing was missed.
func TestTailFollowAfterARestartWithoutData(t *testing.T) {
	isolate(t)
	srv := redistest.Start(t, redistest.RealOnly())
	if code, _, errs := rtchat(t, "", "send", "--redis", srv.URL(), "general", "before"); code != 0 {
		t.Fatal(errs)
	}
	out, errs := followTail(t, "--redis", srv.URL(), "general")
	waitOutput(t, out, 1, 10*time.Second)
	srv.Kill()
	waitFor(t, 10*time.Second, "tail -f to lose the link", func() bool { return strings.Contains(errs.String(), "lost the connection") })
	srv.Restart() // no AOF: empty
	waitFor(t, 15*time.Second, "tail -f to be back", func() bool { return strings.Contains(errs.String(), "connected to Redis again") })
	if !strings.Contains(errs.String(), "lost its data") || strings.Contains(errs.String(), "nothing was missed") {
		t.Fatalf("tail -f stderr after a restart without data: %q", errs.String())
	}
}
