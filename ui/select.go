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
func (s *selection) selectionView() *logView {
	if t := s.a.threads.thread; t != nil && t.focused() {
		return t.view
	}
	return s.a.logv
}

// startSelect selects the newest message of the focused log.
func (s *selection) startSelect() {
	v := s.selectionView()
	c := v.log
	if c == nil {
		return
	}
	i := c.lastIndex(func(l *line) bool { return l.isMessage() && l.stored })
	if i < 0 {
		s.a.errorLine("no message to select here yet")
		return
	}
	v.selectLine(i)
	s.a.refreshBars()
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
func (s *selection) selectedMessage() (*logView, *line) {
	v := s.selectionView()
	if i := v.selectedIndex(); i >= 0 {
		return v, &v.log.lines[i]
	}
	return v, nil
}

// selectionKey handles a key while a message is selected; it reports
// whether the key was used.
func (s *selection) selectionKey(ev *tcell.EventKey) bool {
	v := s.selectionView()
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
		s.moveSelection(v, -1)
		return true
	case "Down", "j":
		s.moveSelection(v, 1)
		return true
	case "Esc":
		v.endSelect()
		s.a.refreshBars()
		if v == s.a.logv {
			s.a.searcher.backToResults() // a search's result: back to the results
		}
		return true
	}
	if run, ok := messageHandlers()[s.messageKeys[name]]; ok {
		run(s)
		return true
	}
	return false
}

