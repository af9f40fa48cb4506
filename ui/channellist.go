package ui

import (
	"fmt"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"
	"github.com/rtchat/rtchat/chat"
)

// channelItem is one row of the channel list: a conversation, or the
// heading of the direct conversations.
type channelItem struct {
	name     string
	joined   bool
	unread   int
	mentions int
	more     bool // more unread than counted
	header   bool // a heading, not a conversation
	// pinned sits at the top; muted shows no count and is dimmed; away
	// marks a direct conversation whose person is away.
	pinned, muted, away bool
}

// lockMark goes before the name of a private channel.
const lockMark = "🔒"

// label is how the row names its conversation: "general", "🔒secret",
// "@bob".
func (it channelItem) label() string {
	if it.header {
		return it.name
	}
	if name, private := chat.PrivateName(it.name); private {
		return lockMark + sanitize(name)
	}
	return sanitize(it.name)
}

// dmHeading heads the direct conversations in the list.
const dmHeading = "direct messages"

// channelList shows every channel — joined ones marked "●", private ones
// with a lock — then, under a heading, the direct conversations; unread
// counts on the right, the shown conversation highlighted. Names are
// drawn as plain text, never as style tags.
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
	if l.cursor >= 0 && l.cursor < len(l.items) && !l.items[l.cursor].header {
		return l.items[l.cursor].name
	}
	return ""
}

// step puts the cursor on row i, or the next conversation from there in
// direction dir (headings are passed over); it stays put past the ends.
func (l *channelList) step(i, dir int) {
	for ; i >= 0 && i < len(l.items); i += dir {
		if !l.items[i].header {
			l.cursor = i
			return
		}
	}
}

// Draw draws the visible rows.
func (l *channelList) Draw(screen tcell.Screen) {
	// Every cell is written once, as in logView.
	x, y, w, h := l.GetInnerRect()
	if w <= 0 || h <= 0 {
		return
	}
	// In view: the cursor while the list has the focus, else the
	// conversation on screen (a short stacked list scrolls to it).
	keep := l.cursor
	if !l.HasFocus() {
		for i, it := range l.items {
			if !it.header && it.name == l.current {
				keep = i
			}
		}
	}
	if keep < l.offset {
		l.offset = keep
	}
	if keep >= l.offset+h {
		l.offset = keep - h + 1
	}
	for row := range h {
		i := l.offset + row
		if i >= len(l.items) {
			fill(screen, x, y+row, w, l.styles.channels)
			continue
		}
		it := l.items[i]
		if it.header {
			used := drawText(screen, x, y+row, w, ellipsisEnd("─ "+it.name+" ─", w), l.styles.channels)
			fill(screen, x+used, y+row, w-used, l.styles.channels)
			continue
		}
		l.drawItem(screen, x, y+row, w, i, it)
	}
}

// drawItem draws item i (it) of the list on row y: mark, name, counts.
func (l *channelList) drawItem(screen tcell.Screen, x, y, w, i int, it channelItem) {
	st := l.styles.channels
	if it.joined {
		st = l.styles.channelOn
	}
	if it.muted {
		st = st.Dim(true).Bold(false)
	}
	if it.name == l.current || (l.HasFocus() && i == l.cursor) {
		st = l.styles.channelSel
	}
	mark := "  "
	switch {
	case it.pinned:
		mark = "◆ "
	case it.joined:
		mark = "● "
	}
	count, ment := "", ""
	if it.muted {
		it.unread, it.mentions = 0, 0
	}
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
	label := mark + it.label()
	if it.away {
		label += " (away)"
	}
	used := drawText(screen, x, y, inner-tail, ellipsis(label, inner-tail), st)
	if tail > 0 {
		cs, ms := l.styles.channelUnread, l.styles.channelMention
		if it.name == l.current {
			cs, ms = st, st
		}
		fill(screen, x+used, y, inner-used-tail, st)
		drawText(screen, x+inner-tail, y, len(ment), ment, ms)
		drawText(screen, x+inner-len(count), y, len(count), count, cs)
		used = inner
	}
	fill(screen, x+used, y, w-used, st)
}

// InputHandler moves the cursor and opens channels.
func (l *channelList) InputHandler() func(event *tcell.EventKey, setFocus func(p tview.Primitive)) {
	return l.WrapInputHandler(func(event *tcell.EventKey, setFocus func(p tview.Primitive)) {
		switch event.Key() {
		case tcell.KeyUp:
			l.step(l.cursor-1, -1)
		case tcell.KeyDown:
			l.step(l.cursor+1, 1)
		case tcell.KeyHome:
			l.step(0, 1)
		case tcell.KeyEnd:
			l.step(len(l.items)-1, -1)
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
			if i := l.offset + my - y; i >= 0 && i < len(l.items) && !l.items[i].header {
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
