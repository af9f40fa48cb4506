package ui

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func FuzzParseInput(f *testing.F) {
	for _, s := range []string{"hello", "/join general", "/join", "/join a b", "//not a command", "/nosuch x", "/quit now", "/me waves", "/topic [red]x", "/", "/ join", "/join\tx"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		p := parseInput(text)
		kinds := 0
		if p.problem != "" {
			kinds++
		}
		if p.cmd != nil {
			kinds++
		}
		if p.problem == "" && p.cmd == nil {
			kinds++
			if !strings.HasPrefix(text, "/") && p.message != text {
				t.Fatalf("plain text %q became %q", text, p.message)
			}
		}
		if kinds != 1 {
			t.Fatalf("parseInput(%q) = %+v", text, p)
		}
		if p.cmd != nil && p.cmd.arg != argNone && p.arg == "" {
			t.Fatalf("/%s accepted without its argument", p.cmd.name)
		}
	})
}

func FuzzEscape(f *testing.F) {
	for _, s := range []string{"[red]x[-]", `["a"]b[""]`, "\x1b[2J", "a\xffb", "\u202eevil", "سلام 👋🏽", "[::b]", "[[", "]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := sanitize(s)
		if !utf8.ValidString(out) {
			t.Fatalf("sanitize(%q) is not valid UTF-8", s)
		}
		for _, r := range out {
			if (r < 0x20 && r != '\n' && r != '\t') || r == 0x7f || (r >= 0x80 && r < 0xa0) {
				t.Fatalf("sanitize(%q) kept control character %U", s, r)
			}
		}
		esc := escape(s)
		if strings.ContainsAny(esc, "\n\t") {
			t.Fatalf("escape(%q) is not one line", s)
		}
		// Wrapping never loses or reorders bytes and terminates.
		rows := wrap(out, 7)
		if len(rows) == 0 || int(rows[len(rows)-1]) != len(out) {
			t.Fatalf("wrap lost the end of %q", out)
		}
	})
}