// moveSelection selects the next message line in direction dir.
func (s *selection) moveSelection(v *logView, dir int) {
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
func messageHandlers() map[string]func(s *selection) {
	return map[string]func(s *selection){
		keymap.Reply:    (*selection).replyToSelected,
		keymap.Thread:   (*selection).threadOfSelected,
		keymap.Edit:     (*selection).editSelected,
		keymap.Delete:   (*selection).deleteSelected,
		keymap.React:    (*selection).reactToSelected,
		keymap.Copy:     func(s *selection) { s.copySelected(false) },
		keymap.CopyLink: func(s *selection) { s.copySelected(true) },
		keymap.OpenLink: (*selection).openSelected,
		keymap.SaveFile: (*selection).saveSelected,
		keymap.ViewFile: (*selection).viewSelected,
		keymap.Jump:     (*selection).jumpToQuoted,
	}
}

// selectedConv returns the conversation of the selected message.
func (s *selection) selectedConv(v *logView) string {
	if t := s.a.threads.thread; t != nil && v == t.view {
		return t.conv
	}
	return s.a.model.current
}

func (s *selection) replyToSelected() {
	v, l := s.selectedMessage()
	if l == nil {
		return
	}
	s.a.comp.startCompose(compose{kind: composeReply, conv: s.selectedConv(v), id: l.id, view: v,
		what: "replying to " + quoteOf(v.log.user(l), l.text)})
}

// ownSelected returns the selected message if it is the user's own, to
// change in the way verb says; otherwise it says why not (nil).
func (s *selection) ownSelected(verb string) (*logView, *line) {
	v, l := s.selectedMessage()
	if l != nil && !l.own {
		s.a.errorLine("only its author can %s a message; this one is %s's", verb, v.log.user(l))
		return v, nil
	}
	return v, l
}

func (s *selection) editSelected() {
	v, l := s.ownSelected("edit")
	switch {
	case l == nil:
		return
	case v.log.extra(l) != nil && v.log.extra(l).deleted():
		s.a.errorLine("that message was deleted")
		return
	}
	s.a.comp.startCompose(compose{kind: composeEdit, conv: s.selectedConv(v), id: l.id, view: v, what: "editing your message"})
	s.a.input.SetText(l.text, true)
}

func (s *selection) deleteSelected() {
	v, l := s.ownSelected("delete")
	if l == nil {
		return
	}
	conv, id := s.selectedConv(v), l.id
	s.a.confirm("Delete your message for everyone?", func() {
		if _, err := s.a.be.Send(chat.Draft{Channel: conv, Kind: chat.KindDelete, Ref: id}); err != nil {
			s.a.errorLine("not deleted: %v", err)
		}
	})
}

func (s *selection) reactToSelected() {
	v, l := s.selectedMessage()
	if l == nil {
		return
	}
	s.a.comp.startCompose(compose{kind: composeReact, conv: s.selectedConv(v), id: l.id, view: v,
		what: "reacting to " + quoteOf(v.log.user(l), l.text) + " — type an emoji or :shortcode: (Tab completes)"})
}

func (s *selection) threadOfSelected() {
	v, l := s.selectedMessage()
	if l == nil {
		return
	}
	if t := s.a.threads.thread; t != nil && v == t.view {
		s.a.errorLine("this is a thread already: reply here")
		return
	}
	v.endSelect()
	s.a.threads.openThread(s.a.model.current, l.id)
}

// copySelected copies the selected message's text (link: its first link)
// to the terminal's clipboard.
func (s *selection) copySelected(link bool) {
	_, l := s.selectedMessage()
	if l == nil {
		return
	}
	text, what := l.text, "the message"
	if link {
		if text, what = firstLink(l.text), "the link"; text == "" {
			s.a.errorLine("that message has no link")
			return
		}
	}
	if err := s.copy(text); err != nil {
		s.a.errorLine("could not copy: %v", err)
		return
	}
	s.a.systemLine("copied %s (%d characters) to the clipboard", what, len([]rune(text)))
}

// copy sends text to the terminal's clipboard with OSC 52, which works
// over SSH and, with set-clipboard on, inside tmux.
func (s *selection) copy(text string) error {
	if s.a.opts.Terminal == nil {
		return fmt.Errorf("no terminal to copy to")
	}
	_, err := fmt.Fprintf(s.a.opts.Terminal, "\x1b]52;c;%s\x07", base64.StdEncoding.EncodeToString([]byte(text)))
	return err
}

func (s *selection) openSelectedLink() {
	_, l := s.selectedMessage()
	if l == nil {
		return
	}
	url := firstLink(l.text)
	if url == "" {
		s.a.errorLine("that message has no link")
		return
	}
	if s.a.opts.OpenURL == nil {
		s.a.errorLine("rtchat cannot open links here; copy it with %s", strings.Join(s.a.bindings[keymap.CopyLink], " or "))
		return
	}
	s.a.try("open "+url, func(context.Context) error { return s.a.opts.OpenURL(url) }, func() { s.a.systemLine("opened %s", url) })
}

// jumpToQuoted goes to the message the selected reply answers: selects it
// when the log holds it, else shows the messages around it.
func (s *selection) jumpToQuoted() {
	v, l := s.selectedMessage()
	if l == nil {
		return
	}
	x := v.log.extra(l)
	if x == nil || x.replyTo.IsZero() {
		s.a.errorLine("that message answers none")
		return
	}
	if i := v.log.indexOf(x.replyTo); i >= 0 {
		v.selectLine(i)
		return
	}
	s.showAround(s.selectedConv(v), x.replyTo, "the message it answers · Esc closes", nil)
}

// clickLine selects the clicked message line of view v (seq names it);
// a click on rtchat's own lines does nothing.
func (s *selection) clickLine(v *logView, seq uint32) {
	i := v.log.lastIndex(func(l *line) bool { return l.seq == seq })
	if i < 0 || !v.log.lines[i].isMessage() || !v.log.lines[i].stored {
		return
	}
	if s.a.logv != v {
		s.a.logv.endSelect()
	} else if s.a.threads.thread != nil {
		s.a.threads.thread.view.endSelect()
	}
	v.selecting, v.selected = true, seq
	s.a.refreshBars()
}

// showAround shows the messages around id of conv in an overlay, id
// highlighted; onClose runs when it closes (nil: back to the window).
func (s *selection) showAround(conv string, id chat.ID, title string, onClose func()) {
	s.a.background(func(ctx context.Context) func() {
		msgs, err := s.a.be.Around(ctx, conv, id, 10)
		return func() {
			if err != nil {
				s.a.errorLine("could not read the messages around it: %v", err)
				return
			}
			o := newOverlay(s.a.st, title)
			rows := make([]overlayRow, len(msgs))
			sel := -1
			for i, m := range msgs {
				rows[i] = overlayRow{text: s.a.searcher.messageRow(m), style: s.a.st.log.base, indent: 18}
				if m.ID == id {
					rows[i].style, rows[i].pick, sel = s.a.st.log.mention, true, i
				}
			}
			o.setRows(rows)
			o.sel = sel
			o.onClose = s.a.closeOverlay
			if onClose != nil {
				o.onClose = onClose
			}
			s.a.showOverlay(o)
		}
	})
}

// selectionHint says in the status bar what the keys do while a message
// is selected.
func (s *selection) selectionHint() string {
	key := func(action string) string {
		if k := s.a.bindings[action]; len(k) > 0 {
			return k[0]
		}
		if b, _ := keymap.Bindings(nil); len(b[action]) > 0 {
			return b[action][0]
		}
		return "?"
	}
	if v, l := s.selectedMessage(); l != nil {
		if x := v.log.extra(l); x != nil && x.file != nil && !x.deleted() {
			return fmt.Sprintf("file: %s save · %s open · %s view · %s reply · %s thread · %s react · Esc done",
				key(keymap.SaveFile), key(keymap.OpenLink), key(keymap.ViewFile), key(keymap.Reply), key(keymap.Thread), key(keymap.React))
		}
	}
	return fmt.Sprintf("message: %s reply · %s thread · %s edit · %s delete · %s react · %s copy · Esc done",
		key(keymap.Reply), key(keymap.Thread), key(keymap.Edit), key(keymap.Delete), key(keymap.React), key(keymap.Copy))
}

// lastOwn returns the user's newest stored message in the main log, for
// Up on an empty input and s/old/new/; nil when there is none, or when
// it was deleted.
func (s *selection) lastOwn() *line {
	log := s.a.logv.log
	if log == nil {
		return nil
	}
	for i := len(log.lines) - 1; i >= 0; i-- {
		l := &log.lines[i]
		if !l.own || !l.stored || !l.isMessage() {
			continue
		}
		if x := log.extra(l); x != nil && x.deleted() {
			return nil
		}
		return l
	}
	return nil
}

// editLast starts editing the user's last message (Slack's Up on an
// empty input); it reports false when there is none to edit.
func (s *selection) editLast() bool {
	l := s.lastOwn()
	if l == nil {
		return false
	}
	s.a.comp.startCompose(compose{kind: composeEdit, conv: s.a.model.current, id: l.id, view: s.a.logv, what: "editing your last message (Up: earlier inputs)", byUp: l.text})
	s.a.input.SetText(l.text, true)
	return true
}

// substituteLast corrects the user's last message: old becomes new (the
// first time, or every time with all), as s/old/new/ does in IRC. It
// reports false, keeping the input, when there is nothing to correct.
func (s *selection) substituteLast(old, repl string, all bool) bool {
	l := s.lastOwn()
	switch {
	case l == nil:
		s.a.errorLine("you have no message here to correct; type /send %s to send it as it is", "s/"+old+"/"+repl+"/")
		return false
	case !strings.Contains(l.text, old):
		s.a.errorLine("%q is not in your last message", old)
		return false
	}
	n := 1
	if all {
		n = -1
	}
	text := strings.Replace(l.text, old, repl, n)
	if _, err := s.a.be.Send(chat.Draft{Channel: s.a.model.current, Kind: chat.KindEdit, Ref: l.id, Text: text}); err != nil {
		s.a.errorLine("not corrected: %v", err)
		return false
	}
	return true
}

// parseSubst reads s/old/new/ (or s/old/new/g; the last slash may be left
// out), as IRC and senpai users type a correction.
func parseSubst(text string) (old, repl string, all, ok bool) {
	rest, found := strings.CutPrefix(text, "s/")
	if !found || strings.Contains(text, "\n") {
		return "", "", false, false
	}
	parts := strings.SplitN(rest, "/", 3)
	if len(parts) < 2 || parts[0] == "" {
		return "", "", false, false
	}
	if len(parts) == 3 && parts[2] != "" && parts[2] != "g" {
		return "", "", false, false
	}
	return parts[0], parts[1], len(parts) == 3 && parts[2] == "g", true
}
