package ui

import (
	"slices"

	"github.com/rtchat/rtchat/chat"
)

// lineExtra is what a message line shows besides its text: the quote of
// the message it answers, and its state (its edit or delete, reactions,
// thread). Only lines that have any of it have one (the log keeps them by
// stream id), so a line stays small.
type lineExtra struct {
	replyTo chat.ID
	quote   string // "alice: first words" of the message it answers
	// state is the message's state as read with it, then changed by
	// chat.Apply as its changes arrive. When it was edited, its edit (not
	// the line) is what is checked for its author's signature.
	state chat.MessageState
	// How many replies of its thread came since the user last looked, in
	// a thread they are in.
	unread         int
	unreadMentions int
	// file is the file the message carries; thumb its picture once
	// fetched and drawn small (thumbAsked: on its way, or not a picture).
	file       *chat.FileInfo
	thumb      *thumbnail
	thumbAsked bool
	thumbNote  string // why there is no picture ("" none)
}

func (x *lineExtra) deleted() bool { return x.state.Deleted != nil }

// edited reports whether the line shows an edit (not deleted since).
func (x *lineExtra) edited() bool { return x.state.Edit != nil && x.state.Deleted == nil }

// empty reports whether x shows nothing.
func (x *lineExtra) empty() bool {
	s := &x.state
	return x.replyTo.IsZero() && x.file == nil && s.Edit == nil && s.Deleted == nil && len(s.Reactions) == 0 && s.Replies == 0
}

// extra returns the extra of line l, or nil.
func (c *channelLog) extra(l *line) *lineExtra {
	if !l.stored || c.extras == nil {
		return nil
	}
	return c.extras[l.id]
}

// extraOf returns the extra of the message id, making one.
func (c *channelLog) extraOf(id chat.ID) *lineExtra {
	if c.extras == nil {
		c.extras = map[chat.ID]*lineExtra{}
	}
	x := c.extras[id]
	if x == nil {
		x = &lineExtra{}
		c.extras[id] = x
	}
	return x
}

// structure records what message m carries beyond its text (its State,
// its reply) for the line just made for it.
func (c *channelLog) structure(l *line, m chat.Message) {
	if m.ID.IsZero() || (m.State == nil && m.ReplyTo.IsZero() && m.File == nil) {
		return
	}
	x := c.extraOf(m.ID)
	if m.File != nil {
		x.file = m.File
	}
	if !m.ReplyTo.IsZero() {
		x.replyTo = m.ReplyTo
		switch q := m.Quote; {
		case q != nil:
			x.quote = quoteOf(q.User, q.Current())
		default:
			if i := c.indexOf(m.ReplyTo); i >= 0 {
				x.quote = quoteOf(c.user(&c.lines[i]), c.lines[i].text)
			}
		}
	}
	if s := m.State; s != nil {
		// A copy of its own: chat.Apply changes it in place.
		x.state = *s
		x.state.Reactions = make(map[string][]string, len(s.Reactions))
		for e, us := range s.Reactions {
			x.state.Reactions[e] = slices.Clone(us)
		}
		x.state.Participants = slices.Clone(s.Participants)
		x.show(l)
	}
	if x.empty() {
		delete(c.extras, m.ID)
	}
}

// show makes l's text what the message says now: nothing once deleted,
// its latest edit once edited.
func (x *lineExtra) show(l *line) {
	switch s := &x.state; {
	case s.Deleted != nil:
		l.text = ""
	case s.Edit != nil:
		l.text = sanitize(chat.TidyBlankLines(s.Edit.Text))
	}
}

// quoteOf is the one-row quote of a message: its author and its first
// words.
func quoteOf(user, text string) string {
	text = sanitize(text)
	for i, r := range text {
		if r == '\n' {
			text = text[:i] + " …"
			break
		}
	}
	if text == "" {
		text = "(deleted)"
	}
	return sanitize(user) + ": " + text
}

// change applies entry e (an edit, delete or reaction, or a thread reply)
// to the line of the message it changes, if the log holds it, by the rule
// the send script follows (chat.Apply). It reports the line's index, or -1
// when the log does not hold it or e changes nothing.
func (c *channelLog) change(e chat.Message) int {
	target := e.Target()
	i := c.indexOf(target)
	if i < 0 {
		return -1
	}
	l := &c.lines[i]
	x := c.extraOf(target)
	if !chat.Apply(&chat.Message{ID: target, User: c.user(l), State: &x.state}, e) {
		if x.empty() {
			delete(c.extras, target)
		}
		return -1
	}
	if e.Kind == chat.KindEdit || e.Kind == chat.KindDelete {
		x.show(l)
		l.asked = false // what is shown is what is checked
	}
	delete(c.lays, l.seq)
	return i
}
