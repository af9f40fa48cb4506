package ui

import (
	"slices"
	"strings"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"
	"github.com/rtchat/rtchat/chat"
	"github.com/rtchat/rtchat/internal/bidi"
)

// overlayRow is one row of an overlay: plain text (never style tags; the
// overlay sanitizes it) in a style; only rows with pick set can be
// selected.
type overlayRow struct {
	text  string
	style tcell.Style
	pick  bool
	// indent is where the continuation lines of a long row start.
	indent int
	// marks are words to draw in the mark style wherever the text has
	// them (in any letter case): what a search matched. from is where
	// they count from (a byte offset: not in the row's head).
	marks []string
	from  int
}

// overlay is a framed list drawn over the window: the help, the quick
// switcher, search results and a message in its context. With a filter it
// has a query line that the user types into. It must be used on the UI
// goroutine only.
//
// Keys: Up/Down (and Ctrl+P/Ctrl+N) move, PgUp/PgDn page, Enter picks,
// Esc closes; with a filter, typing edits the query. Reaching the last
// row calls onEnd (to load more).
type overlay struct {
	*tview.Box
	st     *styles
	title  string // plain text; fitted to the frame when drawn
	filter bool
	query  string
	rows   []overlayRow
	sel    int // index of the selected row; -1 when none can be picked
	offset int
	footer string

	onQuery func(q string)
	onPick  func(row int)
	// onNoPick is called on Enter when no row is selected.
	onNoPick func()
	onClose  func()
	onEnd    func()
}

func newOverlay(st *styles, title string) *overlay {
	o := &overlay{Box: tview.NewBox(), st: st, title: title, sel: -1}
	o.SetBorder(true).
		SetBackgroundColor(st.theme.Log.Background.Color).
		SetBorderStyle(st.log.separator).SetTitleColor(st.theme.Log.Foreground.Color)
	return o
}

// setRows replaces the rows, keeping the selection on a pickable row.
func (o *overlay) setRows(rows []overlayRow) {
	o.rows = rows
	if o.sel >= len(rows) || o.sel < 0 || !rows[o.sel].pick {
		o.sel = o.next(-1, 1)
	}
}

// next returns the first pickable row from i+step on in direction step
// (or the current selection when there is none).
func (o *overlay) next(i, step int) int {
	for j := i + step; j >= 0 && j < len(o.rows); j += step {
		if o.rows[j].pick {
			return j
		}
	}
	if i >= 0 && i < len(o.rows) && o.rows[i].pick {
		return i
	}
	return -1
}

// listHeight is how many rows the list part shows.
func (o *overlay) listHeight() int {
	_, _, _, h := o.GetInnerRect()
	if o.filter {
		h -= 2
	}
	if o.footer != "" {
		h--
	}
	return max(h, 0)
}

// Draw draws the query line, the visible rows and the footer.
func (o *overlay) Draw(screen tcell.Screen) {
	// The title is cut at its end with "…" to the frame's width (tview
	// would cut a centred title at both ends, the start without a mark).
	_, _, bw, _ := o.GetRect()
	title := ellipsisEnd(o.title, bw-4)
	if bidiInApp.Load() && bidi.NeedsLayout(title) {
		title = bidi.VisualString(title, bidi.Auto) // tview draws it as it comes
	}
	o.SetTitle(" " + escape(title) + " ")
	o.Box.DrawForSubclass(screen, o)
	x, y, w, h := o.GetInnerRect()
	if w <= 0 || h <= 0 {
		return
	}
	base := o.st.log.base
	if o.filter {
		used := drawText(screen, x, y, w, "> "+oneLine(o.query), base.Bold(true))
		if used < w {
			screen.SetContent(x+used, y, '▏', nil, base)
		}
		for i := range w {
			screen.SetContent(x+i, y+1, '─', nil, o.st.log.separator)
		}
		y, h = y+2, h-2
	}
	if o.footer != "" {
		h--
		drawText(screen, x, y+h, w, oneLine(o.footer), o.st.log.system)
	}
	if h <= 0 {
		return
	}
	// Long rows wrap; lines[i] are row i's line offsets at this width.
	lines := make([][]int32, len(o.rows))
	count := func(i int) int {
		if lines[i] == nil {
			lines[i] = wrapIndent(oneLine(o.rows[i].text), w, o.rows[i].indent, 0)
		}
		return len(lines[i]) / 2
	}
	if o.sel >= 0 {
		o.offset = min(o.offset, o.sel)
		for used := o.linesBetween(count, o.offset, o.sel); used > h && o.offset < o.sel; {
			used -= count(o.offset)
			o.offset++
		}
	}
	// Never scroll past the point where the last row reaches the bottom.
	last, tail := len(o.rows), 0
	for last > 0 && tail+count(last-1) <= h {
		last--
		tail += count(last)
	}
	o.offset = max(min(o.offset, last), 0)
	row := 0
	for i := o.offset; i < len(o.rows) && row < h; i++ {
		st := o.rows[i].style
		if i == o.sel {
			st = o.selectedStyle()
		}
		text := oneLine(o.rows[i].text)
		n := count(i)
		for k := 0; k < n && row < h; k, row = k+1, row+1 {
			col := 0
			if k > 0 {
				col = min(o.rows[i].indent, w-1)
				fill(screen, x, y+row, col, st)
			}
			a, b := int(lines[i][2*k]), int(lines[i][2*k+1])
			used := drawMarked(screen, x+col, y+row, w-col, text, a, b, markSpans(text, o.rows[i].marks, o.rows[i].from), st, st.Reverse(true).Bold(true))
			fill(screen, x+col+used, y+row, w-col-used, st)
		}
	}
}

