package chat_test

import (
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rtchat/rtchat/chat"
	"github.com/rtchat/rtchat/internal/chattest"
)

// The name a hook gives one message reaches readers live and in history,
// signed with it; a person's client cannot give one, and one on a person's
// entry is not believed.
func TestHookGivesAMessageAName(t *testing.T) {
	_, rdb := startRedis(t)
	ctx := ctxT(t)
	bob := newRecorder(t, rdb, "bob")
	if _, err := bob.Join(ctx, "alerts"); err != nil {
		t.Fatal(err)
	}
	hook := chattest.New(t, chat.Options{Redis: rdb, User: chat.HookAuthor("grafana"), Signer: chat.NewSigner()})
	if err := hook.RegisterKey(ctx); err != nil {
		t.Fatal(err)
	}
	sent, err := hook.Broadcast(ctx, chat.Draft{Channel: "alerts", Text: "disk full", As: "  🚨  Alert\nmanager\x1b[2J "})
	if err != nil {
		t.Fatal(err)
	}
	const as = `🚨 Alert manager\x1b[2J`
	bob.waitCount("alerts", 1, 5*time.Second)
	bob.mu.Lock()
	live := bob.msgs["alerts"][0]
	bob.mu.Unlock()
	page, err := bob.History(ctx, "alerts", chat.ID{})
	if err != nil || len(page.Messages) != 1 {
		t.Fatalf("history: %d messages, %v", len(page.Messages), err)
	}
	for how, m := range map[string]chat.Message{"live": live, "history": page.Messages[0]} {
		if m.ID != sent.ID || m.As != as || m.Malformed != "" {
			t.Fatalf("%s: read as %q (odd %q)", how, m.As, m.Malformed)
		}
		if ok, _, err := bob.VerifyNow(ctx, m); err != nil || !ok[0] {
			t.Fatalf("%s: does not verify: %v %v", how, ok, err)
		}
		// The signature covers the name: another name does not verify.
		m.As = "alice"
		if ok, _, err := bob.VerifyNow(ctx, m); err != nil || ok[0] {
			t.Fatalf("%s: verifies under another name: %v %v", how, ok, err)
		}
	}
	if got := chat.ShownName(live.User, live.As); got != as+" (via hook grafana)" {
		t.Errorf("shown as %q", got)
	}
	if got := chat.ShownName(live.User, "grafana"); got != "grafana (via hook)" {
		t.Errorf("its own name shown as %q", got)
	}
	if _, err := bob.Broadcast(ctx, chat.Draft{Channel: "alerts", Text: "hi", As: "grafana"}); err == nil {
		t.Fatal("a person's message took a name of its own")
	}
	// An entry in a person's name with one, added by hand: the name is
	// dropped and the entry marked odd.
	if err := rdb.XAdd(ctx, &redis.XAddArgs{Stream: chat.DefaultKeys().Stream("alerts"),
		Values: []any{"user", "bob", "text", "x", "ts", time.Now().UnixMilli(), "mid", "m-odd", "channel_id", "1", "as", "root"}}).Err(); err != nil {
		t.Fatal(err)
	}
	page, err = bob.History(ctx, "alerts", chat.ID{})
	if err != nil || len(page.Messages) != 2 {
		t.Fatalf("history: %d messages, %v", len(page.Messages), err)
	}
	if m := page.Messages[1]; m.As != "" || !strings.Contains(m.Malformed, "as is not") {
		t.Fatalf("a person's entry with a name read as %q (odd %q)", m.As, m.Malformed)
	}
}

func TestCleanAs(t *testing.T) {
	for in, want := range map[string]string{
		"Alertmanager":                "Alertmanager",
		" two\t words \n":             "two words",
		"\u202eevil":                  `\u202eevil`,
		strings.Repeat("é", 40):       strings.Repeat("é", 32),
		strings.Repeat("a", 63) + "é": strings.Repeat("a", 63),
		"":                            "",
	} {
		if got := chat.CleanAs(in); got != want || chat.CleanAs(got) != got {
			t.Errorf("CleanAs(%q) = %q, want %q (and the same again)", in, got, want)
		}
	}
}
