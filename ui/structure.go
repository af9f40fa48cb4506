package ui

import (
	"maps"
	"slices"

	"github.com/rtchat/rtchat/chat"
)

// lineExtra is what a message line shows besides its text: the quote of
// the message it answers, that it was edited or deleted, its reactions,
// its thread's summary. Only lines that have any of it have one (the log
// keeps them by stream id), so a line stays small.
type lineExtra struct {
	replyTo chat.ID
	quote   string // "alice: first words" of the message it answers
	edited  bool
	deleted bool
	// editID is the edit whose text is shown: it, not the line, is
	// checked for its author's signature.
	editID    chat.ID
	reactions map[string][]string // emoji → who gave it
	// The thread: its size, newest reply, who wrote in it, and how many
	// replies came since the user last looked, in a thread they are in.
	replies        int
	lastReply      chat.ID
	participants   []string
	unread         int
	unreadMentions int
}

// empty reports whether x shows nothing.
func (x *lineExtra) empty() bool {
	return x.replyTo.IsZero() && !x.edited && !x.deleted && len(x.reactions) == 0 && x.replies == 0
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
	if m.ID.IsZero() || (m.State == nil && m.ReplyTo.IsZero()) {
		return
	}
	x := c.extraOf(m.ID)
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
		switch {
		case s.Deleted != nil:
			x.deleted, l.text = true, ""
		case s.Edit != nil:
			x.edited, x.editID, l.text = true, s.Edit.ID, sanitize(chat.TidyBlankLines(s.Edit.Text))
		}
		x.reactions = maps.Clone(s.Reactions)
		x.replies, x.lastReply, x.participants = s.Replies, s.LastReply, slices.Clone(s.Participants)
	}
	if x.empty() {
		delete(c.extras, m.ID)
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
// to the line of the message it changes, if the log holds it. It reports
// the line's index, or -1.
func (c *channelLog) change(e chat.Message) int {
	target := e.Target()
	i := c.indexOf(target)
	if i < 0 {
		return -1
	}
	l := &c.lines[i]
	x := c.extraOf(target)
	switch {
	case e.Kind == chat.KindEdit || e.Kind == chat.KindDelete:
		if e.User != c.user(l) || x.deleted {
			return -1 // only the author's changes count
		}
		if e.Kind == chat.KindDelete {
			x.deleted, l.text = true, ""
		} else {
			x.edited, x.editID, l.text = true, e.ID, sanitize(chat.TidyBlankLines(e.Text))
			l.asked = false // the edit is what is checked now
		}
	case e.Kind == chat.KindReact:
		if x.reactions == nil {
			x.reactions = map[string][]string{}
		}
		us := x.reactions[e.Text]
		if j := slices.Index(us, e.User); j >= 0 {
			us = slices.Delete(us, j, j+1)
		} else {
			us = append(us, e.User)
		}
		if len(us) == 0 {
			delete(x.reactions, e.Text)
		} else {
			x.reactions[e.Text] = us
		}
	default: // a thread reply
		if !e.ID.After(x.lastReply) {
			return -1
		}
		x.replies++
		x.lastReply = e.ID
		if len(x.participants) == 0 {
			x.participants = []string{c.user(l)}
		}
		if !slices.Contains(x.participants, e.User) {
			x.participants = append(x.participants, e.User)
		}
	}
	delete(c.lays, l.seq)
	return i
}