// linesBetween counts the lines of rows from to to, inclusive.
func (o *overlay) linesBetween(count func(int) int, from, to int) int {
	n := 0
	for i := from; i <= to; i++ {
		n += count(i)
	}
	return n
}

// move changes the selection by n pickable rows (or scrolls when nothing
// can be picked).
func (o *overlay) move(n int) {
	if o.sel < 0 {
		o.offset = max(o.offset+n, 0)
		if o.offset+o.listHeight() >= len(o.rows) && o.onEnd != nil {
			o.onEnd()
		}
		return
	}
	step := 1
	if n < 0 {
		step, n = -1, -n
	}
	for ; n > 0; n-- {
		o.sel = o.next(o.sel, step)
	}
	if o.next(o.sel, 1) == o.sel && o.onEnd != nil {
		o.onEnd()
	}
}

// InputHandler moves, picks, closes and edits the query.
func (o *overlay) InputHandler() func(event *tcell.EventKey, setFocus func(p tview.Primitive)) {
	return o.WrapInputHandler(func(ev *tcell.EventKey, setFocus func(p tview.Primitive)) {
		page := max(o.listHeight()-1, 1)
		switch ev.Key() {
		case tcell.KeyEscape:
			o.onClose()
		case tcell.KeyUp, tcell.KeyCtrlP:
			o.move(-1)
		case tcell.KeyDown, tcell.KeyCtrlN:
			o.move(1)
		case tcell.KeyPgUp:
			o.move(-page)
		case tcell.KeyPgDn:
			o.move(page)
		case tcell.KeyHome:
			o.offset = 0
			if o.sel >= 0 {
				o.sel = o.next(-1, 1)
			}
		case tcell.KeyEnd:
			o.move(len(o.rows))
		case tcell.KeyEnter:
			switch {
			case o.sel >= 0 && o.onPick != nil:
				o.onPick(o.sel)
			case o.sel < 0 && o.onNoPick != nil:
				o.onNoPick()
			}
		case tcell.KeyBackspace, tcell.KeyBackspace2:
			if o.filter && o.query != "" {
				r := []rune(o.query)
				o.query = string(r[:len(r)-1])
				o.onQuery(o.query)
			}
		case tcell.KeyRune:
			if o.filter && ev.Modifiers()&tcell.ModAlt == 0 {
				o.query += string(ev.Rune())
				o.onQuery(o.query)
			}
		}
	})
}

// MouseHandler picks the clicked row and scrolls on the wheel.
func (o *overlay) MouseHandler() func(action tview.MouseAction, event *tcell.EventMouse, setFocus func(p tview.Primitive)) (bool, tview.Primitive) {
	return o.WrapMouseHandler(func(action tview.MouseAction, event *tcell.EventMouse, setFocus func(p tview.Primitive)) (bool, tview.Primitive) {
		mx, my := event.Position()
		if !o.InRect(mx, my) {
			return false, nil
		}
		switch action {
		case tview.MouseScrollUp:
			o.move(-1)
		case tview.MouseScrollDown:
			o.move(1)
		case tview.MouseLeftClick:
			_, y, _, _ := o.GetInnerRect()
			if o.filter {
				y += 2
			}
			if i := o.offset + my - y; i >= 0 && i < len(o.rows) && o.rows[i].pick {
				o.sel = i
				if o.onPick != nil {
					o.onPick(i)
				}
			}
		default:
			return false, nil
		}
		return true, nil
	})
}

