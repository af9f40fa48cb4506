package ui

import (
	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"
	"github.com/rivo/uniseg"
	"github.com/rtchat/rtchat/internal/bidi"
)

// rtlInput is a text area drawn as tview draws it and then, when rtchat
// lays right-to-left text out (bidiInApp) and the draft holds some, with
// each of its rows drawn again in visual order (internal/bidi), the
// cursor moved to where it stands in them. What is edited and sent stays
// in the order typed: only the drawing changes.
type rtlInput struct{ *tview.TextArea }

// cell is a cell of a row as tview drew it.
type cell struct {
	str   string
	style tcell.Style
	col   int
}

func (r rtlInput) Draw(screen tcell.Screen) {
	r.TextArea.Draw(screen)
	if !bidiInApp.Load() {
		return
	}
	text := r.GetText()
	if !bidi.NeedsLayout(text) {
		return
	}
	dir := bidi.DirectionOf(text)
	x, y, w, h := r.GetInnerRect()
	top, _ := r.GetOffset()
	curRow, curCol, toRow, toCol := r.GetCursor()
	cursorHere := r.HasFocus() && curRow == toRow && curCol == toCol
	for row := range h {
		var cells []cell
		end := 0 // cells up to the last one drawn on
		for col := 0; col < w; {
			str, st, width := screen.Get(x+col, y+row)
			cells = append(cells, cell{str: str, style: st, col: col})
			if str != " " && str != "" {
				end = len(cells)
			}
			col += max(width, 1)
		}
		cells = cells[:end]
		at := -1
		if cursorHere && curRow-top == row {
			at = curCol
		}
		if vx, ok := drawRowVisual(screen, x, y+row, cells, dir, at); ok {
			screen.ShowCursor(x+vx, y+row)
		}
	}
}

// drawRowVisual draws cells again at (x, y) in visual order in
// paragraph direction dir; with at ≥ 0 (the cursor's column in the row
// as typed) it returns the column the cursor goes to.
func drawRowVisual(screen tcell.Screen, x, y int, cells []cell, dir bidi.Direction, at int) (int, bool) {
	var runes []rune
	var cellOf []int
	for i, c := range cells {
		for _, ch := range c.str {
			runes = append(runes, ch)
			cellOf = append(cellOf, i)
		}
	}
	if !bidi.NeedsLayout(string(runes)) {
		return 0, false
	}
	levels, _ := bidi.Levels(runes, dir)
	out, from := bidi.Visual(runes, dir)
	width := 0
	for _, c := range cells {
		width += max(uniseg.StringWidth(c.str), 1)
	}
	fill(screen, x, y, width, cells[0].style)
	col := 0
	place := map[int]int{} // rune index → the column it is drawn at
	for k := 0; k < len(out); {
		st := cells[cellOf[from[k]]].style
		j := k + 1
		for j < len(out) && cells[cellOf[from[j]]].style == st {
			j++
		}
		for i := k; i < j; i++ {
			if _, seen := place[from[i]]; !seen {
				place[from[i]] = col + uniseg.StringWidth(string(out[k:i]))
			}
		}
		col += drawCells(screen, x+col, y, width-col, string(out[k:j]), st)
		k = j
	}
	if at < 0 {
		return 0, false
	}
	// The cursor stands before the character typed at its column; past
	// the last one, after it (left of it when that one runs right to
	// left).
	for i, c := range cellOf {
		if cells[c].col == at {
			if v, ok := place[i]; ok {
				if levels[i]&1 == 1 {
					return v + max(uniseg.StringWidth(string(runes[i])), 1), true // a right-to-left letter: the cursor at its right
				}
				return v, true
			}
		}
	}
	last := len(runes) - 1
	for last >= 0 && levels[last] < 0 {
		last--
	}
	if last < 0 {
		return 0, true
	}
	v := place[last]
	if levels[last]&1 == 1 {
		return v, true
	}
	return v + max(uniseg.StringWidth(string(runes[last])), 1), true
}
