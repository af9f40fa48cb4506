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
func (a *App) openThread(conv string, root chat.ID) {
	a.closeThread()
	t := &threadPane{conv: conv, root: root, log: a.newLog(conv)}
	t.view = newLogView(a.st, nil, nil)
	t.view.SetLog(t.log)
	t.view.onClick = func(seq uint32) { a.clickLine(t.view, seq) }
	t.input = tview.NewTextArea().SetPlaceholder("Reply in the thread · Esc closes it")
	t.input.SetInputCapture(func(ev *tcell.EventKey) *tcell.EventKey {
		return a.keyIn(t.input, ev, func(text string) bool { return a.threadInput(t, text) })
	})
	a.styleInput(t.input)
	t.box = tview.NewFlex().SetDirection(tview.FlexRow).AddItem(t.view, 0, 1, false).AddItem(t.input, 1, 0, true)
	t.box.SetBorder(true).SetTitle(" thread · Esc closes ").SetBorderStyle(a.st.log.separator).
		SetTitleColor(a.st.theme.Log.Foreground.Color).SetBackgroundColor(a.st.theme.Log.Background.Color)
	_, _, width, _ := a.pages.GetRect()
	t.beside = a.middle != nil && width >= threadPaneMin
	if t.beside {
		a.middle.AddItem(t.box, 0, threadShare, false)
		a.middle.ResizeItem(a.inputRow, 0, logShare)
	} else {
		a.pages.AddPage("thread", t.box, true, true)
	}
	a.thread = t
	a.app.SetFocus(t.input)
	if c := a.channels[conv]; c != nil {
		c.threadRead(root)
	}
	a.background(func(ctx context.Context) func() {
		rm, replies, err := a.be.Thread(ctx, conv, root)
		return func() {
			if a.thread != t {
				return
			}
			if err != nil {
				t.log.append(newSystemLine(lineError, fmt.Sprintf("could not read the thread: %v", err)))
				return
			}
			t.log.prepend(append([]chat.Message{rm}, replies...), a.me)
			t.log.historyLoaded = true
		}
	})
	a.refresh()
}

// closeThread closes the thread pane, if one is open.
func (a *App) closeThread() {
	t := a.thread
	if t == nil {
		return
	}
	a.thread = nil
	if t.beside {
		a.middle.RemoveItem(t.box)
		a.middle.ResizeItem(a.inputRow, 0, 1)
	} else {
		a.pages.RemovePage("thread")
	}
	if a.composing.view == t.view {
		a.composing = compose{}
	}
	a.app.SetFocus(a.input)
	a.refreshBars()
}

// threadInput handles Enter in the thread's input: a command runs as in
// the main input; text is a reply in the thread.
func (a *App) threadInput(t *threadPane, text string) bool {
	if strings.TrimSpace(text) == "" {
		return true
	}
	if a.composing.kind != composeNone && a.composing.view == t.view {
		return a.composed(text)
	}
	p := parseInput(text)
	if p.cmd != nil || p.problem != "" {
		return a.runInput(text)
	}
	if err := a.sendDraft(chat.Draft{Channel: t.conv, Text: p.message, Thread: t.root}); err != nil {
		a.errorLine("%v", err)
		return false
	}
	return true
}

// threadMessage applies a live entry of conv to the open thread pane: a
// reply of its thread joins it; a change of one of its messages changes
// it.
func (a *App) threadMessage(m chat.Message) {
	t := a.thread
	if t == nil || t.conv != m.Channel {
		return
	}
	switch {
	case m.Thread == t.root && m.Kind.Shown():
		t.log.addMessage(m, a.me)
		t.log.change(m) // the root's count
	case !m.Kind.Shown():
		t.log.change(m)
	}
}

// threadReply counts a live reply in a thread of channel c as unread when
// the user is in that thread (wrote its root or in it, or is mentioned)
// and is not looking at it. It reports whether it mentions the user.
func (a *App) threadReply(c *channel, m chat.Message) (mention bool) {
	if m.Thread.IsZero() || !m.Kind.Shown() || m.User == a.me {
		return false
	}
	if t := a.thread; t != nil && t.conv == c.name && t.root == m.Thread {
		return false
	}
	mention = a.isMention(m.Text)
	x := c.log.extras[m.Thread]
	if !mention && !a.inThread(c, m.Thread) {
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
	return mention
}

// inThread reports whether the user is in the thread of root in c: they
// wrote its root or a reply of it.
func (a *App) inThread(c *channel, root chat.ID) bool {
	if i := c.log.indexOf(root); i >= 0 && c.log.lines[i].own {
		return true
	}
	x := c.log.extras[root]
	return x != nil && slices.Contains(x.state.Participants, a.me)
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
