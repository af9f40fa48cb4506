package bidi

import (
	"unicode/utf8"

	"github.com/rivo/uniseg"
)

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
// line reordered by the Bidirectional Algorithm in a paragraph of
// direction dir, mirrored characters mirrored where they run right to
// left. It reorders whole grapheme clusters, each at the level of its
// first character, so that a letter keeps its marks after it (L3) and an
// emoji sequence stays whole. It returns the runes to draw, left to
// right, and for each the index in text of the rune it shows (a lam-alef
// ligature: the lam's). Explicit direction controls are not drawn.
func Visual(text []rune, dir Direction) (out []rune, from []int) {
	levels, _ := Levels(text, dir)
	shaped := Shape(text)
	// The clusters, as [start, end) rune indexes, and their levels.
	var bounds [][2]int
	var clusterLevels []int8
	rest, state, at := string(text), -1, 0
	for rest != "" {
		var c string
		c, rest, _, state = uniseg.FirstGraphemeClusterInString(rest, state)
		n := utf8.RuneCountInString(c)
		l := int8(-1)
		for i := at; i < at+n; i++ {
			if levels[i] >= 0 {
				l = levels[i]
				break
			}
		}
		bounds = append(bounds, [2]int{at, at + n})
		clusterLevels = append(clusterLevels, l)
		at += n
	}
	out, from = make([]rune, 0, len(text)), make([]int, 0, len(text))
	for _, k := range Order(clusterLevels) {
		lo, hi := bounds[k][0], bounds[k][1]
		for i := lo; i < hi; i++ {
			r := shaped[i]
			if r == 0 || (levels[i] < 0 && r != zwj) {
				continue // joined into a ligature, or a control (ZWNJ did its work in Shape; terminals draw it as a cell)
			}
			if hi-lo == 1 && clusterLevels[k]&1 == 1 {
				if m, ok := mirrors[r]; ok {
					r = m
				}
			}
			out, from = append(out, r), append(from, i)
		}
	}
	return out, from
}

// zwj joins an emoji sequence: kept in its cluster.
const zwj = 0x200D

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
