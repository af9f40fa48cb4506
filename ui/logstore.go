package ui

import (
	"fmt"
	"time"

	"github.com/rtchat/rtchat/chat"
)

// lineKind says what a log line is, which decides its colours.
type lineKind int

const (
	lineMessage lineKind = iota
	lineSystem
	lineError
)

// sendState is the delivery state of one of our own messages.
type sendState int

const (
	stateStored  sendState = iota // in the stream
	stateSending                  // handed to the client, not confirmed
	stateWaiting                  // waiting for the connection to come back
	stateFailed                   // refused; see the text
)

// line is one entry of a channel's log: a message or a system line, with
// its text laid out once ("[15:04] alice: hello") and its rows wrapped
// lazily, per width, only when drawn.
type line struct {
	kind  lineKind
	id    string // stream id; "" for system and pending lines
	mid   string // client-made message id (our own sends)
	user  string
	own   bool
	when  time.Time
	state sendState
	// text is the whole line, sanitized; [0:timeEnd) is the time stamp and
	// [timeEnd:nameEnd) the author, which take their own colours.
	text             string
	timeEnd, nameEnd int
	// sep is the day separator drawn above the line ("" for none).
	sep string

	wrapWidth int
	rows      []int32 // start/end byte offsets of each wrapped row
}

// rowCount returns how many screen rows the line takes at width.
func (l *line) rowCount(width int) int {
	l.layout(width)
	n := len(l.rows) / 2
	if l.sep != "" {
		n++
	}
	return n
}

func (l *line) layout(width int) {
	if l.wrapWidth == width && l.rows != nil {
		return
	}
	l.rows = wrap(l.text, width)
	l.wrapWidth = width
}

// newMessageLine lays out a chat message.
func newMessageLine(m chat.Message, me string) *line {
	l := &line{kind: lineMessage, id: m.ID, mid: m.MsgID, user: m.User, own: m.User == me, when: m.Time}
	stamp := "[" + m.Time.Local().Format("15:04") + "] "
	user := sanitize(m.User)
	if user == "" {
		user = "?"
	}
	var name, body string
	switch {
	case m.Kind == chat.KindAction:
		name, body = "* "+user+" ", sanitize(m.Text)
	default:
		name, body = user+": ", sanitize(m.Text)
	}
	note := func(n string) {
		if body != "" {
			body += " "
		}
		body += n
	}
	if m.Malformed != "" {
		note("⟨odd entry: " + sanitize(m.Malformed) + "⟩")
	}
	if m.Ephemeral {
		note("⟨not stored⟩")
	}
	l.text = stamp + name + body
	l.timeEnd = len(stamp)
	l.nameEnd = len(stamp) + len(name)
	return l
}

// newSystemLine lays out one of rtchat's own lines.
func newSystemLine(kind lineKind, text string) *line {
	stamp := "[" + time.Now().Format("15:04") + "] "
	prefix := "-- "
	if kind == lineError {
		prefix = "!! "
	}
	return &line{kind: kind, text: stamp + prefix + sanitize(text), timeEnd: len(stamp), nameEnd: len(stamp)}
}

// channelLog is everything one channel's log shows, plus its scroll
// position. The App owns it; only the UI goroutine touches it.
type channelLog struct {
	name  string
	lines []*line
	// more is true while older history remains in the stream; loading
	// while a page of it is on its way.
	more, loading bool
	// historyLoaded is true once the first page arrived.
	historyLoaded bool
	// The view: follow keeps the newest row at the bottom; otherwise the
	// bottom row is row anchorRow of lines[anchor].
	follow            bool
	anchor, anchorRow int
	// newCount counts messages that arrived while scrolled up.
	newCount int
	// unread counts messages that arrived while another channel was shown.
	unread int
}

func newChannelLog(name string) *channelLog {
	return &channelLog{name: name, follow: true}
}

// lastID is the stream id of the newest stored message shown.
func (c *channelLog) lastID() string {
	for i := len(c.lines) - 1; i >= 0; i-- {
		if c.lines[i].id != "" {
			return c.lines[i].id
		}
	}
	return ""
}

// firstID is the stream id of the oldest message shown.
func (c *channelLog) firstID() string {
	for _, l := range c.lines {
		if l.id != "" {
			return l.id
		}
	}
	return ""
}

// append adds l at the end, with a day separator when the date changed.
func (c *channelLog) append(l *line) {
	if l.kind == lineMessage {
		if prev := c.lastDated(len(c.lines)); prev != nil && !sameDay(prev.when, l.when) {
			l.sep = daySeparator(l.when)
		}
		if !c.follow {
			c.newCount++
		}
	}
	c.lines = append(c.lines, l)
}

// addMessage shows m: it replaces our pending line for it if there is one,
// drops it if already shown, and otherwise appends it.
func (c *channelLog) addMessage(m chat.Message, me string) bool {
	if m.ID != "" && !chat.IDAfter(m.ID, c.lastID()) {
		return false
	}
	if m.MsgID != "" && m.User == me {
		for i := len(c.lines) - 1; i >= 0; i-- {
			if l := c.lines[i]; l.id == "" && l.mid == m.MsgID {
				c.remove(i)
				break
			}
		}
	}
	c.append(newMessageLine(m, me))
	return true
}

// remove deletes line i, keeping the view where it was.
func (c *channelLog) remove(i int) {
	c.lines = append(c.lines[:i], c.lines[i+1:]...)
	if !c.follow && c.anchor >= i && c.anchor > 0 {
		c.anchor--
	}
}

// prepend inserts an older page before everything shown, keeping the view.
func (c *channelLog) prepend(msgs []chat.Message, me string) {
	first := c.firstID()
	batch := make([]*line, 0, len(msgs))
	for _, m := range msgs {
		if first != "" && !chat.IDAfter(first, m.ID) {
			continue
		}
		l := newMessageLine(m, me)
		if n := len(batch); n > 0 && !sameDay(batch[n-1].when, l.when) {
			l.sep = daySeparator(l.when)
		}
		batch = append(batch, l)
	}
	if len(batch) == 0 {
		return
	}
	if len(c.lines) > 0 {
		if next := c.firstDated(); next != nil {
			next.sep = ""
			if !sameDay(batch[len(batch)-1].when, next.when) {
				next.sep = daySeparator(next.when)
			}
			next.wrapWidth = 0
		}
	}
	c.lines = append(batch, c.lines...)
	if !c.follow {
		c.anchor += len(batch)
	}
}

func (c *channelLog) lastDated(before int) *line {
	for i := before - 1; i >= 0; i-- {
		if c.lines[i].kind == lineMessage {
			return c.lines[i]
		}
	}
	return nil
}

func (c *channelLog) firstDated() *line {
	for _, l := range c.lines {
		if l.kind == lineMessage {
			return l
		}
	}
	return nil
}

// findPending returns our pending line for message id mid.
func (c *channelLog) findPending(mid string) *line {
	for i := len(c.lines) - 1; i >= 0; i-- {
		if l := c.lines[i]; l.id == "" && l.mid == mid {
			return l
		}
	}
	return nil
}

// pendingCount counts our messages not yet stored.
func (c *channelLog) pendingCount() int {
	n := 0
	for _, l := range c.lines {
		if l.mid != "" && l.id == "" && l.state != stateFailed {
			n++
		}
	}
	return n
}

func sameDay(a, b time.Time) bool {
	ay, am, ad := a.Local().Date()
	by, bm, bd := b.Local().Date()
	return ay == by && am == bm && ad == bd
}

func daySeparator(t time.Time) string {
	return fmt.Sprintf(" %s ", t.Local().Format("Monday, 2 January 2006"))
}
