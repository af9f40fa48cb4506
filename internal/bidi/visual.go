package bidi

import "unicode"

// NeedsLayout says whether s holds anything that a terminal without bidi
// draws wrongly: a right-to-left letter, an Arabic digit or an explicit
// direction control. A line without one is drawn as it is.
func NeedsLayout(s string) bool {
	for _, r := range s {
		if r < 0x0590 {
			continue
		}
		switch classOf(r) {
		case cR, cAL, cAN, cRLE, cRLO, cRLI, cLRE, cLRO, cLRI, cFSI, cPDF, cPDI:
			return true
		}
	}
	return false
}

// Visual lays out one line, text in logical order, for a terminal that
// draws cells left to right: Arabic-script letters joined (Shape), the
// runes reordered by the Bidirectional Algorithm in a paragraph of
// direction dir, mirrored characters mirrored where they run right to
// left, and combining marks kept after the letter they belong to (L3, as
// terminals draw them). It returns the runes to draw, left to right, and
// for each the index in text of the rune it shows (a lam-alef ligature:
// the lam's). Explicit direction controls are not drawn.
func Visual(text []rune, dir Direction) (out []rune, from []int) {
	levels, _ := Levels(text, dir)
	shaped := Shape(text)
	order := Order(levels)
	out, from = make([]rune, 0, len(order)), make([]int, 0, len(order))
	emit := func(i int) {
		r := shaped[i]
		if r == 0 {
			return // joined into a ligature
		}
		if levels[i]&1 == 1 {
			if m, ok := mirrors[r]; ok {
				r = m
			}
		}
		out, from = append(out, r), append(from, i)
	}
	for k := 0; k < len(order); k++ {
		i := order[k]
		// Reversed, a letter's marks come before it: draw them after.
		if levels[i]&1 == 1 && isMark(text[i]) {
			end := k
			for end < len(order) && levels[order[end]]&1 == 1 && isMark(text[order[end]]) {
				end++
			}
			if end < len(order) && order[end] < i && levels[order[end]]&1 == 1 {
				emit(order[end])
				for j := end - 1; j >= k; j-- {
					emit(order[j])
				}
				k = end
				continue
			}
		}
		emit(i)
	}
	return out, from
}

// isMark says whether r is a combining mark (drawn on the letter before it).
func isMark(r rune) bool { return unicode.In(r, unicode.Mn, unicode.Me, unicode.Mc) }

// VisualString is Visual's runes as a string.
func VisualString(s string, dir Direction) string {
	out, _ := Visual([]rune(s), dir)
	return string(out)
}

// DirectionOf is the direction of a paragraph that begins as s does (P2,
// P3): right to left when its first strong character is, else left to
// right.
func DirectionOf(s string) Direction {
	p := newParagraph([]rune(s))
	if p.firstStrong(0, len(p.text)) == 1 {
		return RightToLeft
	}
	return LeftToRight
}
