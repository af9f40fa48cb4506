package ui

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/rtchat/rtchat/chat"
)

// lineKind says what a log line is, which decides its colours.
type lineKind uint8

const (
	lineMessage lineKind = iota
	lineAction           // "/me": "* alice waves"
	lineSystem
	lineError
	lineNewSince // the "new since you were here" marker
)

// sendState is the delivery state of one of our own messages.
type sendState uint8

const (
	stateStored  sendState = iota // in the stream
	stateSending                  // handed to the client, not confirmed
	stateWaiting                  // waiting for the connection to come back
	stateFailed                   // refused; see the text
)

// line is one entry of a channel's log: a message or a system line. It is
// kept small — a log may hold a million of them — so it holds the text as
// received (not copied when it needs no escaping) and lays out the time
// stamp, the author and the wrapped rows only when it is drawn.
type line struct {
	text string // the body, sanitized
	user string // author (interned per log)
	// id is the stream id; for system and pending lines it has no
	// sequence (see entryID) and only says when the line was made.
	id    entryID
	lay   *layout
	kind  lineKind
	state sendState
	own   bool
	// mention is set when the message mentions the user.
	mention bool
	// sepBefore draws a day separator above the line.
	sepBefore bool
}

// entryID is a stream id in 16 bytes instead of a string: milliseconds,
// and the sequence plus one, so that a zero sequence means "no entry" (a
// system or pending line, whose ms is the time it was made).
type entryID struct{ ms, seq uint64 }

// parseEntryID parses "ms-seq"; it returns ok false for anything else.
func parseEntryID(s string) (entryID, bool) {
	msPart, seqPart, _ := strings.Cut(s, "-")
	ms, err1 := strconv.ParseUint(msPart, 10, 64)
	seq, err2 := strconv.ParseUint(seqPart, 10, 64)
	if err1 != nil || err2 != nil || seq == math.MaxUint64 {
		return entryID{}, false
	}
	return entryID{ms: ms, seq: seq + 1}, true
}

// stored reports whether the id names a stream entry.
func (e entryID) stored() bool { return e.seq != 0 }

func (e entryID) after(o entryID) bool { return e.ms > o.ms || (e.ms == o.ms && e.seq > o.seq) }

// String returns the stream id ("" when there is none).
func (e entryID) String() string {
	if !e.stored() {
		return ""
	}
	return strconv.FormatUint(e.ms, 10) + "-" + strconv.FormatUint(e.seq-1, 10)
}

// layout is a line laid out for one width: the full text with its time
// stamp and author, where those end, and the wrapped rows.
type layout struct {
	width            int
	full             string
	timeEnd, nameEnd int
	rows             []int32 // start/end byte offsets of each wrapped row
}

func (l *line) time() time.Time { return time.UnixMilli(int64(l.id.ms)) }

// layout returns the line laid out at width, computing it when needed.
func (l *line) layout(width int) *layout {
	if l.lay != nil && l.lay.width == width {
		return l.lay
	}
	stamp := "[" + l.time().Local().Format("15:04") + "] "
	var name string
	switch l.kind {
	case lineMessage:
		name = l.user + ": "
	case lineAction:
		name = "* " + l.user + " "
	case lineSystem:
		name = "-- "
	case lineError:
		name = "!! "
	}
	full := stamp + name + l.text
	l.lay = &layout{width: width, full: full, timeEnd: len(stamp), nameEnd: len(stamp) + len(name), rows: wrap(full, width)}
	return l.lay
}

// relayout forgets the layout after the text or state changed.
func (l *line) relayout() { l.lay = nil }

// rowCount returns how many screen rows the line takes at width.
func (l *line) rowCount(width int) int {
	if l.kind == lineNewSince {
		return 1
	}
	n := len(l.layout(width).rows) / 2
	if l.sepBefore {
		n++
	}
	return n
}

