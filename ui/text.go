package ui

import (
	"strings"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"
	"github.com/rivo/uniseg"
	"github.com/rtchat/rtchat/chat"
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

// drawText draws s at (x, y) in style, grapheme by grapheme, clipped to
// maxWidth cells, without interpreting anything in it. It returns the
// number of cells used.
func drawText(screen tcell.Screen, x, y, maxWidth int, s string, style tcell.Style) int {
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
