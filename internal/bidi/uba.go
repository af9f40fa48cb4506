package bidi

import (
	xbidi "golang.org/x/text/unicode/bidi"
)

// class is a bidirectional character type (UAX #9, table 4).
type class uint8

const (
	cL class = iota
	cR
	cAL
	cEN
	cES
	cET
	cAN
	cCS
	cNSM
	cBN
	cB
	cS
	cWS
	cON
	cLRE
	cLRO
	cRLE
	cRLO
	cPDF
	cLRI
	cRLI
	cFSI
	cPDI
)

// classOf is r's bidirectional type.
func classOf(r rune) class {
	p, _ := xbidi.LookupRune(r)
	switch p.Class() {
	case xbidi.L:
		return cL
	case xbidi.R:
		return cR
	case xbidi.AL:
		return cAL
	case xbidi.EN:
		return cEN
	case xbidi.ES:
		return cES
	case xbidi.ET:
		return cET
	case xbidi.AN:
		return cAN
	case xbidi.CS:
		return cCS
	case xbidi.NSM:
		return cNSM
	case xbidi.BN:
		return cBN
	case xbidi.B:
		return cB
	case xbidi.S:
		return cS
	case xbidi.WS:
		return cWS
	case xbidi.LRE:
		return cLRE
	case xbidi.LRO:
		return cLRO
	case xbidi.RLE:
		return cRLE
	case xbidi.RLO:
		return cRLO
	case xbidi.PDF:
		return cPDF
	case xbidi.LRI:
		return cLRI
	case xbidi.RLI:
		return cRLI
	case xbidi.FSI:
		return cFSI
	case xbidi.PDI:
		return cPDI
	}
	return cON
}

func (c class) isolateInitiator() bool { return c == cLRI || c == cRLI || c == cFSI }

// removed says whether X9 takes c out of the paragraph.
func (c class) removed() bool {
	return c == cRLE || c == cLRE || c == cRLO || c == cLRO || c == cPDF || c == cBN
}

// ni says whether c is a neutral or isolate formatting character.
func (c class) ni() bool {
	return c == cB || c == cS || c == cWS || c == cON || c == cLRI || c == cRLI || c == cFSI || c == cPDI
}

// bracket is a paired bracket's pair and whether it opens.
type bracket struct {
	pair  rune
	opens bool
}

// Direction is a paragraph's direction.
type Direction int

const (
	// Auto takes the direction of the first strong character (P2, P3),
	// left to right when there is none.
	Auto Direction = iota
	LeftToRight
	RightToLeft
)

// maxDepth is the deepest embedding level (BD2).
const maxDepth = 125

// paragraph is the work on one paragraph.
type paragraph struct {
	text    []rune
	orig    []class // the classes as looked up
	t       []class // the classes as the rules change them
	levels  []int8
	matchPD []int // an isolate initiator's matching PDI (-1: none), and a PDI's initiator
	level   int8  // the paragraph's embedding level
}

// Levels resolves the embedding level of every rune of text, laid out
// as one paragraph of direction dir, and returns them with the
// paragraph's level. A rune that X9 removes (explicit embeddings,
// boundary neutrals) gets -1.
func Levels(text []rune, dir Direction) ([]int8, int8) {
	p := newParagraph(text)
	switch dir {
	case LeftToRight:
		p.level = 0
	case RightToLeft:
		p.level = 1
	default:
		p.level = p.firstStrong(0, len(text))
	}
	p.explicit()
	for _, seq := range p.sequences() {
		p.resolve(seq)
	}
	p.implicit()
	p.lineEnds()
	return p.levels, p.level
}

func newParagraph(text []rune) *paragraph {
	p := &paragraph{text: text, orig: make([]class, len(text)), t: make([]class, len(text)), levels: make([]int8, len(text)), matchPD: make([]int, len(text))}
	for i, r := range text {
		p.orig[i] = classOf(r)
		p.matchPD[i] = -1
	}
	copy(p.t, p.orig)
	// BD9: the matching PDI of each isolate initiator.
	var open []int
	for i, c := range p.orig {
		switch {
		case c.isolateInitiator():
			open = append(open, i)
		case c == cPDI && len(open) > 0:
			j := open[len(open)-1]
			open = open[:len(open)-1]
			p.matchPD[j], p.matchPD[i] = i, j
		case c == cB:
			open = open[:0]
		}
	}
	return p
}