// newMessageLine makes the line of a chat message; names interns user names.
func newMessageLine(m chat.Message, me string, names map[string]string) *line {
	user := sanitize(m.User)
	if user == "" {
		user = "?"
	}
	if u, ok := names[user]; ok {
		user = u
	} else if names != nil {
		names[user] = user
	}
	own := m.User == me
	l := &line{kind: lineMessage, user: user, own: own, text: sanitize(m.Text), mention: !own && chat.Mentions(m.Text, me)}
	if id, ok := parseEntryID(m.ID); ok {
		l.id = id // its time is when Redis stored it
	} else {
		l.id.ms = uint64(max(m.Time.UnixMilli(), 0))
	}
	if m.Kind == chat.KindAction {
		l.kind = lineAction
	}
	if m.Malformed != "" {
		l.note("⟨odd entry: " + sanitize(m.Malformed) + "⟩")
	}
	if m.Ephemeral {
		l.note("⟨not stored⟩")
	}
	return l
}

// note appends a remark to the line's text.
func (l *line) note(n string) {
	if l.text != "" {
		l.text += " "
	}
	l.text += n
	l.relayout()
}

// newSystemLine makes one of rtchat's own lines.
func newSystemLine(kind lineKind, text string) *line {
	return &line{kind: kind, text: sanitize(text), id: entryID{ms: uint64(time.Now().UnixMilli())}}
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
	// readID is the user's read marker; unread and mentions count other
	// users' messages after it (unreadMore: more than counted).
	readID           entryID
	unread, mentions int
	unreadMore       bool
	// newSince is the "new since you were here" line, if shown.
	newSince *line
	// names interns user names, so a million lines hold a few strings.
	names map[string]string
	// pending holds our own lines not yet stored, by client-made id.
	pending map[string]*line
}

func newChannelLog(name string) *channelLog {
	return &channelLog{name: name, follow: true, names: map[string]string{}, pending: map[string]*line{}}
}

// addPending shows one of our messages that is on its way, under its
// client-made id mid.
func (c *channelLog) addPending(mid string, l *line) {
	l.state = stateSending
	c.pending[mid] = l
	c.append(l)
}

// lastID is the stream id of the newest stored message shown.
func (c *channelLog) lastID() entryID {
	for i := len(c.lines) - 1; i >= 0; i-- {
		if c.lines[i].id.stored() {
			return c.lines[i].id
		}
	}
	return entryID{}
}

// firstID is the stream id of the oldest message shown.
func (c *channelLog) firstID() entryID {
	for _, l := range c.lines {
		if l.id.stored() {
			return l.id
		}
	}
	return entryID{}
}

// append adds l at the end, with a day separator when the date changed.
func (c *channelLog) append(l *line) {
	if l.isMessage() {
		if prev := c.lastDated(len(c.lines)); prev != nil && !sameDay(prev.id.ms, l.id.ms) {
			l.sepBefore = true
		}
		if !c.follow {
			c.newCount++
		}
	}
	c.lines = append(c.lines, l)
}

// addMessage shows m: it replaces our pending line for it if there is one,
// drops it if already shown, and otherwise appends it. It returns the line
// added, or nil.
func (c *channelLog) addMessage(m chat.Message, me string) *line {
	if id, ok := parseEntryID(m.ID); ok && !id.after(c.lastID()) {
		return nil
	}
	if p := c.pending[m.MsgID]; p != nil && m.User == me {
		delete(c.pending, m.MsgID)
		for i := len(c.lines) - 1; i >= 0; i-- {
			if c.lines[i] == p {
				c.remove(i)
				break
			}
		}
	}
	l := newMessageLine(m, me, c.names)
	c.append(l)
	return l
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
		if id, ok := parseEntryID(m.ID); ok && first.stored() && !first.after(id) {
			continue
		}
		l := newMessageLine(m, me, c.names)
		if n := len(batch); n > 0 && !sameDay(batch[n-1].id.ms, l.id.ms) {
			l.sepBefore = true
		}
		batch = append(batch, l)
	}
	if len(batch) == 0 {
		return
	}
	if len(c.lines) > 0 {
		if next := c.firstDated(); next != nil {
			next.sepBefore = !sameDay(batch[len(batch)-1].id.ms, next.id.ms)
		}
	}
	c.lines = append(batch, c.lines...)
	if !c.follow {
		c.anchor += len(batch)
	}
}

