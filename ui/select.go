package ui

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/gdamore/tcell/v2"
	"github.com/rtchat/rtchat/chat"
	"github.com/rtchat/rtchat/keymap"
)

// Message selection: a key (keymap.Select) or a click selects a message
// of the log; Up/Down (or j/k) move between messages, Esc leaves, and the
// message actions (keymap.MessageActions) act on the selected one.

// selectionView is the log view whose message is selected: the thread
// pane's when it has the focus, else the channel's.
func (a *App) selectionView() *logView {
	if t := a.thread; t != nil && t.focused() {
		return t.view
	}
	return a.logv
}

// startSelect selects the newest message of the focused log.
func (a *App) startSelect() {
	v := a.selectionView()
	c := v.log
	if c == nil {
		return
	}
	i := c.lastIndex(func(l *line) bool { return l.isMessage() && l.stored })
	if i < 0 {
		a.errorLine("no message to select here yet")
		return
	}
	v.selectLine(i)
	a.refreshBars()
}

// selectLine selects line i and scrolls the view to show it.
func (v *logView) selectLine(i int) {
	c := v.log
	v.selecting, v.selected = true, c.lines[i].seq
	if i == len(c.lines)-1 && c.follow {
		return
	}
	if c.follow || i > c.anchor || v.rowsAtOrAbove(c.anchor, c.anchorRow, v.high) < v.high || !v.shows(i) {
		c.follow, c.anchor, c.anchorRow = false, i, c.rowCount(i, v.width)-1
		v.clampTop()
	}
}

// shows reports whether line i is on screen (roughly: between the bottom
// row and a screen above it).
func (v *logView) shows(i int) bool {
	c := v.log
	if i > c.anchor {
		return false
	}
	rows := 0
	for j := c.anchor; j > i && rows < v.high; j-- {
		rows += c.rowCount(j, v.width)
	}
	return rows < v.high
}

// selectedIndex returns the index of the selected line, or -1.
func (v *logView) selectedIndex() int {
	if !v.selecting || v.log == nil {
		return -1
	}
	return v.log.lastIndex(func(l *line) bool { return l.seq == v.selected })
}

// endSelect leaves message selection.
func (v *logView) endSelect() { v.selecting = false }

// selectedMessage returns the selected message line and its log.
func (a *App) selectedMessage() (*logView, *line) {
	v := a.selectionView()
	if i := v.selectedIndex(); i >= 0 {
		return v, &v.log.lines[i]
	}
	return v, nil
}

// selectionKey handles a key while a message is selected; it reports
// whether the key was used.
func (a *App) selectionKey(ev *tcell.EventKey) bool {
	v := a.selectionView()
	if !v.selecting {
		return false
	}
	name := keyName(ev)
	if ev.Key() == tcell.KeyRune && ev.Modifiers() == tcell.ModNone {
		name = string(ev.Rune())
	} else if ev.Key() == tcell.KeyEnter && ev.Modifiers() == tcell.ModNone {
		name = "Enter"
	}
	switch name {
	case "Up", "k":
		a.moveSelection(v, -1)
		return true
	case "Down", "j":
		a.moveSelection(v, 1)
		return true
	case "Esc":
		v.endSelect()
		a.refreshBars()
		return true
	}
	if run, ok := messageHandlers()[a.messageKeys[name]]; ok {
		run(a)
		return true
	}
	return false
}

// moveSelection selects the next message line in direction dir.
func (a *App) moveSelection(v *logView, dir int) {
	i := v.selectedIndex()
	if i < 0 {
		v.endSelect()
		return
	}
	for j := i + dir; j >= 0 && j < len(v.log.lines); j += dir {
		if l := &v.log.lines[j]; l.isMessage() && l.stored {
			v.selectLine(j)
			return
		}
	}
	if dir < 0 && v.log.more {
		v.requestOlder() // at the top: older messages come
	}
}

// messageHandlers says what each message action does.
func messageHandlers() map[string]func(a *App) {
	return map[string]func(a *App){
		keymap.Reply:    (*App).replyToSelected,
		keymap.Thread:   (*App).threadOfSelected,
		keymap.Edit:     (*App).editSelected,
		keymap.Delete:   (*App).deleteSelected,
		keymap.React:    (*App).reactToSelected,
		keymap.Copy:     func(a *App) { a.copySelected(false) },
		keymap.CopyLink: func(a *App) { a.copySelected(true) },
		keymap.OpenLink: (*App).openSelectedLink,
		keymap.Jump:     (*App).jumpToQuoted,
	}
}

// selectedConv returns the conversation of the selected message.
func (a *App) selectedConv(v *logView) string {
	if t := a.thread; t != nil && v == t.view {
		return t.conv
	}
	return a.current
}

func (a *App) replyToSelected() {
	v, l := a.selectedMessage()
	if l == nil {
		return
	}
	a.startCompose(compose{kind: composeReply, conv: a.selectedConv(v), id: l.id, view: v,
		what: "replying to " + quoteOf(v.log.user(l), l.text)})
}

// ownSelected returns the selected message if it is the user's own, to
// change in the way verb says; otherwise it says why not (nil).
func (a *App) ownSelected(verb string) (*logView, *line) {
	v, l := a.selectedMessage()
	if l != nil && !l.own {
		a.errorLine("only its author can %s a message; this one is %s's", verb, v.log.user(l))
		return v, nil
	}
	return v, l
}

func (a *App) editSelected() {
	v, l := a.ownSelected("edit")
	switch {
	case l == nil:
		return
	case v.log.extra(l) != nil && v.log.extra(l).deleted():
		a.errorLine("that message was deleted")
		return
	}
	a.startCompose(compose{kind: composeEdit, conv: a.selectedConv(v), id: l.id, view: v, what: "editing your message"})
	a.input.SetText(l.text, true)
}