// firstStrong is the level P2 and P3 give text[from:to]: 1 when its first
// strong character (skipping isolates) is R or AL, else 0.
func (p *paragraph) firstStrong(from, to int) int8 {
	for i := from; i < to; i++ {
		switch c := p.orig[i]; {
		case c == cL:
			return 0
		case c == cR || c == cAL:
			return 1
		case c.isolateInitiator():
			if p.matchPD[i] < 0 {
				return 0
			}
			i = p.matchPD[i]
		case c == cB:
			return 0
		}
	}
	return 0
}

// status is an entry of the directional status stack (X1).
type status struct {
	level    int8
	override class // cON: none
	isolate  bool
}

// explicit applies X1–X8: explicit levels and directions.
func (p *paragraph) explicit() {
	stack := []status{{level: p.level, override: cON}}
	overflowIsolate, overflowEmbedding, validIsolate := 0, 0, 0
	next := func(odd bool) int8 {
		l := stack[len(stack)-1].level
		if odd {
			return (l + 1) | 1
		}
		return (l + 2) &^ 1
	}
	for i, c := range p.orig {
		top := stack[len(stack)-1]
		switch c {
		case cRLE, cLRE, cRLO, cLRO:
			p.levels[i] = top.level
			l := next(c == cRLE || c == cRLO)
			if l <= maxDepth && overflowIsolate == 0 && overflowEmbedding == 0 {
				o := cON
				if c == cRLO {
					o = cR
				} else if c == cLRO {
					o = cL
				}
				stack = append(stack, status{level: l, override: o})
			} else if overflowIsolate == 0 {
				overflowEmbedding++
			}
		case cRLI, cLRI, cFSI:
			p.levels[i] = top.level
			if top.override != cON {
				p.t[i] = top.override
			}
			rtl := c == cRLI
			if c == cFSI {
				end := p.matchPD[i]
				if end < 0 {
					end = len(p.text)
				}
				rtl = p.firstStrong(i+1, end) == 1
			}
			l := next(rtl)
			if l <= maxDepth && overflowIsolate == 0 && overflowEmbedding == 0 {
				validIsolate++
				stack = append(stack, status{level: l, override: cON, isolate: true})
			} else {
				overflowIsolate++
			}
		case cPDI:
			switch {
			case overflowIsolate > 0:
				overflowIsolate--
			case validIsolate == 0:
			default:
				overflowEmbedding = 0
				for !stack[len(stack)-1].isolate {
					stack = stack[:len(stack)-1]
				}
				stack = stack[:len(stack)-1]
				validIsolate--
			}
			top = stack[len(stack)-1]
			p.levels[i] = top.level
			if top.override != cON {
				p.t[i] = top.override
			}
		case cPDF:
			p.levels[i] = top.level
			switch {
			case overflowIsolate > 0:
			case overflowEmbedding > 0:
				overflowEmbedding--
			case !top.isolate && len(stack) >= 2:
				stack = stack[:len(stack)-1]
			}
		case cB:
			p.levels[i] = p.level
			stack = stack[:1]
			overflowIsolate, overflowEmbedding, validIsolate = 0, 0, 0
		case cBN:
			p.levels[i] = top.level
		default:
			p.levels[i] = top.level
			if top.override != cON {
				p.t[i] = top.override
			}
		}
	}
}

// sequences finds the isolating run sequences (X10, BD13): each a list of
// the indexes it holds, in order, X9's removed characters left out.
func (p *paragraph) sequences() [][]int {
	// Level runs.
	var runs [][]int
	var cur []int
	for i, c := range p.orig {
		if c.removed() {
			continue
		}
		if len(cur) > 0 && p.levels[cur[len(cur)-1]] != p.levels[i] {
			runs = append(runs, cur)
			cur = nil
		}
		cur = append(cur, i)
	}
	if len(cur) > 0 {
		runs = append(runs, cur)
	}
	// Chain the runs that an isolate initiator ends and its PDI begins.
	startsWith := map[int]int{} // first index of a run → the run
	for n, r := range runs {
		startsWith[r[0]] = n
	}
	var seqs [][]int
	used := make([]bool, len(runs))
	for n, r := range runs {
		if used[n] {
			continue
		}
		if first := r[0]; p.orig[first] == cPDI && p.matchPD[first] >= 0 {
			continue // goes on a sequence begun before
		}
		seq := append([]int(nil), r...)
		used[n] = true
		for {
			last := seq[len(seq)-1]
			if !p.orig[last].isolateInitiator() || p.matchPD[last] < 0 {
				break
			}
			m, ok := startsWith[p.matchPD[last]]
			if !ok || used[m] {
				break
			}
			used[m] = true
			seq = append(seq, runs[m]...)
		}
		seqs = append(seqs, seq)
	}
	// A PDI whose initiator's run did not reach it still starts one.
	for n, r := range runs {
		if !used[n] {
			seqs = append(seqs, append([]int(nil), r...))
		}
	}
	return seqs
}