func (c *channelLog) lastDated(before int) *line {
	for i := before - 1; i >= 0; i-- {
		if c.lines[i].isMessage() {
			return c.lines[i]
		}
	}
	return nil
}

func (c *channelLog) firstDated() *line {
	for _, l := range c.lines {
		if l.isMessage() {
			return l
		}
	}
	return nil
}

// markNewSince puts the "new since you were here" marker before the first
// message of another user after the read marker (at the top when that
// message is older than what is loaded), removing an earlier marker. It
// looks only at the newest lines, so a switch costs the same with a
// million lines loaded.
func (c *channelLog) markNewSince() {
	if c.newSince != nil {
		for i := len(c.lines) - 1; i >= 0; i-- {
			if c.lines[i] == c.newSince {
				c.remove(i)
				break
			}
		}
		c.newSince = nil
	}
	if c.unread == 0 {
		return
	}
	at := -1
	for i := len(c.lines) - 1; i >= 0; i-- {
		l := c.lines[i]
		if l.id.stored() && !l.id.after(c.readID) {
			break
		}
		if l.isMessage() && !l.own && l.id.stored() {
			at = i
		}
	}
	if at < 0 {
		return
	}
	c.newSince = &line{kind: lineNewSince, id: entryID{ms: c.lines[at].id.ms}}
	c.lines = append(c.lines[:at], append([]*line{c.newSince}, c.lines[at:]...)...)
	if !c.follow && c.anchor >= at {
		c.anchor++
	}
}

// countUnread recounts unread messages and mentions after the read marker
// from the lines loaded (the newest ones only); it reports false, changing
// nothing, when the marker is older than the loaded lines and older
// history remains.
func (c *channelLog) countUnread() bool {
	if c.more && c.firstID().after(c.readID) {
		return false
	}
	c.unread, c.mentions, c.unreadMore = 0, 0, false
	for i := len(c.lines) - 1; i >= 0; i-- {
		l := c.lines[i]
		if l.id.stored() && !l.id.after(c.readID) {
			break
		}
		if l.isMessage() && !l.own && l.id.stored() {
			c.unread++
			if l.mention {
				c.mentions++
			}
		}
	}
	return true
}

// isMessage reports whether the line is a chat message (not rtchat's own).
func (l *line) isMessage() bool { return l.kind == lineMessage || l.kind == lineAction }

// findPending returns our pending line for message id mid.
func (c *channelLog) findPending(mid string) *line { return c.pending[mid] }

// stored marks our pending line mid as stored with stream id (for when
// its live copy will not come: we left the channel).
func (c *channelLog) stored(mid, id string) {
	if p := c.pending[mid]; p != nil {
		p.state = stateStored
		if sid, ok := parseEntryID(id); ok {
			p.id = sid
		}
		delete(c.pending, mid)
	}
}

// pendingCount counts our messages not yet stored (failed ones are not
// waiting for anything).
func (c *channelLog) pendingCount() int {
	n := 0
	for _, p := range c.pending {
		if p.state != stateFailed {
			n++
		}
	}
	return n
}

func sameDay(a, b uint64) bool {
	ay, am, ad := time.UnixMilli(int64(a)).Local().Date()
	by, bm, bd := time.UnixMilli(int64(b)).Local().Date()
	return ay == by && am == bm && ad == bd
}

func daySeparator(t time.Time) string {
	return fmt.Sprintf(" %s ", t.Local().Format("Monday, 2 January 2006"))
}
