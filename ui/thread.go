package ui

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"
	"github.com/rtchat/rtchat/chat"
)

// threadPane shows one thread: its root and replies, live, with an input
// of its own. It sits beside the log when the window is wide enough, else
// over the window. Only the UI goroutine touches it.
type threadPane struct {
	conv  string
	root  chat.ID
	log   *channelLog
	view  *logView
	input *tview.TextArea
	box   *tview.Flex
	// beside is true when the pane sits beside the log (else it is a page
	// over the window).
	beside bool
}

// threadPaneMin is the narrowest window that shows a thread beside the
// log; beside it, the log and the pane share the room 3:2.
const (
	threadPaneMin = 100
	logShare      = 3
	threadShare   = 2
)

// focused reports whether the pane's input has the focus.
func (t *threadPane) focused() bool { return t.input.HasFocus() }

// openThread shows the thread of message root of conv.
func (th *threads) openThread(conv string, root chat.ID) {
	th.closeThread()
	t := &threadPane{conv: conv, root: root, log: th.a.newLog(conv)}
	t.view = newLogView(th.a.st, nil, nil)
	t.view.onPicture = th.a.fetchPicture
	t.view.gfx = th.a.gfx
	t.view.SetLog(t.log)
	t.view.onClick = func(seq uint32) { th.a.sel.clickLine(t.view, seq) }
	t.input = tview.NewTextArea().SetPlaceholder("Reply in the thread · Esc closes it")
	t.input.SetInputCapture(func(ev *tcell.EventKey) *tcell.EventKey {
		return th.a.prompt.keyIn(t.input, ev, func(text string) bool { return th.threadInput(t, text) })
	})
	th.a.styleInput(t.input)
	t.box = tview.NewFlex().SetDirection(tview.FlexRow).AddItem(t.view, 0, 1, false).AddItem(rtlInput{t.input}, 1, 0, true)
	t.box.SetBorder(true).SetTitle(" thread · Esc closes ").SetBorderStyle(th.a.st.log.separator).
		SetTitleColor(th.a.st.theme.Log.Foreground.Color).SetBackgroundColor(th.a.st.theme.Log.Background.Color)
	_, _, width, _ := th.a.pages.GetRect()
	t.beside = th.a.middle != nil && width >= threadPaneMin
	if t.beside {
		th.a.middle.AddItem(t.box, 0, threadShare, false)
		th.a.middle.ResizeItem(th.a.inputRow, 0, logShare)
	} else {
		th.a.pages.AddPage("thread", t.box, true, true)
	}
	th.thread = t
	th.a.app.SetFocus(t.input)
	if c := th.a.model.channels[conv]; c != nil {
		c.threadRead(root)
	}
	th.a.background(func(ctx context.Context) func() {
		rm, replies, err := th.a.be.Thread(ctx, conv, root)
		return func() {
			if th.thread != t {
				return
			}
			if err != nil {
				t.log.append(newSystemLine(lineError, fmt.Sprintf("could not read the thread: %v", err)))
				return
			}
			t.log.prepend(append([]chat.Message{rm}, replies...), th.a.me)
			t.log.historyLoaded = true
			if len(replies) > 0 {
				th.markThread(conv, root, replies[len(replies)-1].ID)
			}
		}
	})
	th.a.refresh()
}

// closeThread closes the thread pane, if one is open.
func (th *threads) closeThread() {
	t := th.thread
	if t == nil {
		return
	}
	th.thread = nil
	if last := t.log.lastID(); !last.IsZero() && last != t.root {
		th.markThread(t.conv, t.root, last) // what came while it was open
	}
	if t.beside {
		th.a.middle.RemoveItem(t.box)
		th.a.middle.ResizeItem(th.a.inputRow, 0, 1)
	} else {
		th.a.pages.RemovePage("thread")
	}
	if th.a.comp.composing.view == t.view {
		th.a.comp.composing = compose{}
	}
	th.a.app.SetFocus(th.a.input)
	th.a.refreshBars()
}

// threadInput handles Enter in the thread's input: a command runs as in
// the main input; text is a reply in the thread.
func (th *threads) threadInput(t *threadPane, text string) bool {
	if strings.TrimSpace(text) == "" {
		return true
	}
	if th.a.comp.composing.kind != composeNone && th.a.comp.composing.view == t.view {
		return th.a.comp.composed(text)
	}
	p := parseInput(text)
	if p.cmd != nil || p.problem != "" {
		return th.a.runInput(text)
	}
	if err := th.a.sendDraft(chat.Draft{Channel: t.conv, Text: p.message, Thread: t.root}); err != nil {
		th.a.errorLine("%v", err)
		return false
	}
	return true
}

// threadMessage applies a live entry of conv to the open thread pane: a
// reply of its thread joins it; a change of one of its messages changes
// it.
func (th *threads) threadMessage(m chat.Message) {
	t := th.thread
	if t == nil || t.conv != m.Channel {
		return
	}
	switch {
	case m.Thread == t.root && m.Kind.Shown():
		t.log.addMessage(m, th.a.me)
		t.log.change(m) // the root's count
	case !m.Kind.Shown():
		t.log.change(m)
	}
}