// showOverlay puts o over the middle of the window, with focus.
func (a *App) showOverlay(o *overlay) {
	if o.onClose == nil {
		o.onClose = a.closeOverlay
	}
	frame := &overlayFrame{Box: tview.NewBox(), o: o}
	a.pages.RemovePage("overlay")
	a.pages.AddPage("overlay", frame, true, true)
	a.overlay = o
	a.app.SetFocus(o)
}

// overlayFrame centres an overlay on the window: a tenth of the window
// is left around it on a wide window, one column on a narrow one, so the
// overlay's text keeps room to read at 50 columns.
type overlayFrame struct {
	*tview.Box
	o *overlay
}

func (f *overlayFrame) Draw(screen tcell.Screen) {
	x, y, w, h := f.GetRect()
	mx, my := w/10, h/10
	if w < 80 {
		mx = min(1, w/10)
	}
	if h < 24 {
		my = min(1, h/10)
	}
	f.o.SetRect(x+mx, y+my, w-2*mx, h-2*my)
	f.o.Draw(screen)
}

func (f *overlayFrame) Focus(delegate func(p tview.Primitive)) { delegate(f.o) }

func (f *overlayFrame) HasFocus() bool { return f.o.HasFocus() }

func (f *overlayFrame) InputHandler() func(event *tcell.EventKey, setFocus func(p tview.Primitive)) {
	return f.o.InputHandler()
}

func (f *overlayFrame) MouseHandler() func(action tview.MouseAction, event *tcell.EventMouse, setFocus func(p tview.Primitive)) (bool, tview.Primitive) {
	return f.o.MouseHandler()
}

// closeOverlay removes the overlay and returns to the input.
func (a *App) closeOverlay() {
	a.pages.RemovePage("overlay")
	a.overlay = nil
	a.app.SetFocus(a.input)
}

// oneLine makes untrusted text safe to draw on one row: sanitized, with
// line breaks shown as "⏎".
// selectedStyle is the selected row's style: the channel list's, unless
// the theme draws that in the log's own background (the default theme
// does), where it could not be seen; then the log's colours reversed.
func (o *overlay) selectedStyle() tcell.Style {
	_, selBg, _ := o.st.channelSel.Decompose()
	_, logBg, _ := o.st.log.base.Decompose()
	if selBg == logBg {
		return o.st.log.base.Reverse(true)
	}
	return o.st.channelSel
}

// markSpans returns where words occur in text at or after from, as byte
// ranges, ASCII letters compared in any case (as the search matched).
func markSpans(text string, words []string, from int) [][2]int {
	if len(words) == 0 {
		return nil
	}
	lower := chat.LowerASCII(text) // as the search folds; the offsets stay text's
	var spans [][2]int
	for _, w := range words {
		for at := from; w != "" && at < len(lower); {
			i := strings.Index(lower[at:], w)
			if i < 0 {
				break
			}
			spans = append(spans, [2]int{at + i, at + i + len(w)})
			at += i + len(w)
		}
	}
	slices.SortFunc(spans, func(a, b [2]int) int { return a[0] - b[0] })
	return spans
}

// drawMarked draws text[from:to] at (x, y) in st, its parts inside spans
// in mark, clipped to w cells; it returns the cells used.
func drawMarked(screen tcell.Screen, x, y, w int, text string, from, to int, spans [][2]int, st, mark tcell.Style) int {
	if row := text[from:to]; bidiInApp.Load() && bidi.NeedsLayout(row) {
		return drawStyledVisual(screen, x, y, w, row, bidi.DirectionOf(text), func(off int) tcell.Style {
			for _, sp := range spans {
				if sp[0] <= from+off && from+off < sp[1] {
					return mark
				}
			}
			return st
		})
	}
	used := 0
	for pos := from; pos < to && used < w; {
		end, style := to, st
		for _, sp := range spans {
			if sp[0] <= pos && pos < sp[1] {
				end, style = min(to, sp[1]), mark
				break
			}
			if sp[0] > pos {
				end = min(end, sp[0])
				break
			}
		}
		used += drawText(screen, x+used, y, w-used, text[pos:end], style)
		pos = end
	}
	return used
}

func oneLine(s string) string {
	return strings.NewReplacer("\r\n", " ⏎ ", "\n", " ⏎ ", "\r", " ").Replace(sanitize(s))
}
