package ui

import (
	"fmt"
	"slices"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"
	"github.com/rtchat/rtchat/chat"
)

// logView shows one channel's log. It keeps no copy of the text: it draws
// the visible rows of the channelLog it is given, wrapping each line once
// per width, so a frame costs the same with a hundred lines or a million,
// and older pages are prepended without re-rendering anything.
//
// Keys (routed to it by the App): PgUp/PgDn scroll a page, Home goes to
// the top (and loads older messages), End returns to live. The mouse wheel
// scrolls three rows. Scrolling up past the top asks for an older page
// through the onTop callback. It must be used on the UI goroutine only.
type logView struct {
	*tview.Box
	log    *channelLog
	styles *styles
	// onTop is called (on the UI goroutine) when the user scrolls past the
	// oldest loaded line; onLive when the view returns to the newest one.
	onTop  func(*channelLog)
	onLive func()
	// onPicture is called (on the UI goroutine) when a picture's file
	// line is first drawn, to fetch it.
	onPicture func(c *channelLog, l *line, x *lineExtra)
	// gfx draws pictures with the terminal's graphics (nil: none).
	gfx   *graphics
	width int // inner width at the last draw
	high  int // inner height at the last draw
	// lastRow is the lowest row lines are drawn on in this frame.
	lastRow int
	// selecting is set while a message is selected: the line whose seq is
	// selected (see select.go).
	selecting bool
	selected  uint32
	// rowSeqs are the seqs of the lines drawn on each row at the last draw
	// (0: none), for clicks; onClick is called with the clicked line's.
	rowSeqs []uint32
	onClick func(seq uint32)
}

// newLogView returns an empty log view.
func newLogView(st *styles, onTop func(*channelLog), onLive func()) *logView {
	return &logView{Box: tview.NewBox(), styles: st, onTop: onTop, onLive: onLive, width: 80, high: 24}
}

// SetLog switches the view to another channel's log.
func (v *logView) SetLog(l *channelLog) { v.log = l }

// Draw draws the visible rows, bottom up from the anchor. Every cell is
// written once: text, then the rest of its row in the background (the Box
// does not paint it first; that would double the cost of a frame).
func (v *logView) Draw(screen tcell.Screen) {
	x, y, w, h := v.GetInnerRect()
	if w <= 0 || h <= 0 {
		return
	}
	v.width, v.high = w, h
	base := v.styles.log.base
	c := v.log
	row := y + h - 1
	v.rowSeqs = slices.Grow(v.rowSeqs[:0], h)[:h]
	clear(v.rowSeqs)
	if c != nil && len(c.lines) > 0 {
		i, r := v.bottom()
		if !c.follow && c.newCount > 0 {
			v.drawMarker(screen, x, row, w, fmt.Sprintf(" %d new message%s · End to jump ", c.newCount, plural(c.newCount)), v.styles.log.separator)
			row--
		}
		v.lastRow = row
		for ; row >= y && i >= 0; row-- {
			v.rowSeqs[row-y] = c.lines[i].seq
			used := v.drawRow(screen, x, row, w, c, &c.lines[i], r)
			fill(screen, x+used, row, w-used, base)
			if r--; r < 0 {
				if i--; i >= 0 {
					r = c.rowCount(i, w) - 1
				}
			}
		}
	}
	if row >= y && c != nil && c.historyLoaded && !c.more && c.name != "" {
		// The whole stream is loaded: say where it begins, or that
		// retention removed what came before.
		marker := " beginning of " + sanitize(chat.Display(c.name)) + " "
		if c.trimmed {
			marker = " older messages of " + sanitize(chat.Display(c.name)) + " were removed (retention) "
		}
		v.drawMarker(screen, x, row, w, marker, v.styles.log.separator)
		row--
	}
	for ; row >= y; row-- {
		fill(screen, x, row, w, base)
	}
	if c != nil && c.loading {
		used := drawText(screen, x, y, w, "loading older messages…", v.styles.log.system)
		fill(screen, x+used, y, w-used, base)
	}
}

// bottom returns the line and row drawn on the bottom row.
func (v *logView) bottom() (int, int) {
	c := v.log
	if c.follow {
		last := len(c.lines) - 1
		return last, c.rowCount(last, v.width) - 1
	}
	c.anchor = min(max(c.anchor, 0), len(c.lines)-1)
	c.anchorRow = min(max(c.anchorRow, 0), c.rowCount(c.anchor, v.width)-1)
	return c.anchor, c.anchorRow
}

