package ui

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/rtchat/rtchat/chat"
)

// maxThreadsRead is how many threads the view reads from the server
// (those known only by the user's read markers), at most.
const maxThreadsRead = 50

// threadItem is one thread of the threads view.
type threadItem struct {
	conv    string
	root    chat.ID
	author  string
	text    string // the root's text, on one line
	replies int
	last    chat.ID // the newest reply
	unread  int
	reading bool // known by its marker only: being read
}

// threadsView is the open threads view (Alt+T, /threads): the threads
// the user is in, across conversations, the most recent reply first.
type threadsView struct {
	items []*threadItem
	o     *overlay
}

func cmdThreads(a *App, _ string) error {
	a.threads.showThreads()
	return nil
}

// showThreads opens the threads view: the threads the user is in that
// the window holds (their own messages' threads, and those they wrote
// in), and those they read before (by their read markers), read from the
// server.
func (th *threads) showThreads() {
	v := &threadsView{}
	v.o = newOverlay(th.a.st, "threads you are in · Enter opens · Esc closes")
	v.o.onPick = func(i int) {
		if i < len(v.items) {
			it := v.items[i]
			th.view = nil
			th.a.closeOverlay()
			th.openThreadIn(it.conv, it.root)
		}
	}
	v.o.onClose = func() {
		th.view = nil
		th.a.closeOverlay()
	}
	th.view = v
	th.fillThreads(v)
	th.a.showOverlay(v.o)
}

// fillThreads lists the threads in v (again once the user's markers are
// read, when the view opened before).
func (th *threads) fillThreads(v *threadsView) {
	v.items = nil
	seen := map[string]bool{}
	for name, c := range th.a.model.channels {
		if !c.joined {
			continue
		}
		for root, x := range c.log.extras {
			if x.state.Replies == 0 || !th.inThread(c, root) {
				continue
			}
			it := &threadItem{conv: name, root: root, replies: x.state.Replies, last: x.state.LastReply, unread: x.unread}
			if i := c.log.indexOf(root); i >= 0 {
				it.author, it.text = c.log.user(&c.log.lines[i]), c.log.lines[i].text
			}
			v.items = append(v.items, it)
			seen[chat.ThreadMarker(name, root)] = true
		}
	}
	var toRead []*threadItem
	for key, mark := range th.a.model.threadMarks {
		conv, raw, _ := strings.Cut(key, " ")
		root, err := chat.ParseID(raw)
		if seen[key] || err != nil || th.a.model.channels[conv] == nil || !th.a.model.channels[conv].joined {
			continue
		}
		it := &threadItem{conv: conv, root: root, last: mark, reading: true}
		v.items = append(v.items, it)
		toRead = append(toRead, it)
	}
	th.sortThreads(v)
	if len(toRead) > maxThreadsRead {
		toRead = toRead[:maxThreadsRead]
	}
	th.renderThreads(v)
	for _, it := range toRead {
		mark := it.last
		th.a.background(func(ctx context.Context) func() {
			root, replies, err := th.a.be.Thread(ctx, it.conv, it.root)
			return func() {
				it.reading = false
				if err == nil {
					it.author, it.text, it.replies = root.User, root.Current(), len(replies)
					if n := len(replies); n > 0 {
						it.last = replies[n-1].ID
					}
					for _, m := range replies {
						if m.ID.After(mark) && m.User != th.a.me && m.Kind.Shown() {
							it.unread++
						}
					}
				}
				if th.view == v {
					th.sortThreads(v)
					th.renderThreads(v)
				}
			}
		})
	}
}

// sortThreads puts the most recent reply first.
func (th *threads) sortThreads(v *threadsView) {
	slices.SortStableFunc(v.items, func(a, b *threadItem) int { return b.last.Compare(a.last) })
}

// renderThreads shows the items.
func (th *threads) renderThreads(v *threadsView) {
	rows := make([]overlayRow, 0, len(v.items))
	total := 0
	for _, it := range v.items {
		style := th.a.st.log.base
		var counts string
		switch {
		case it.reading:
			counts = "reading…"
		default:
			counts = fmt.Sprintf("%d repl%s", it.replies, map[bool]string{true: "y", false: "ies"}[it.replies == 1])
		}
		if it.unread > 0 {
			counts += fmt.Sprintf(" · %d new", it.unread)
			style = style.Bold(true)
			total += it.unread
		}
		when := ""
		if !it.last.IsZero() {
			when = " · " + it.last.Time().Local().Format("Jan 2 15:04")
		}
		text := it.text
		if text == "" && !it.reading {
			text = "(the message is not in the window)"
		}
		rows = append(rows, overlayRow{text: fmt.Sprintf("%s  %s%s  %s: %s", chat.Display(it.conv), counts, when, shownAuthor(it.author, ""), text),
			style: style, pick: true, indent: 4})
	}
	v.o.setRows(rows)
	switch {
	case !th.marksRead:
		v.o.footer = "reading your threads…"
	case len(v.items) == 0:
		v.o.footer = "no threads yet: t on a selected message opens its thread, and replying there puts you in it"
	case total > 0:
		v.o.footer = fmt.Sprintf("%d thread%s · %d new repl%s", len(v.items), plural(len(v.items)), total, map[bool]string{true: "y", false: "ies"}[total == 1])
	default:
		v.o.footer = fmt.Sprintf("%d thread%s · nothing new", len(v.items), plural(len(v.items)))
	}
}

// openThreadIn shows conv and opens the thread of root beside its log.
func (th *threads) openThreadIn(conv string, root chat.ID) {
	if err := th.a.join(conv, func() { th.openThread(conv, root) }); err != nil {
		th.a.errorLine("%v", err)
	}
}
