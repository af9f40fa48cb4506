package main

import (
	"strings"
	"testing"
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