// drawRow draws row r of line l and returns the cells it used.
func (v *logView) drawRow(screen tcell.Screen, x, y, w int, c *channelLog, l *line, r int) int {
	if l.kind == lineNewSince {
		v.drawMarker(screen, x, y, w, " new since you were here ", v.styles.log.mention)
		return w
	}
	if l.sepBefore {
		if r == 0 {
			v.drawMarker(screen, x, y, w, daySeparator(l.time()), v.styles.log.separator)
			return w
		}
		r--
	}
	lay := c.layout(l, w)
	if x := c.extra(l); x != nil && x.file != nil && x.file.IsImage() && !x.thumbAsked && !x.deleted() && v.onPicture != nil {
		x.thumbAsked = true
		v.onPicture(c, l, x)
	}
	sel := v.selecting && l.seq == v.selected
	style := func(k runKind, url string) tcell.Style {
		st := v.styles.runStyle(k, l, c.user(l), url)
		if sel {
			st = st.Reverse(true)
		}
		return st
	}
	col := x
	if r != len(lay.above) {
		// Every row but the first of the text is indented.
		fill(screen, x, y, lay.indent, v.styles.log.base)
		col += lay.indent
	}
	if r < len(lay.above) {
		return v.drawExtra(screen, col, y, x+w-col, lay.above[r], style) + col - x
	}
	r -= len(lay.above)
	if r >= len(lay.rows)/2 {
		return v.drawExtra(screen, col, y, x+w-col, lay.below[r-len(lay.rows)/2], style) + col - x
	}
	start, end := int(lay.rows[2*r]), int(lay.rows[2*r+1])
	if lay.rightToLeft && bidiInApp.Load() {
		// Time and name as they are, the text of the row in visual order.
		at := min(max(start, lay.head), end)
		col += drawRuns(screen, col, y, x+w-col, lay, start, at, style)
		col += drawVisual(screen, col, y, x+w-col, lay, at, end, style)
		return col - x
	}
	return drawRuns(screen, col, y, x+w-col, lay, start, end, style) + col - x
}

// drawRuns draws full[start:end] of lay as it comes, each stretch in its
// run's style; the row may cross runs of several styles.
func drawRuns(screen tcell.Screen, x, y, w int, lay *layout, start, end int, style func(runKind, string) tcell.Style) int {
	col, from := x, 0
	for _, rn := range lay.runs {
		a, b := max(start, from), min(end, rn.end)
		if a < b {
			col += drawCells(screen, col, y, x+w-col, lay.full[a:b], style(rn.kind, rn.url))
		}
		from = rn.end
		if from >= end {
			break
		}
	}
	return col - x
}

// drawVisual draws full[start:end] of lay, one wrapped row of a line's
// text, in visual order (reordered in the paragraph direction of the
// whole text), each character in the style of the run it comes from.
func drawVisual(screen tcell.Screen, x, y, w int, lay *layout, start, end int, style func(runKind, string) tcell.Style) int {
	return drawStyledVisual(screen, x, y, w, lay.full[start:end], lay.dir, func(off int) tcell.Style {
		for _, rn := range lay.runs {
			if start+off < rn.end {
				return style(rn.kind, rn.url)
			}
		}
		last := lay.runs[len(lay.runs)-1]
		return style(last.kind, last.url)
	})
}

// drawExtra draws a row above or below a line's text.
func (v *logView) drawExtra(screen tcell.Screen, x, y, width int, row extraRow, style func(runKind, string) tcell.Style) int {
	used := 0
	for _, s := range row {
		if t := s.thumb; t != nil {
			// The whole picture in view: drawn sharp over its cells too.
			if v.gfx != nil && t.sharp != nil && s.thumbRow == 0 && y+t.rows()-1 <= v.lastRow && width-used >= t.w {
				v.gfx.place(v, t.sharp, x+used, y, t.w, t.rows())
			}
			used += s.thumb.drawRow(screen, x+used, y, width-used, s.thumbRow)
			continue
		}
		used += drawText(screen, x+used, y, width-used, s.text, style(s.kind, ""))
	}
	return used
}

func (v *logView) drawMarker(screen tcell.Screen, x, y, w int, label string, st tcell.Style) {
	for i := range w {
		screen.SetContent(x+i, y, '─', nil, st)
	}
	lw := textWidth(label)
	if lw < w {
		drawText(screen, x+(w-lw)/2, y, lw, label, st)
	}
}

