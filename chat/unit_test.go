package chat_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rtchat/rtchat/chat"
)

func TestValidateName(t *testing.T) {
	for name, tc := range map[string]struct {
		in string
		ok bool
	}{
		"simple":        {"general", true},
		"digits":        {"0day", true},
		"dash and _":    {"a-b_c", true},
		"max length":    {strings.Repeat("a", 64), true},
		"too long":      {strings.Repeat("a", 65), false},
		"empty":         {"", false},
		"upper":         {"General", false},
		"leading dash":  {"-x", false},
		"space":         {"a b", false},
		"tag":           {"[red]", false},
		"brace":         {"a{b}", false},
		"non-ascii":     {"کانال", false},
		"control":       {"a\x1b", false},
		"invalid utf-8": {"a\xff", false},
	} {
		t.Run(name, func(t *testing.T) {
			err := chat.ValidateName(tc.in)
			if tc.ok != (err == nil) {
				t.Fatalf("ValidateName(%q) = %v, want ok=%v", tc.in, err, tc.ok)
			}
			if err != nil && !errors.Is(err, chat.ErrInvalidName) {
				t.Fatalf("error %v does not wrap ErrInvalidName", err)
			}
		})
	}
}

func TestCleanText(t *testing.T) {
	for name, tc := range map[string]struct {
		in, want string
		max      int
		err      error
	}{
		"kept as typed":  {in: "[red]x ☕ سلام \x1b[2J", want: "[red]x ☕ سلام \x1b[2J", max: 100},
		"invalid utf-8":  {in: "a\xffb", want: "a\uFFFDb", max: 100},
		"blank":          {in: " \t\n", err: chat.ErrEmptyMessage, max: 100},
		"at the limit":   {in: strings.Repeat("x", 10), want: strings.Repeat("x", 10), max: 10},
		"over the limit": {in: strings.Repeat("x", 11), err: chat.ErrMessageTooLong, max: 10},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := chat.CleanText(tc.in, tc.max)
			if !errors.Is(err, tc.err) {
				t.Fatalf("err = %v, want %v", err, tc.err)
			}
			if got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestIDAfter(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"2-0", "1-0", true},
		{"1-1", "1-0", true},
		{"1-0", "1-0", false},
		{"10-0", "9-5", true},
		{"1-0", "", true},
		{"junk", "1-0", false},
	} {
		if got := chat.IDAfter(tc.a, tc.b); got != tc.want {
			t.Errorf("IDAfter(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestKeysShareHashTag(t *testing.T) {
	k := chat.DefaultKeys()
	for _, key := range []string{k.Channel("general"), k.Members("general"), k.Stream("general"), k.Topic("general")} {
		if !strings.Contains(key, "{general}") {
			t.Errorf("key %q lacks the hash tag {general}", key)
		}
	}
	if got := k.Channel("general"); got != "channel:{general}" {
		t.Errorf("Channel = %q", got)
	}
	if got := k.Stream("general"); got != "message:{general}" {
		t.Errorf("Stream = %q", got)
	}
	custom := chat.Keys{ChannelPrefix: "c/", MessagePrefix: "m/", UserPrefix: "u/"}
	if got := custom.Stream("x"); got != "m/{x}" {
		t.Errorf("custom Stream = %q", got)
	}
	if got := custom.UserChannels("bob"); got != "u/{bob}:channels" {
		t.Errorf("custom UserChannels = %q", got)
	}
}

func TestBackoff(t *testing.T) {
	max := 2 * time.Second
	for n := 1; n <= 10; n++ {
		d := chat.Backoff(n, max)
		if d <= 0 || d > max {
			t.Fatalf("Backoff(%d) = %v, want in (0, %v]", n, d, max)
		}
	}
	if d := chat.Backoff(1, max); d > 100*time.Millisecond {
		t.Fatalf("first backoff %v is over 100ms", d)
	}
	if d := chat.Backoff(20, max); d < max/2 {
		t.Fatalf("late backoff %v is under half the cap", d)
	}
}

func TestRetryable(t *testing.T) {
	if chat.Retryable(chat.ErrMessageTooLong) || chat.Retryable(chat.ErrNoSuchChannel) || chat.Retryable(nil) {
		t.Fatal("validation errors must not be retried")
	}
	if !chat.Retryable(errors.New("dial tcp 127.0.0.1:1: connection refused")) {
		t.Fatal("connection errors must be retried")
	}
}

func TestPrintable(t *testing.T) {
	for in, want := range map[string]string{
		"plain ☕ سلام":        "plain ☕ سلام",
		"\x1b[2J":             `\x1b[2J`,
		"a\x07b":              `a\x07b`,
		"bad \xff utf8":       "bad \uFFFD utf8",
		"two\nlines\tand tab": "two\nlines\tand tab",
		"c1 \u009b31m":        `c1 \x9b31m`,
		"bidi \u202eevil":     `bidi \u202eevil`,
		"[red]tags stay[-]":   "[red]tags stay[-]",
		"del\x7f":             `del\x7f`,
		"emoji 👋🏽 family 👨‍👩‍👧": "emoji 👋🏽 family 👨‍👩‍👧",
	} {
		if got := chat.Printable(in); got != want {
			t.Errorf("Printable(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCloseWhileJoining(t *testing.T) {
	_, rdb := startRedis(t)
	for range 20 {
		c, err := chat.New(chat.Options{Redis: rdb, User: "closer"})
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			// Nobody reads Events: the join's history blocks until Close.
			_, _ = c.Join(context.Background(), "general")
		}()
		_ = c.Close()
		<-done
	}
}