// threadReply counts a live reply in a thread of channel c as unread when
// the user is in that thread (wrote its root or in it, or is mentioned)
// and is not looking at it. It reports whether it mentions the user.
func (th *threads) threadReply(c *channel, m chat.Message) (mention bool) {
	if m.Thread.IsZero() || !m.Kind.Shown() || m.User == th.a.me {
		return false
	}
	if t := th.thread; t != nil && t.conv == c.name && t.root == m.Thread {
		return false
	}
	mention = th.a.model.isMention(m.Text)
	x := c.log.extras[m.Thread]
	if !mention && !th.inThread(c, m.Thread) {
		return false
	}
	if x != nil {
		x.unread++
		if mention {
			x.unreadMentions++
		}
		if i := c.log.indexOf(m.Thread); i >= 0 {
			delete(c.log.lays, c.log.lines[i].seq)
		}
	}
	c.threadUnread++
	if mention {
		c.threadMentions++
	}
	// A thread one is in gets its marker (read up to its root) at its
	// first reply seen, so that the threads view (and the unread count)
	// still knows it after a restart, when its root is long gone from
	// the log.
	if _, marked := th.a.model.threadMarks[chat.ThreadMarker(c.name, m.Thread)]; !marked && th.marksRead {
		th.markThread(c.name, m.Thread, m.Thread)
	}
	return mention
}

// inThread reports whether the user is in the thread of root in c: they
// wrote its root or a reply of it.
func (th *threads) inThread(c *channel, root chat.ID) bool {
	if i := c.log.indexOf(root); i >= 0 && c.log.lines[i].own {
		return true
	}
	x := c.log.extras[root]
	return x != nil && slices.Contains(x.state.Participants, th.a.me)
}

// threadRead forgets the unread replies of the thread of root (it is
// being looked at).
func (c *channel) threadRead(root chat.ID) {
	x := c.log.extras[root]
	if x == nil || x.unread == 0 {
		return
	}
	c.threadUnread = max(c.threadUnread-x.unread, 0)
	c.threadMentions = max(c.threadMentions-x.unreadMentions, 0)
	x.unread, x.unreadMentions = 0, 0
	if i := c.log.indexOf(root); i >= 0 {
		delete(c.log.lays, c.log.lines[i].seq)
	}
}

// markThread stores the thread's read marker (chat.ThreadMarker): its
// replies up to id are read, so a restart does not count them again.
func (th *threads) markThread(conv string, root, id chat.ID) {
	key := chat.ThreadMarker(conv, root)
	if mark, ok := th.a.model.threadMarks[key]; ok && !id.After(mark) {
		return
	}
	if th.a.model.threadMarks == nil {
		th.a.model.threadMarks = map[string]chat.ID{}
	}
	th.a.model.threadMarks[key] = id
	th.a.background(func(ctx context.Context) func() {
		// A marker that could not be stored only makes the next start
		// count these replies again: not worth a red line.
		_ = th.a.be.MarkRead(ctx, key, id)
		return nil
	})
}

// loadThreadMarks reads the user's read markers for the threads, once at
// the start (from a worker), and counts what came in the threads since.
func (th *threads) loadThreadMarks() {
	marks, err := th.a.be.ReadMarkers(th.a.ctx)
	if err != nil {
		return // the threads count from now, as before
	}
	th.a.post(func() {
		if th.a.model.threadMarks == nil {
			th.a.model.threadMarks = map[string]chat.ID{}
		}
		for k, id := range marks {
			if _, _, thread := strings.Cut(k, " "); thread && id.After(th.a.model.threadMarks[k]) {
				th.a.model.threadMarks[k] = id
			}
		}
		th.marksRead = true
		for _, c := range th.a.model.channels {
			th.countSince(c)
		}
		if th.view != nil {
			th.fillThreads(th.view)
		}
	})
}

// countSince counts, once per thread, the replies others wrote in c's
// threads the user is in since the user last read them (their thread
// marker; for a thread of their own never opened, since its root): the
// "· 2 new" a restart would otherwise lose. Only threads whose newest
// reply is newer are read, one call each.
func (th *threads) countSince(c *channel) {
	if !th.marksRead || !c.log.historyLoaded {
		return
	}
	for root, x := range c.log.extras {
		key := chat.ThreadMarker(c.name, root)
		if x.state.Replies == 0 || th.counted[key] || !th.inThread(c, root) || th.inThreadPane(c, root) {
			continue
		}
		mark, ok := th.a.model.threadMarks[key]
		if !ok {
			if i := c.log.indexOf(root); i < 0 || !c.log.lines[i].own {
				continue // in it by a reply, never marked: from now on
			}
			mark = root
		}
		if th.counted == nil {
			th.counted = map[string]bool{}
		}
		th.counted[key] = true
		if !x.state.LastReply.After(mark) {
			continue
		}
		th.a.background(func(ctx context.Context) func() {
			_, replies, err := th.a.be.Thread(ctx, c.name, root)
			if err != nil {
				return nil
			}
			return func() { th.addUnread(c, root, mark, replies) }
		})
	}
}

// addUnread counts the replies after mark by others into the thread of
// root, beside those counted live meanwhile.
func (th *threads) addUnread(c *channel, root, mark chat.ID, replies []chat.Message) {
	x := c.log.extras[root]
	if x == nil || th.inThreadPane(c, root) {
		return
	}
	n, mentions := 0, 0
	for _, m := range replies {
		if m.ID.After(mark) && m.User != th.a.me && m.Kind.Shown() {
			n++
			if th.a.model.isMention(m.Text) {
				mentions++
			}
		}
	}
	if n <= x.unread {
		return
	}
	c.threadUnread += n - x.unread
	c.threadMentions += max(mentions-x.unreadMentions, 0)
	x.unread, x.unreadMentions = n, max(mentions, x.unreadMentions)
	if i := c.log.indexOf(root); i >= 0 {
		delete(c.log.lays, c.log.lines[i].seq)
	}
	th.a.refresh()
}

// inThreadPane reports whether the thread of root in c is open.
func (th *threads) inThreadPane(c *channel, root chat.ID) bool {
	t := th.thread
	return t != nil && t.conv == c.name && t.root == root
}