// ScrollUp moves the view n rows towards older lines, asking for an older
// page when it reaches the top.
func (v *logView) ScrollUp(n int) {
	c := v.log
	if c == nil || len(c.lines) == 0 {
		v.requestOlder()
		return
	}
	i, r := v.bottom()
	c.follow = false
	for ; n > 0; n-- {
		if r > 0 {
			r--
		} else if i > 0 {
			i--
			r = c.rowCount(i, v.width) - 1
		} else {
			break
		}
	}
	c.anchor, c.anchorRow = i, r
	// Keep a full screen above the bottom row; reaching the top loads more.
	v.clampTop()
}

// clampTop keeps a full screen of rows above the bottom row where there is
// one; at the top of what is loaded it asks for an older page.
func (v *logView) clampTop() {
	c := v.log
	if above := v.rowsAtOrAbove(c.anchor, c.anchorRow, v.high); above < v.high {
		v.ScrollDown(v.high - above)
		v.requestOlder()
	}
}

// ScrollDown moves the view n rows towards newer lines; reaching the
// newest row returns to live.
func (v *logView) ScrollDown(n int) {
	c := v.log
	if c == nil || len(c.lines) == 0 || c.follow {
		return
	}
	i, r := v.bottom()
	for ; n > 0; n-- {
		if r < c.rowCount(i, v.width)-1 {
			r++
		} else if i < len(c.lines)-1 {
			i, r = i+1, 0
		} else {
			break
		}
	}
	c.anchor, c.anchorRow = i, r
	if i == len(c.lines)-1 && r == c.rowCount(i, v.width)-1 {
		v.Live()
	}
}

// PageUp and PageDown scroll by a screen less one row.
func (v *logView) PageUp()   { v.ScrollUp(max(v.high-1, 1)) }
func (v *logView) PageDown() { v.ScrollDown(max(v.high-1, 1)) }

// Top scrolls to the oldest loaded line and asks for older ones.
func (v *logView) Top() {
	c := v.log
	if c == nil || len(c.lines) == 0 {
		v.requestOlder()
		return
	}
	c.follow, c.anchor, c.anchorRow = false, 0, 0
	v.clampTop()
}

// showAtTop scrolls so that line i is the top line of the view, or, when
// every line from i on fits in the view, returns to live.
func (v *logView) showAtTop(i int) {
	c := v.log
	rows := 0
	for j := i; j < len(c.lines); j++ {
		n := c.rowCount(j, v.width)
		if rows+n >= v.high {
			c.follow, c.anchor, c.anchorRow = false, j, v.high-rows-1
			return
		}
		rows += n
	}
	v.Live()
}

// Live returns to the newest line and follows new ones.
func (v *logView) Live() {
	if v.log != nil {
		v.log.follow, v.log.newCount = true, 0
	}
	if v.onLive != nil {
		v.onLive()
	}
}

func (v *logView) rowsAtOrAbove(i, r, limit int) int {
	n := r + 1
	for i--; i >= 0 && n < limit; i-- {
		n += v.log.rowCount(i, v.width)
	}
	return n
}

func (v *logView) requestOlder() {
	if c := v.log; c != nil && c.more && !c.loading && v.onTop != nil {
		v.onTop(c)
	}
}

// MouseHandler scrolls on the wheel.
func (v *logView) MouseHandler() func(action tview.MouseAction, event *tcell.EventMouse, setFocus func(p tview.Primitive)) (bool, tview.Primitive) {
	return v.WrapMouseHandler(func(action tview.MouseAction, event *tcell.EventMouse, setFocus func(p tview.Primitive)) (bool, tview.Primitive) {
		if !v.InRect(event.Position()) {
			return false, nil
		}
		switch action {
		case tview.MouseLeftClick:
			_, y, _, _ := v.GetInnerRect()
			if _, my := event.Position(); my-y >= 0 && my-y < len(v.rowSeqs) && v.rowSeqs[my-y] != 0 && v.onClick != nil {
				v.onClick(v.rowSeqs[my-y])
				return true, nil
			}
			return false, nil
		case tview.MouseScrollUp:
			v.ScrollUp(3)
			return true, nil
		case tview.MouseScrollDown:
			v.ScrollDown(3)
			return true, nil
		}
		return false, nil
	})
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