// dirOf is the strong direction of a level.
func dirOf(level int8) class {
	if level&1 == 1 {
		return cR
	}
	return cL
}

// resolve applies W1–W7, N0–N2 to one isolating run sequence.
func (p *paragraph) resolve(seq []int) {
	level := p.levels[seq[0]]
	// sos and eos (X10).
	before := p.level
	for i := seq[0] - 1; i >= 0; i-- {
		if !p.orig[i].removed() {
			before = p.levels[i]
			break
		}
	}
	after := p.level
	last := seq[len(seq)-1]
	if !(p.orig[last].isolateInitiator()) {
		for i := last + 1; i < len(p.text); i++ {
			if !p.orig[i].removed() {
				after = p.levels[i]
				break
			}
		}
	}
	sos, eos := dirOf(max(level, before)), dirOf(max(level, after))
	t := make([]class, len(seq))
	for k, i := range seq {
		t[k] = p.t[i]
	}
	// W1
	prev := sos
	for k := range t {
		if t[k] == cNSM {
			if k > 0 && (t[k-1].isolateInitiator() || t[k-1] == cPDI) {
				t[k] = cON
			} else {
				t[k] = prev
			}
		}
		prev = t[k]
	}
	// W2, W3
	strong := sos
	for k := range t {
		switch t[k] {
		case cL, cR, cAL:
			strong = t[k]
		case cEN:
			if strong == cAL {
				t[k] = cAN
			}
		}
	}
	for k := range t {
		if t[k] == cAL {
			t[k] = cR
		}
	}
	// W4
	for k := 1; k+1 < len(t); k++ {
		switch {
		case t[k] == cES && t[k-1] == cEN && t[k+1] == cEN:
			t[k] = cEN
		case t[k] == cCS && t[k-1] == cEN && t[k+1] == cEN:
			t[k] = cEN
		case t[k] == cCS && t[k-1] == cAN && t[k+1] == cAN:
			t[k] = cAN
		}
	}
	// W5
	for k := 0; k < len(t); k++ {
		if t[k] != cET {
			continue
		}
		end := k
		for end < len(t) && t[end] == cET {
			end++
		}
		if (k > 0 && t[k-1] == cEN) || (end < len(t) && t[end] == cEN) {
			for j := k; j < end; j++ {
				t[j] = cEN
			}
		}
		k = end - 1
	}
	// W6
	for k := range t {
		if t[k] == cES || t[k] == cET || t[k] == cCS {
			t[k] = cON
		}
	}
	// W7
	strong = sos
	for k := range t {
		switch t[k] {
		case cL, cR:
			strong = t[k]
		case cEN:
			if strong == cL {
				t[k] = cL
			}
		}
	}
	p.brackets(seq, t, level, sos)
	// N1, N2
	e := dirOf(level)
	strongOf := func(c class) (class, bool) {
		switch c {
		case cL:
			return cL, true
		case cR, cEN, cAN:
			return cR, true
		}
		return 0, false
	}
	for k := 0; k < len(t); k++ {
		if !t[k].ni() {
			continue
		}
		end := k
		for end < len(t) && t[end].ni() {
			end++
		}
		lead := sos
		if k > 0 {
			if s, ok := strongOf(t[k-1]); ok {
				lead = s
			}
		}
		trail := eos
		if end < len(t) {
			if s, ok := strongOf(t[end]); ok {
				trail = s
			}
		}
		d := e
		if lead == trail {
			d = lead
		}
		for j := k; j < end; j++ {
			t[j] = d
		}
		k = end - 1
	}
	for k, i := range seq {
		p.t[i] = t[k]
	}
}