func (a *App) deleteSelected() {
	v, l := a.ownSelected("delete")
	if l == nil {
		return
	}
	conv, id := a.selectedConv(v), l.id
	a.confirm("Delete your message for everyone?", func() {
		if _, err := a.be.Send(chat.Draft{Channel: conv, Kind: chat.KindDelete, Ref: id}); err != nil {
			a.errorLine("not deleted: %v", err)
		}
	})
}

func (a *App) reactToSelected() {
	v, l := a.selectedMessage()
	if l == nil {
		return
	}
	a.startCompose(compose{kind: composeReact, conv: a.selectedConv(v), id: l.id, view: v,
		what: "reacting to " + quoteOf(v.log.user(l), l.text) + " — type an emoji or :shortcode: (Tab completes)"})
}

func (a *App) threadOfSelected() {
	v, l := a.selectedMessage()
	if l == nil {
		return
	}
	if t := a.thread; t != nil && v == t.view {
		a.errorLine("this is a thread already: reply here")
		return
	}
	v.endSelect()
	a.openThread(a.current, l.id)
}

// copySelected copies the selected message's text (link: its first link)
// to the terminal's clipboard.
func (a *App) copySelected(link bool) {
	_, l := a.selectedMessage()
	if l == nil {
		return
	}
	text, what := l.text, "the message"
	if link {
		if text, what = firstLink(l.text), "the link"; text == "" {
			a.errorLine("that message has no link")
			return
		}
	}
	if err := a.copy(text); err != nil {
		a.errorLine("could not copy: %v", err)
		return
	}
	a.systemLine("copied %s (%d characters) to the clipboard", what, len([]rune(text)))
}

// copy sends text to the terminal's clipboard with OSC 52, which works
// over SSH and, with set-clipboard on, inside tmux.
func (a *App) copy(text string) error {
	if a.opts.Terminal == nil {
		return fmt.Errorf("no terminal to copy to")
	}
	_, err := fmt.Fprintf(a.opts.Terminal, "\x1b]52;c;%s\x07", base64.StdEncoding.EncodeToString([]byte(text)))
	return err
}

func (a *App) openSelectedLink() {
	_, l := a.selectedMessage()
	if l == nil {
		return
	}
	url := firstLink(l.text)
	if url == "" {
		a.errorLine("that message has no link")
		return
	}
	if a.opts.OpenURL == nil {
		a.errorLine("rtchat cannot open links here; copy it with %s", strings.Join(a.bindings[keymap.CopyLink], " or "))
		return
	}
	a.try("open "+url, func(context.Context) error { return a.opts.OpenURL(url) }, func() { a.systemLine("opened %s", url) })
}

// jumpToQuoted goes to the message the selected reply answers: selects it
// when the log holds it, else shows the messages around it.
func (a *App) jumpToQuoted() {
	v, l := a.selectedMessage()
	if l == nil {
		return
	}
	x := v.log.extra(l)
	if x == nil || x.replyTo.IsZero() {
		a.errorLine("that message answers none")
		return
	}
	if i := v.log.indexOf(x.replyTo); i >= 0 {
		v.selectLine(i)
		return
	}
	a.showAround(a.selectedConv(v), x.replyTo, "the message it answers · Esc closes", nil)
}

// clickLine selects the clicked message line of view v (seq names it);
// a click on rtchat's own lines does nothing.
func (a *App) clickLine(v *logView, seq uint32) {
	i := v.log.lastIndex(func(l *line) bool { return l.seq == seq })
	if i < 0 || !v.log.lines[i].isMessage() || !v.log.lines[i].stored {
		return
	}
	if a.logv != v {
		a.logv.endSelect()
	} else if a.thread != nil {
		a.thread.view.endSelect()
	}
	v.selecting, v.selected = true, seq
	a.refreshBars()
}

// showAround shows the messages around id of conv in an overlay, id
// highlighted; onClose runs when it closes (nil: back to the window).
func (a *App) showAround(conv string, id chat.ID, title string, onClose func()) {
	a.background(func(ctx context.Context) func() {
		msgs, err := a.be.Around(ctx, conv, id, 10)
		return func() {
			if err != nil {
				a.errorLine("could not read the messages around it: %v", err)
				return
			}
			o := newOverlay(a.st, title)
			rows := make([]overlayRow, len(msgs))
			sel := -1
			for i, m := range msgs {
				rows[i] = overlayRow{text: a.messageRow(m), style: a.st.log.base, indent: 18}
				if m.ID == id {
					rows[i].style, rows[i].pick, sel = a.st.log.mention, true, i
				}
			}
			o.setRows(rows)
			o.sel = sel
			o.onClose = a.closeOverlay
			if onClose != nil {
				o.onClose = onClose
			}
			a.showOverlay(o)
		}
	})
}

// selectionHint says in the status bar what the keys do while a message
// is selected.
func (a *App) selectionHint() string {
	key := func(action string) string {
		if k := a.bindings[action]; len(k) > 0 {
			return k[0]
		}
		if b, _ := keymap.Bindings(nil); len(b[action]) > 0 {
			return b[action][0]
		}
		return "?"
	}
	return fmt.Sprintf("message: %s reply · %s thread · %s edit · %s delete · %s react · %s copy · Esc done",
		key(keymap.Reply), key(keymap.Thread), key(keymap.Edit), key(keymap.Delete), key(keymap.React), key(keymap.Copy))
}
