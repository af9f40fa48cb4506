package bidi

import (
	"testing"
	"unicode/utf8"

	"github.com/rivo/uniseg"
)

// Whatever the line, its visual layout shows each rune once at most,
// takes no more cells than the line as typed (a lam-alef ligature takes
// one fewer), and draws no direction control.
func FuzzVisual(f *testing.F) {
	for _, s := range []string{"سلام دنیا — looks good", "שלום (123)", "a\u202Eb\u202Cc", "می\u200cخواهم", "\u2067x\u2069", "لا", "((]])"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return
		}
		text := []rune(s)
		out, from := Visual(text, Auto)
		if len(out) != len(from) || len(out) > len(text) {
			t.Fatalf("%q: %d runes shown for %d", s, len(out), len(text))
		}
		seen := map[int]bool{}
		for _, i := range from {
			if i < 0 || i >= len(text) || seen[i] {
				t.Fatalf("%q: index %d shown twice or out of range", s, i)
			}
			seen[i] = true
		}
		for _, r := range out {
			if c := classOf(r); c.removed() && c != cBN {
				t.Fatalf("%q: draws a direction control %U", s, r)
			}
		}
		if w, in := uniseg.StringWidth(string(out)), uniseg.StringWidth(s); w > in {
			t.Fatalf("%q: %d cells, more than the %d typed", s, w, in)
		}
	})
}
