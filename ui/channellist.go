package ui

import (
	"fmt"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"
)

// channelItem is one row of the channel list.
type channelItem struct {
	name     string
	joined   bool
	unread   int
	mentions int
	more     bool // more unread than counted
}

// channelList shows every channel: joined ones marked "●", unread counts
// on the right, the shown channel highlighted. Names are drawn as plain
// text, never as style tags.
//
// Keys when focused: Up/Down move, Enter opens the channel under the
// cursor, Esc returns to the input. A mouse click opens a channel. It must
// be used on the UI goroutine only.
type channelList struct {
	*tview.Box
	items    []channelItem
	current  string // the channel shown in the log
	cursor   int
	offset   int
	styles   *styles
	onSelect func(name string)
	onDone   func()
}

// newChannelList returns an empty list; onSelect is called with the name
// of the channel the user picks, onDone when the user leaves the list.
func newChannelList(st *styles, onSelect func(string), onDone func()) *channelList {
	l := &channelList{Box: tview.NewBox(), styles: st, onSelect: onSelect, onDone: onDone}
	l.SetBorderPadding(0, 0, 0, 0)
	return l
}

// SetItems replaces the rows, keeping the cursor on the same channel.
func (l *channelList) SetItems(items []channelItem) {
	name := l.cursorName()
	l.items = items
	l.moveCursorTo(name)
}

// SetCurrent highlights channel name as the one shown.
func (l *channelList) SetCurrent(name string) {
	l.current = name
	l.moveCursorTo(name)
}

func (l *channelList) moveCursorTo(name string) {
	for i, it := range l.items {
		if it.name == name {
			l.cursor = i
			return
		}
	}
	l.cursor = min(l.cursor, max(len(l.items)-1, 0))
}

func (l *channelList) cursorName() string {
	if l.cursor >= 0 && l.cursor < len(l.items) {
		return l.items[l.cursor].name
	}
	return ""
}

// Draw draws the visible rows.
func (l *channelList) Draw(screen tcell.Screen) {
	// Every cell is written once, as in LogView.
	x, y, w, h := l.GetInnerRect()
	if w <= 0 || h <= 0 {
		return
	}
	if l.cursor < l.offset {
		l.offset = l.cursor
	}
	if l.cursor >= l.offset+h {
		l.offset = l.cursor - h + 1
	}
	for row := range h {
		i := l.offset + row
		if i >= len(l.items) {
			fill(screen, x, y+row, w, l.styles.channels)
			continue
		}
		it := l.items[i]
		st := l.styles.channels
		if it.joined {
			st = l.styles.channelOn
		}
		if it.name == l.current || (l.HasFocus() && i == l.cursor) {
			st = l.styles.channelSel
		}
		mark := "  "
		if it.joined {
			mark = "● "
		}
		count, ment := "", ""
		if it.unread > 0 {
			count = fmt.Sprintf(" %d", min(it.unread, 999))
			if it.more || it.unread > 999 {
				count += "+"
			}
		}
		if it.mentions > 0 {
			ment = fmt.Sprintf(" @%d", min(it.mentions, 99))
		}
		// A blank last column keeps counts and names off the log's text.
		inner := w
		if w >= 12 {
			inner = w - 1
		}
		tail := len(count) + len(ment)
		if tail+len(mark)+4 > inner {
			tail, count, ment = 0, "", ""
		}
		used := drawText(screen, x, y+row, inner-tail, ellipsis(mark+sanitize(it.name), inner-tail), st)
		if tail > 0 {
			cs, ms := l.styles.channelUnread, l.styles.channelMention
			if it.name == l.current {
				cs, ms = st, st
			}
			fill(screen, x+used, y+row, inner-used-tail, st)
			drawText(screen, x+inner-tail, y+row, len(ment), ment, ms)
			drawText(screen, x+inner-len(count), y+row, len(count), count, cs)
			used = inner
		}
		fill(screen, x+used, y+row, w-used, st)
	}
}

// InputHandler moves the cursor and opens channels.
func (l *channelList) InputHandler() func(event *tcell.EventKey, setFocus func(p tview.Primitive)) {
	return l.WrapInputHandler(func(event *tcell.EventKey, setFocus func(p tview.Primitive)) {
		switch event.Key() {
		case tcell.KeyUp:
			l.cursor = max(l.cursor-1, 0)
		case tcell.KeyDown:
			l.cursor = min(l.cursor+1, max(len(l.items)-1, 0))
		case tcell.KeyHome:
			l.cursor = 0
		case tcell.KeyEnd:
			l.cursor = max(len(l.items)-1, 0)
		case tcell.KeyEnter:
			if name := l.cursorName(); name != "" {
				l.onSelect(name)
			}
		case tcell.KeyEscape, tcell.KeyTab:
			l.onDone()
		}
	})
}

// MouseHandler opens the clicked channel and scrolls on the wheel.
func (l *channelList) MouseHandler() func(action tview.MouseAction, event *tcell.EventMouse, setFocus func(p tview.Primitive)) (bool, tview.Primitive) {
	return l.WrapMouseHandler(func(action tview.MouseAction, event *tcell.EventMouse, setFocus func(p tview.Primitive)) (bool, tview.Primitive) {
		mx, my := event.Position()
		if !l.InRect(mx, my) {
			return false, nil
		}
		_, y, _, _ := l.GetInnerRect()
		switch action {
		case tview.MouseLeftClick:
			if i := l.offset + my - y; i >= 0 && i < len(l.items) {
				l.cursor = i
				l.onSelect(l.items[i].name)
			}
			return true, nil
		case tview.MouseScrollUp:
			l.offset = max(l.offset-1, 0)
			return true, nil
		case tview.MouseScrollDown:
			l.offset = min(l.offset+1, max(len(l.items)-1, 0))
			return true, nil
		}
		return false, nil
	})
}

// ellipsis cuts s to width cells when it is longer, keeping its start
// and its end around a "…": two long names that share a beginning (or an
// end) still look different.
func ellipsis(s string, width int) string {
	if width <= 0 {
		return ""
	}
	if textWidth(s) <= width {
		return s
	}
	r := []rune(s)
	head, tail := (width-1)/2+(width-1)%2, (width-1)/2
	for head+tail > 0 && textWidth(string(r[:head]))+textWidth(string(r[len(r)-tail:])) > width-1 {
		if head > tail {
			head--
		} else {
			tail--
		}
	}
	return string(r[:head]) + "…" + string(r[len(r)-tail:])
}
