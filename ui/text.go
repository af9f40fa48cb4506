package ui

import (
	"strings"
	"sync/atomic"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"
	"github.com/rivo/uniseg"
	"github.com/rtchat/rtchat/chat"
	"github.com/rtchat/rtchat/internal/bidi"
)

// sanitize neutralises control characters, terminal escapes and invalid
// UTF-8 in text from users or Redis (see chat.Printable); newlines and tabs
// stay for the log's own layout.
func sanitize(s string) string { return chat.Printable(s) }

// escape makes untrusted text safe for a tview widget that interprets style
// tags: sanitized, tags escaped, and on one line.
func escape(s string) string {
	s = sanitize(s)
	s = strings.NewReplacer("\n", " ", "\t", " ").Replace(s)
	return tview.Escape(s)
}

// bidiInApp is set when rtchat lays right-to-left text out itself (the
// terminal does not: Options.Bidi); one window a process sets it.
var bidiInApp atomic.Bool

// drawText draws s at (x, y) in style, grapheme by grapheme, clipped to
// maxWidth cells, without interpreting anything in it. It returns the
// number of cells used. With bidiInApp a line holding right-to-left text
// is clipped in logical order and then drawn in visual order, its Arabic
// letters joined (internal/bidi).
func drawText(screen tcell.Screen, x, y, maxWidth int, s string, style tcell.Style) int {
	if bidiInApp.Load() && bidi.NeedsLayout(s) {
		s = bidi.VisualString(clipCells(s, maxWidth), bidi.Auto)
	}
	return drawCells(screen, x, y, maxWidth, s, style)
}

// clipCells is the longest start of s that fits width cells.
func clipCells(s string, width int) string {
	used, state, at := 0, -1, 0
	rest := s
	for rest != "" {
		var cluster string
		var w int
		cluster, rest, w, state = uniseg.FirstGraphemeClusterInString(rest, state)
		if cluster == "\t" {
			w = 1
		}
		if used+w > width {
			break
		}
		used += w
		at += len(cluster)
	}
	return s[:at]
}

// drawStyledVisual draws text (one row, clipped to w cells in logical
// order) in visual order, in paragraph direction dir (internal/bidi:
// reordered, Arabic letters joined, marks after their letters), each
// character in styleAt of its byte offset in text; it returns the cells
// used.
func drawStyledVisual(screen tcell.Screen, x, y, w int, text string, dir bidi.Direction, styleAt func(off int) tcell.Style) int {
	text = clipCells(text, w)
	offs := make([]int, 0, len(text))
	for i := range text {
		offs = append(offs, i)
	}
	out, from := bidi.Visual([]rune(text), dir)
	col := x
	for k := 0; k < len(out); {
		st := styleAt(offs[from[k]])
		j := k + 1
		for j < len(out) && styleAt(offs[from[j]]) == st {
			j++
		}
		col += drawCells(screen, col, y, x+w-col, string(out[k:j]), st)
		k = j
	}
	return col - x
}

// drawCells is drawText without the bidi layout: s is drawn as it comes.
func drawCells(screen tcell.Screen, x, y, maxWidth int, s string, style tcell.Style) int {
	used := 0
	state := -1
	for s != "" {
		var cluster string
		var w int
		cluster, s, w, state = uniseg.FirstGraphemeClusterInString(s, state)
		if cluster == "\t" {
			cluster, w = " ", 1
		}
		if w == 0 {
			continue
		}
		if used+w > maxWidth {
			break
		}
		screen.Put(x+used, y, cluster, style)
		used += w
	}
	return used
}

// wordWidth is the width of the word s starts with (up to a space or a
// line's end).
func wordWidth(s string) int {
	if i := strings.IndexAny(s, " \n"); i >= 0 {
		s = s[:i]
	}
	return textWidth(s)
}

// textWidth is the number of cells s takes.
func textWidth(s string) int { return uniseg.StringWidth(s) }

// fill paints width cells at (x, y) with spaces in style.
func fill(screen tcell.Screen, x, y, width int, style tcell.Style) {
	for i := range width {
		screen.SetContent(x+i, y, ' ', nil, style)
	}
}

// contIndent is how far continuation rows are indented at width.
func contIndent(width int) int {
	if width < 8 {
		return 0
	}
	return 2
}

// wrap splits s into rows of at most width cells (continuation rows at most
// width-contIndent(width)), breaking after spaces where it can and inside
// words where it must; a newline always breaks. It returns the byte
// offsets where rows start and end: row i is s[rows[2i]:rows[2i+1]].
func wrap(s string, width int) []int32 {
	width = max(width, 2)
	return wrapIndent(s, width, contIndent(width), 0)
}

// wrapIndent is wrap with continuation rows indent cells narrower, and
// no break at a space in s[:head] (the time stamp and the name stay with
// the first words). A word longer than a continuation row is broken
// where the row ends rather than moved down whole.
func wrapIndent(s string, width, indent, head int) []int32 {
	width = max(width, 2)
	indent = min(max(indent, 0), width-1)
	var rows []int32
	start, col, lastSpace, limit := 0, 0, -1, width
	newRow := func(end, next int) {
		rows = append(rows, int32(start), int32(end))
		start, lastSpace, limit = next, -1, width-indent
	}
	state := -1
	for pos := 0; pos < len(s); {
		cluster, rest, w, st := uniseg.FirstGraphemeClusterInString(s[pos:], state)
		state = st
		next := len(s) - len(rest)
		if cluster == "\n" || cluster == "\r\n" {
			newRow(pos, next)
			col, pos = 0, next
			continue
		}
		if cluster == "\t" {
			w = 1
		}
		if col+w > limit && col > 0 {
			if lastSpace > start && lastSpace > head && wordWidth(s[lastSpace:]) <= width-indent {
				newRow(lastSpace, lastSpace)
			} else {
				newRow(pos, pos)
			}
			col = textWidth(s[start:pos])
			if col+w > limit && col > 0 {
				// What moved down still leaves no room: break before this one.
				newRow(pos, pos)
				col = 0
			}
		}
		col += w
		if cluster == " " {
			lastSpace = next
		}
		pos = next
	}
	rows = append(rows, int32(start), int32(len(s)))
	return rows
}
