package main

import (
	"strings"
	"testing"
	"time"

	"github.com/rtchat/rtchat/internal/redistest"
)

// "rtchat search" finds across conversations, newest first, plain and
// JSON, at most -n, and says what is wrong with a query.
func TestSearchFromTheShell(t *testing.T) {
	isolate(t)
	srv := redistest.Start(t, redistest.RealOnly())
	url := srv.URL()
	if code, _, errs := rtchat(t, "", "send", "--redis", url, "--user", "bob", "general", "hi"); code != 0 { // bob is known
		t.Fatal(errs)
	}
	for _, m := range [][]string{{"ops", "deploy failed on db-2"}, {"general", "lunch"}, {"general", "deploy is back"}, {"@bob", "the deploy, again"}} {
		if code, _, errs := rtchat(t, "", "send", "--redis", url, "--user", "alice", m[0], m[1]); code != 0 {
			t.Fatal(errs)
		}
		time.Sleep(2 * time.Millisecond)
	}
	_, out, errs := rtchat(t, "", "search", "--redis", url, "--user", "alice", "deploy")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "@bob [") || !strings.HasSuffix(lines[0], "alice: the deploy, again") ||
		!strings.HasPrefix(lines[1], "#general ") || !strings.HasPrefix(lines[2], "#ops ") {
		t.Fatalf("search: %q %q", out, errs)
	}
	_, out, _ = rtchat(t, "", "search", "--redis", url, "--user", "alice", "--json", "-n", "1", "deploy", "in:#ops")
	if m := jsonLines(t, out); len(m) != 1 || m[0]["channel"] != "ops" || m[0]["verified"] != "true" {
		t.Fatalf("search --json: %q", out)
	}
	// carol never sees the conversation of alice and bob.
	if _, out, _ := rtchat(t, "", "search", "--redis", url, "--user", "carol", "deploy"); strings.Contains(out, "@") {
		t.Fatalf("carol found a direct message: %q", out)
	}
	if code, _, errs := rtchat(t, "", "search", "--redis", url, "before:soon"); code == 0 || !strings.Contains(errs, "is not a date") {
		t.Fatalf("a bad query: %d %q", code, errs)
	}
}

// "rtchat export" writes a conversation oldest first, as it reads now:
// an edit applied, a deleted message left out; --since bounds it.
func TestExportFromTheShell(t *testing.T) {
	isolate(t)
	srv := redistest.Start(t, redistest.RealOnly())
	url := srv.URL()
	var ids []string
	for _, text := range []string{"first", "second, with a typo", "third, taken back", "fourth"} {
		code, out, errs := rtchat(t, "", "send", "--redis", url, "--user", "alice", "ops", text)
		if code != 0 {
			t.Fatal(errs)
		}
		ids = append(ids, strings.TrimSpace(out))
	}
	if code, _, errs := rtchat(t, "", "edit", "--redis", url, "--user", "alice", "ops", ids[1], "second"); code != 0 {
		t.Fatal(errs)
	}
	if code, _, errs := rtchat(t, "", "delete", "--redis", url, "--user", "alice", "ops", ids[2]); code != 0 {
		t.Fatal(errs)
	}
	_, out, errs := rtchat(t, "", "export", "--redis", url, "ops")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.HasSuffix(lines[0], "alice: first") || !strings.Contains(lines[1], "alice: second") || !strings.HasSuffix(lines[2], "alice: fourth") {
		t.Fatalf("export: %q %q", out, errs)
	}
	_, out, _ = rtchat(t, "", "export", "--redis", url, "--format", "json", "ops")
	if m := jsonLines(t, out); len(m) != 3 || m[1]["text"] != "second" || m[1]["edited"] != "true" {
		t.Fatalf("export --format json: %q", out)
	}
	tomorrow := time.Now().AddDate(0, 0, 1).Format(time.DateOnly)
	if _, out, _ := rtchat(t, "", "export", "--redis", url, "--since", tomorrow, "ops"); out != "" {
		t.Fatalf("--since tomorrow: %q", out)
	}
	if code, _, errs := rtchat(t, "", "export", "--redis", url, "--since", "soon", "ops"); code == 0 || !strings.Contains(errs, "not a date") {
		t.Fatalf("a bad --since: %d %q", code, errs)
	}
}