// brackets applies N0 to a sequence's types t.
func (p *paragraph) brackets(seq []int, t []class, level int8, sos class) {
	type pair struct{ open, close int }
	var pairs []pair
	type opened struct {
		close rune
		at    int
	}
	var stack []opened
	canon := func(r rune) rune {
		switch r {
		case 0x2329:
			return 0x3008
		case 0x232A:
			return 0x3009
		}
		return r
	}
scan:
	for k, i := range seq {
		if t[k] != cON {
			continue
		}
		b, ok := brackets[p.text[i]]
		if !ok {
			continue
		}
		if b.opens {
			if len(stack) == 63 {
				break scan
			}
			stack = append(stack, opened{close: canon(b.pair), at: k})
			continue
		}
		for j := len(stack) - 1; j >= 0; j-- {
			if stack[j].close == canon(p.text[i]) {
				pairs = append(pairs, pair{stack[j].at, k})
				stack = stack[:j]
				break
			}
		}
	}
	if len(pairs) == 0 {
		return
	}
	// In the order of their opening brackets.
	for a := 1; a < len(pairs); a++ {
		for b := a; b > 0 && pairs[b].open < pairs[b-1].open; b-- {
			pairs[b], pairs[b-1] = pairs[b-1], pairs[b]
		}
	}
	e := dirOf(level)
	strongOf := func(c class) class {
		switch c {
		case cL:
			return cL
		case cR, cEN, cAN:
			return cR
		}
		return cON
	}
	for _, pr := range pairs {
		found := cON
		for k := pr.open + 1; k < pr.close; k++ {
			s := strongOf(t[k])
			if s == e {
				found = e
				break
			}
			if s != cON {
				found = s
			}
		}
		d := cON
		switch {
		case found == e:
			d = e
		case found != cON:
			before := sos
			for k := pr.open - 1; k >= 0; k-- {
				if s := strongOf(t[k]); s != cON {
					before = s
					break
				}
			}
			if before == found {
				d = found
			} else {
				d = e
			}
		}
		if d == cON {
			continue
		}
		for _, k := range []int{pr.open, pr.close} {
			t[k] = d
			// NSMs after a bracket follow it.
			for j := k + 1; j < len(t) && p.orig[seq[j]] == cNSM; j++ {
				t[j] = d
			}
		}
	}
}

// implicit applies I1 and I2.
func (p *paragraph) implicit() {
	for i, c := range p.t {
		if p.orig[i].removed() {
			continue
		}
		l := p.levels[i]
		switch {
		case l&1 == 0 && c == cR:
			p.levels[i]++
		case l&1 == 0 && (c == cAN || c == cEN):
			p.levels[i] += 2
		case l&1 == 1 && (c == cL || c == cEN || c == cAN):
			p.levels[i]++
		}
	}
}

// lineEnds applies L1 to the line, which is the whole paragraph: segment
// and paragraph separators, and the whitespace and isolate formatting
// before them and at the end, go back to the paragraph's level. X9's
// removed characters get -1.
func (p *paragraph) lineEnds() {
	trailing := true
	for i := len(p.text) - 1; i >= 0; i-- {
		c := p.orig[i]
		switch {
		case c == cS || c == cB:
			p.levels[i] = p.level
			trailing = true
		case c == cWS || c.isolateInitiator() || c == cPDI || c.removed():
			if trailing {
				p.levels[i] = p.level
			}
		default:
			trailing = false
		}
	}
	for i, c := range p.orig {
		if c.removed() {
			p.levels[i] = -1
		}
	}
}

// Order is the visual order of a line whose runes have levels (L2): the
// indexes of the runes left to right, those of level -1 left out.
func Order(levels []int8) []int {
	idx := make([]int, 0, len(levels))
	var lv []int8
	high, lowOdd := int8(0), int8(127)
	for i, l := range levels {
		if l < 0 {
			continue
		}
		idx = append(idx, i)
		lv = append(lv, l)
		high = max(high, l)
		if l&1 == 1 {
			lowOdd = min(lowOdd, l)
		}
	}
	for k := high; k >= lowOdd && k > 0; k-- {
		for a := 0; a < len(lv); a++ {
			if lv[a] < k {
				continue
			}
			b := a
			for b < len(lv) && lv[b] >= k {
				b++
			}
			for x, y := a, b-1; x < y; x, y = x+1, y-1 {
				idx[x], idx[y] = idx[y], idx[x]
				lv[x], lv[y] = lv[y], lv[x]
			}
			a = b
		}
	}
	return idx
}
