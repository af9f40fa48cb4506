package bidi

import "unicode"

// joiningType is r's Arabic joining type (ArabicShaping.txt): 'R' joins
// the letter before it, 'L' the one after it, 'D' both, 'C' makes both
// sides join (tatweel, ZWJ), 'T' is transparent (marks), 'U' joins
// nothing (ZWNJ among them).
func joiningType(r rune) byte {
	if t, ok := joining[r]; ok {
		return t
	}
	if unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf) {
		return 'T'
	}
	return 'U'
}

// Form indexes in forms.
const (
	isolated = iota
	final
	initial
	medial
)

// Shape returns text, in logical order, with each Arabic-script letter in
// the presentation form its neighbours call for (isolated, final,
// initial, medial), as a terminal that does not shape needs: transparent
// marks are skipped over, ZWNJ breaks a join, and lam followed by alef
// becomes their ligature (the alef's place then holds 0). A letter with
// no presentation form of the kind needed is left as it is.
func Shape(text []rune) []rune {
	out := make([]rune, len(text))
	copy(out, text)
	// The neighbour that counts, past transparent characters.
	prev := func(i int) int {
		for j := i - 1; j >= 0; j-- {
			if joiningType(text[j]) != 'T' {
				return j
			}
		}
		return -1
	}
	next := func(i int) int {
		for j := i + 1; j < len(text); j++ {
			if joiningType(text[j]) != 'T' {
				return j
			}
		}
		return -1
	}
	joinsForward := func(j int) bool { // j joins the letter after it
		if j < 0 {
			return false
		}
		t := joiningType(text[j])
		return t == 'D' || t == 'L' || t == 'C'
	}
	joinsBack := func(j int) bool { // j joins the letter before it
		if j < 0 {
			return false
		}
		t := joiningType(text[j])
		return t == 'D' || t == 'R' || t == 'C'
	}
	for i := 0; i < len(text); i++ {
		if out[i] == 0 {
			continue
		}
		t := joiningType(text[i])
		if t != 'R' && t != 'D' && t != 'L' {
			continue
		}
		p, n := prev(i), next(i)
		back := (t == 'R' || t == 'D') && joinsForward(p) && out[p] != 0
		fwd := (t == 'D' || t == 'L') && joinsBack(n)
		if text[i] == 0x0644 && n >= 0 { // lam
			if lig, ok := lamAlef[text[n]]; ok {
				if back {
					out[i] = lig[final]
				} else {
					out[i] = lig[isolated]
				}
				out[n] = 0
				continue
			}
		}
		f, ok := forms[text[i]]
		if !ok {
			continue
		}
		want := isolated
		switch {
		case back && fwd:
			want = medial
		case back:
			want = final
		case fwd:
			want = initial
		}
		switch {
		case f[want] != 0:
			out[i] = f[want]
		case want == medial && f[final] != 0:
			out[i] = f[final]
		case f[isolated] != 0:
			out[i] = f[isolated]
		}
	}
	return out
}
