package chat_test

import (
	"errors"
	"strings"
	"testing"

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

func TestTidyBlankLines(t *testing.T) {
	for in, want := range map[string]string{
		"one line":                          "one line",
		"\n\n\nword\n\n\n":                  "word",
		"a\n\n\n\n\nb":                      "a\n\n\nb",
		"a\n \t\n\t\n  \nb":                 "a\n\n\nb",
		"  indented\ncode\n\n    kept":      "  indented\ncode\n\n    kept",
		strings.Repeat("\n", 1000) + "x":    "x",
		"x" + strings.Repeat("\n \n", 1000): "x",
	} {
		if got := chat.TidyBlankLines(in); got != want {
			t.Errorf("TidyBlankLines(%q) = %q, want %q", in, got, want)
		}
	}
}
