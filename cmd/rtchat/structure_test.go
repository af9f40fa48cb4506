package main

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rtchat/rtchat/internal/redistest"
)

func TestHeadlessStructure(t *testing.T) {
	isolate(t)
	srv := redistest.Start(t)
	url := srv.URL()
	sendOK := runsOK(t, url)
	root := sendOK("send", "general", "the plan")
	out, errs := followTail(t, "--redis", url, "general")
	waitOutput(t, out, 1, 10*time.Second)
	reply := sendOK("send", "--reply-to", root, "general", "agreed")
	sendOK("send", "--reply-to", root, "--thread", "general", "in the thread")
	sendOK("react", "general", root, ":+1:")
	sendOK("edit", "general", root, "the", "better", "plan")
	sendOK("react", "general", reply, "🎉")
	sendOK("delete", "general", reply)

	// tail -f: the new line, then the root and the reply again as they
	// change; the thread reply is not a line of the channel.
	lines := waitOutput(t, out, 6, 10*time.Second)
	got := jsonLines(t, strings.Join(lines, "\n"))
	if got[1]["text"] != "agreed" || got[1]["reply_to"] != root {
		t.Fatalf("the reply: %v", got[1])
	}
	if got[2]["id"] != root || got[2]["reactions"] != "map[👍:1]" {
		t.Fatalf("the reaction: %v", got[2])
	}
	if got[3]["id"] != root || got[3]["text"] != "the better plan" || got[3]["edited"] != "true" || got[3]["verified"] != "true" {
		t.Fatalf("the edit: %v", got[3])
	}
	if got[5]["id"] != reply || got[5]["deleted"] != "true" || got[5]["text"] != "" {
		t.Fatalf("the delete: %v", got[5])
	}
	if strings.Contains(out.String(), "in the thread") {
		t.Fatalf("a thread reply printed in the channel:\n%s", out.String())
	}
	_ = errs

	// tail after the fact: every field, and the thread.
	code, plain, _ := rtchat(t, "", "tail", "--redis", url, "general")
	if code != 0 || !strings.Contains(plain, "the better plan (edited)  · 👍 1 · 1 reply") || !strings.Contains(plain, "(message deleted)") {
		t.Fatalf("tail:\n%s", plain)
	}
	code, th, _ := rtchat(t, "", "tail", "--json", "--thread", root, "--redis", url, "general")
	tl := jsonLines(t, th)
	if code != 0 || len(tl) != 2 || tl[0]["id"] != root || tl[0]["replies"] != "1" || tl[1]["text"] != "in the thread" || tl[1]["thread"] != root {
		t.Fatalf("tail --thread: %s", th)
	}

	// What is refused says so in one line.
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"edit", "general", "1-1", "x"}, "no such message"},
		{[]string{"react", "general", root, "not an emoji"}, "a reaction is one emoji"},
		{[]string{"send", "--thread", "general", "x"}, "--thread needs --reply-to"},
		{[]string{"delete", "general", "nonsense"}, "message id"},
	} {
		code, _, errs := rtchat(t, "", append(c.args, "--redis", url)...)
		if code == 0 || !strings.Contains(errs, c.want) || strings.Count(strings.TrimSpace(errs), "\n") > 0 {
			t.Errorf("%v: %d %q, want %q", c.args, code, errs, c.want)
		}
	}
	t.Setenv("RTCHAT_USER", "mallory")
	if code, _, errs := rtchat(t, "", "edit", "general", root, "mine now", "--redis", url); code == 0 || !strings.Contains(errs, "only its author may change a message") {
		t.Errorf("another user's edit: %d %q", code, errs)
	}
}

// tail -f -n 0 prints a change of a message sent before it started, as
// the message is now: a script following the channel sees every change.
func TestTailFollowPrintsChangesOfOlderMessages(t *testing.T) {
	isolate(t)
	srv := redistest.Start(t)
	url := srv.URL()
	sendOK := runsOK(t, url)
	root := sendOK("send", "general", "the plan")
	out, _ := followTail(t, "-n", "0", "--redis", url, "general")
	// Until tail is following: a line sent now is printed.
	redistest.Eventually(t, 10*time.Second, "tail to follow", func() error {
		if strings.Contains(out.String(), "ready?") {
			return nil
		}
		sendOK("send", "general", "ready?")
		return errors.New("not yet")
	})
	n := len(jsonLines(t, out.String()))
	sendOK("edit", "general", root, "the better plan")
	sendOK("react", "general", root, "🎉")
	lines := jsonLines(t, strings.Join(waitOutput(t, out, n+2, 10*time.Second), "\n"))
	edit, react := lines[n], lines[n+1]
	if edit["id"] != root || edit["text"] != "the better plan" || edit["edited"] != "true" {
		t.Fatalf("the edit of an older message: %v", edit)
	}
	if react["id"] != root || react["reactions"] != "map[🎉:1]" {
		t.Fatalf("the reaction to an older message: %v", react)
	}
}

// runsOK returns a runner of rtchat commands on the server at url that
// fails the test when one fails, and returns what it printed.
func runsOK(t *testing.T, url string) func(args ...string) string {
	return func(args ...string) string {
		t.Helper()
		code, out, errs := rtchat(t, "", append(args, "--redis", url)...)
		if code != 0 {
			t.Fatalf("%v: %d %s", args, code, errs)
		}
		return strings.TrimSpace(out)
	}
}
