package bidi

import (
	"bufio"
	"strconv"
	"strings"
	"testing"
)

func hexes(rs []rune) string {
	var b []string
	for _, r := range rs {
		b = append(b, strconv.FormatInt(int64(r), 16))
	}
	return strings.Join(b, " ")
}

// Words shaped as a Persian or Arabic reader writes them, each form
// named by its code point in Arabic Presentation Forms.
func TestShape(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []rune
	}{
		// seen initial, lam-alef final, meem isolated.
		{"سلام", []rune{0xFEB3, 0xFEFC, 0, 0xFEE1}},
		// ZWNJ keeps "می" from joining "خواهم".
		{"می\u200cخواهم", []rune{0xFEE3, 0xFBFD, 0x200C, 0xFEA7, 0xFEEE, 0xFE8D, 0xFEEB, 0xFEE2}},
		// A mark (fatha) between two letters does not break their join.
		{"بَب", []rune{0xFE91, 0x064E, 0xFE90}},
		// Hebrew and Latin are left alone.
		{"שלום hi", []rune("שלום hi")},
		// Lam-alef on its own.
		{"لا", []rune{0xFEFB, 0}},
	} {
		if got := Shape([]rune(tc.in)); hexes(got) != hexes(tc.want) {
			t.Errorf("Shape(%q) = %s, want %s", tc.in, hexes(got), hexes(tc.want))
		}
	}
}

// The joining types are ArabicShaping.txt's, every one.
func TestJoiningTypesAreArabicShapingTxt(t *testing.T) {
	sc := bufio.NewScanner(openData(t, "ArabicShaping.txt"))
	n := 0
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		f := strings.Split(line, ";")
		if len(f) < 3 {
			continue
		}
		v, err := strconv.ParseUint(strings.TrimSpace(f[0]), 16, 32)
		if err != nil {
			t.Fatal(err)
		}
		want := strings.TrimSpace(f[2])[0]
		if got := joiningType(rune(v)); got != want {
			t.Errorf("U+%04X: joining type %c, ArabicShaping.txt says %c", v, got, want)
		}
		n++
	}
	if n < 300 {
		t.Fatalf("only %d entries read", n)
	}
}

// Lines as the window draws them, left to right.
func TestVisual(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		dir      Direction
	}{
		// A Persian line with English after it: the Persian reads from
		// the right, the English stays as it is, the paragraph is RTL.
		{"سلام دنیا — looks good", "looks good — " + string([]rune{0xFE8E, 0xFBFF, 0xFEE7, 0xFEA9}) + " " + string([]rune{0xFEE1, 0xFEFC, 0xFEB3}), Auto},
		// Hebrew with a number and brackets: the number is not reversed,
		// the brackets are mirrored.
		{"שלום (123)", "(123) םולש", Auto},
		// English with a Hebrew word: only the word turns.
		{"say שלום now", "say םולש now", Auto},
		// A mark stays after its letter when the word is reversed.
		{"אָב", "בא\u05B8", Auto},
		// ZWNJ keeps letters apart and is not drawn (a terminal gives it a
		// cell of its own).
		{"می\u200cخواهم", string([]rune{0xFEE2, 0xFEEB, 0xFE8D, 0xFEEE, 0xFEA7, 0xFBFD, 0xFEE3}), Auto},
		// An emoji sequence stays whole in a right-to-left line.
		{"שלום 👨\u200d👩\u200d👧 הי", "יה 👨\u200d👩\u200d👧 םולש", Auto},
	} {
		if got := VisualString(tc.in, tc.dir); got != tc.want {
			t.Errorf("Visual(%q) = %q (%s), want %q (%s)", tc.in, got, hexes([]rune(got)), tc.want, hexes([]rune(tc.want)))
		}
	}
	if !NeedsLayout("سلام") || !NeedsLayout("a\u202Eb") || NeedsLayout("plain ascii, émigré, 日本") {
		t.Fatal("NeedsLayout")
	}
}

// Lam joins meem as two letters, not as a ligature (only lam-alef is one).
func TestLamMeemIsNoLigature(t *testing.T) {
	if got := Shape([]rune("لم")); hexes(got) != hexes([]rune{0xFEDF, 0xFEE2}) {
		t.Fatalf("Shape(لم) = %s", hexes(got))
	}
}
