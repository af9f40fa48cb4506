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
		if p.cmd != nil && p.cmd.arg != argNone && p.cmd.arg != argOptional && p.arg == "" {
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

// FuzzMarkup: whatever a message holds, the drawn text and its spans stay
// in range, a link carries only URL characters (nothing that could end a
// terminal's hyperlink sequence), and drawing never shows a marker pair it
// consumed as text twice.
func FuzzMarkup(f *testing.F) {
	for _, s := range []string{"run `make`", "*a* _b_", "```\ncode\n```", "see https://x.org/a?b=1.", "``", "**", "_a_b_", "http://\x1b]8;;", "```\n\n```\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		text, spans := markup(sanitize(s))
		at := 0
		for _, sp := range spans {
			if sp.start < at || sp.end < sp.start || sp.end > len(text) {
				t.Fatalf("span %+v out of order or range in %q", sp, text)
			}
			at = sp.end
			for i := 0; i < len(sp.url); i++ {
				if !urlChar(sp.url[i]) {
					t.Fatalf("link %q holds %q", sp.url, sp.url[i])
				}
			}
		}
		if len(text) > len(sanitize(s)) {
			t.Fatalf("markup grew %q to %q", s, text)
		}
	})
}
