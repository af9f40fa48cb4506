package ui

import (
	"fmt"
	"slices"
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

// line is one entry of a channel's log: a message or a system line. Lines
// are stored by value, one slice per channel, and kept small — a log may
// hold many thousands — so a line holds the text as received (not copied
// when it needs no escaping), its author as an index into the log's names,
// and no layout: the time stamp, the author and the wrapped rows are laid
// out only for lines that are drawn, and kept by the log (see layout).
type line struct {
	text string // the body, sanitized
	// id is the stream id of a stored message. For other lines (stored
	// false) id.MS is when the line was made and id.Seq numbers our
	// pending messages (0 for system lines).
	id chat.ID
	// who is the author's index in the log's names (0: none).
	who uint32
	// seq numbers the line in its log: its layout's key.
	seq   uint32
	kind  lineKind
	state sendState
	// stored is true when id names a stream entry.
	stored bool
	own    bool
	// mention is set when the message mentions the user.
	mention bool
	// sepBefore draws a day separator above the line.
	sepBefore bool
	// verdict says whether a stored message is its author's; asked is set
	// once the log asked (see channelLog.check).
	verdict chat.Verdict
	asked   bool
}

func (l *line) time() time.Time { return time.UnixMilli(int64(min(l.id.MS, 1<<62))) }

// isMessage reports whether the line is a chat message (not rtchat's own).
func (l *line) isMessage() bool { return l.kind == lineMessage || l.kind == lineAction }

// countable reports whether the line is another user's stored message,
// the kind that counts as unread.
func (l *line) countable() bool { return l.isMessage() && !l.own && l.stored }

// note appends a remark to the line's text (the log forgets its layout:
// see channelLog.renote).
func (l *line) note(n string) {
	if l.text != "" {
		l.text += " "
	}
	l.text += n
}

// newSystemLine makes one of rtchat's own lines.
func newSystemLine(kind lineKind, text string) line {
	return line{kind: kind, text: sanitize(text), id: chat.ID{MS: uint64(time.Now().UnixMilli())}}
}

// channelLog is everything one channel's log shows, plus its scroll
// position and the counts of what is unread. Only the UI goroutine
// touches it.
type channelLog struct {
	name  string
	lines []line
	// more is true while older history remains in the stream; loading
	// while a page of it is on its way.
	more, loading bool
	// trimmed is true when, with no older history left, retention
	// removed older messages: the log's top says so, not "beginning".
	trimmed bool
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
	readID           chat.ID
	unread, mentions int
	unreadMore       bool
	// newSince is true while the "new since you were here" line is shown.
	newSince bool
	// names are the authors of the lines (names[0] is ""), as the name
	// a hook gave a message beside them (chat.Message.As; mostly ""),
	// index their numbers by name and as, so that a line holds a number,
	// not a string.
	names, as []string
	index     map[[2]string]uint32
	// longest is the widest of names, for the name column (layout.go).
	longest int
	// lays are the layouts of the lines drawn lately, by line seq, at
	// laysWidth; seq numbers the next line.
	lays      map[uint32]*layout
	laysWidth int
	seq       uint32
	// pending maps our messages not yet stored, by client-made id, to the
	// number their line carries in id.Seq.
	pending   map[string]uint64
	pendingNo uint64
	// maxLines is how many lines the log keeps (0: no limit); older ones
	// are dropped and load again from the stream on scroll-up.
	maxLines int
	// verify asks whether a stored message is its author's (Backend.Verify;
	// nil: nobody checks).
	verify func(channel string, id chat.ID) chat.Verdict
	// me is the user; extras what message lines show besides their text
	// (see lineExtra), by stream id.
	me     string
	extras map[chat.ID]*lineExtra
	// mentions reports whether text calls on the user (their name or a
	// highlight word; nil: their name); timeFormat lays out times.
	callsMe    func(text string) bool
	timeFormat string
}

func newChannelLog(name string) *channelLog {
	return &channelLog{name: name, follow: true, names: []string{""}, as: []string{""}, index: map[[2]string]uint32{{}: 0},
		pending: map[string]uint64{}, lays: map[uint32]*layout{}}
}

// maxLayouts is how many layouts a log keeps before it starts over: a few
// screens' worth, whatever the history.
const maxLayouts = 1024

// newLine makes the line of a chat message m.
func (c *channelLog) newLine(m chat.Message, me string) line {
	own := m.User == me
	l := line{kind: lineMessage, who: c.intern(sanitize(m.User), sanitize(m.As)), own: own, text: sanitize(chat.TidyBlankLines(m.Text)),
		mention: !own && c.isMention(m.Text, me)}
	if !m.ID.IsZero() {
		l.id, l.stored = m.ID, true // its time is when Redis stored it
	} else {
		l.id.MS = uint64(max(m.Time.UnixMilli(), 0))
	}
	if m.Kind == chat.KindAction {
		l.kind = lineAction
	}
	if m.Malformed != "" {
		l.note("⟨odd entry: " + sanitize(m.Malformed) + "⟩")
	}
	if m.Ephemeral {
		l.note("⟨not stored⟩")
		l.verdict, l.asked = chat.Unverified, true // nothing signs it
	}
	c.structure(&l, m)
	return l
}

// isMention reports whether text calls on me.
func (c *channelLog) isMention(text, me string) bool {
	if c.callsMe != nil {
		return c.callsMe(text)
	}
	return chat.Mentions(text, me)
}

// intern returns the number of author name ("?" for none) with the name
// as a hook gave the message.
func (c *channelLog) intern(name, as string) uint32 {
	if name == "" {
		name = "?"
	}
	if n, ok := c.index[[2]string{name, as}]; ok {
		return n
	}
	n := uint32(len(c.names))
	c.names, c.as = append(c.names, name), append(c.as, as)
	c.index[[2]string{name, as}] = n
	// A hook's or bot's name is shown whole ("BOT alertmanager": it must never
	// read as a person's), so it may widen the column further.
	w, limit := textWidth(name), maxNameColumn
	if _, bot := chat.IntegrationName(name); bot {
		w, limit = textWidth(shownAuthor(name, as)), maxHookColumn
	}
	if w = min(w, limit); w > c.longest {
		c.longest = w
		clear(c.lays) // the name column widens: every line moves
	}
	return n
}

// user returns the author of l.
func (c *channelLog) user(l *line) string { return c.names[l.who] }

// shown returns the author of l as the log shows it (shownAuthor).
func (c *channelLog) shown(l *line) string { return shownAuthor(c.names[l.who], c.as[l.who]) }

// number gives l its seq, the key of its layout.
func (c *channelLog) number(l *line) {
	c.seq++
	l.seq = c.seq
}

// unverifiedMark goes before the author of a message that is not known
// to be theirs.
const unverifiedMark = "⚠ "

// check asks, once, whether stored message l is its author's: only lines
// that are laid out (drawn) are checked.
func (c *channelLog) check(l *line) {
	if l.asked || !l.stored || !l.isMessage() || c.verify == nil {
		return
	}
	id := l.id
	if x := c.extra(l); x != nil && x.edited() {
		id = x.state.Edit.ID // what is shown is the edit's text
	}
	l.verdict, l.asked = c.verify(c.name, id), true
}

// verified applies a verdict that was pending on message id (a line, or
// the edit a line shows).
func (c *channelLog) verified(id chat.ID, v chat.Verdict) bool {
	i := c.indexOf(id)
	for k, x := range c.extras {
		if x.state.Edit != nil && x.state.Edit.ID == id {
			i = c.indexOf(k)
		}
	}
	if i < 0 || c.lines[i].verdict == v {
		return false
	}
	c.lines[i].verdict = v
	delete(c.lays, c.lines[i].seq)
	return true
}

// retract removes the stored messages ids, shown but not real (see
// chat.RetractedEvent); it returns how many it removed.
func (c *channelLog) retract(ids []chat.ID) int {
	n := 0
	for _, id := range ids {
		if i := c.indexOf(id); i >= 0 {
			delete(c.lays, c.lines[i].seq)
			c.remove(i)
			n++
		}
	}
	return n
}

// retractThrough removes every stored message line up to id (not pending
// ones, which have no id yet); it returns how many it removed.
func (c *channelLog) retractThrough(id chat.ID) int {
	if id.IsZero() {
		return 0
	}
	n := 0
	for i := len(c.lines) - 1; i >= 0; i-- {
		l := &c.lines[i]
		if l.stored && !l.id.After(id) {
			delete(c.lays, l.seq)
			c.remove(i)
			n++
		}
	}
	return n
}

// renote adds remark n to line i and forgets its layout.
func (c *channelLog) renote(i int, n string) {
	c.lines[i].note(n)
	delete(c.lays, c.lines[i].seq)
}

// rowCount returns how many screen rows line i takes at width.
func (c *channelLog) rowCount(i, width int) int {
	l := &c.lines[i]
	if l.kind == lineNewSince {
		return 1
	}
	n := c.layout(l, width).count()
	if l.sepBefore {
		n++
	}
	return n
}

// addPending shows one of our messages that is on its way, under its
// client-made id mid.
func (c *channelLog) addPending(mid string, l line) {
	c.pendingNo++
	l.state, l.stored, l.id.Seq = stateSending, false, c.pendingNo
	c.pending[mid] = c.pendingNo
	c.append(l)
}

// findPending returns the index of our pending line mid, or -1.
func (c *channelLog) findPending(mid string) int {
	no, ok := c.pending[mid]
	if !ok {
		return -1
	}
	return c.lastIndex(func(l *line) bool { return !l.stored && l.id.Seq == no })
}

// lastIndex returns the index of the newest line for which match holds,
// or -1: the one reverse scan of the log.
func (c *channelLog) lastIndex(match func(*line) bool) int {
	for i := len(c.lines) - 1; i >= 0; i-- {
		if match(&c.lines[i]) {
			return i
		}
	}
	return -1
}

// indexOf returns the index of the stored line with stream id id, or -1.
// Stored lines are in stream order; the others (rtchat's own, our pending
// messages) lie between them, and the search steps over those.
func (c *channelLog) indexOf(id chat.ID) int {
	lo, hi := 0, len(c.lines)
	for lo < hi {
		mid := lo + (hi-lo)/2
		j := mid
		for j < hi && !c.lines[j].stored {
			j++
		}
		switch {
		case j == hi:
			hi = mid
		case c.lines[j].id == id:
			return j
		case c.lines[j].id.After(id):
			hi = mid
		default:
			lo = j + 1
		}
	}
	return -1
}

// lastID is the stream id of the newest stored message shown.
func (c *channelLog) lastID() chat.ID {
	if i := c.lastIndex(func(l *line) bool { return l.stored }); i >= 0 {
		return c.lines[i].id
	}
	return chat.ID{}
}

// firstID is the stream id of the oldest message shown.
func (c *channelLog) firstID() chat.ID {
	for i := range c.lines {
		if c.lines[i].stored {
			return c.lines[i].id
		}
	}
	return chat.ID{}
}

// append adds l at the end, with a day separator when the date changed.
func (c *channelLog) append(l line) {
	c.number(&l)
	if l.isMessage() {
		if prev := c.lastIndex((*line).isMessage); prev >= 0 && !sameDay(c.lines[prev].id.MS, l.id.MS) {
			l.sepBefore = true
		}
		if !c.follow {
			c.newCount++
		}
	}
	c.lines = append(c.lines, l)
	c.trim()
}

// addMessage shows m: it replaces our pending line for it if there is one,
// drops it if already shown, and otherwise adds it in stream order. It
// returns the line added, or nil.
func (c *channelLog) addMessage(m chat.Message, me string) *line {
	if !m.ID.IsZero() && !m.ID.After(c.lastID()) {
		// Older than the newest shown: a repeat, or a real entry that
		// came after a forged live one (see chat's chain.go).
		return c.insert(m, me)
	}
	if no, ok := c.pending[m.MsgID]; ok && m.User == me {
		delete(c.pending, m.MsgID)
		if i := c.lastIndex(func(l *line) bool { return !l.stored && l.id.Seq == no }); i >= 0 {
			c.remove(i)
		}
	}
	c.append(c.newLine(m, me))
	return &c.lines[len(c.lines)-1]
}

// insert puts m where its id belongs among the newest lines, unless a line
// with that id is shown; it returns the line, or nil.
func (c *channelLog) insert(m chat.Message, me string) *line {
	if !m.ID.After(c.firstID()) {
		return nil // older than what is loaded: history pages bring it
	}
	at := len(c.lines)
	for i := len(c.lines) - 1; i >= 0; i-- {
		l := &c.lines[i]
		if !l.stored {
			continue
		}
		if l.id == m.ID {
			return nil
		}
		if !l.id.After(m.ID) {
			break
		}
		at = i
	}
	l := c.newLine(m, me)
	c.number(&l)
	c.lines = slices.Insert(c.lines, at, l)
	if !c.follow && c.anchor >= at {
		c.anchor++
	}
	return &c.lines[at]
}

// remove deletes line i, keeping the view where it was.
func (c *channelLog) remove(i int) {
	c.lines = slices.Delete(c.lines, i, i+1)
	if !c.follow && c.anchor >= i && c.anchor > 0 {
		c.anchor--
	}
}

// trim drops the oldest lines when the log holds more than maxLines (with
// a quarter more as slack, so trimming is rare): what goes loads again
// from the stream on scroll-up. While the view is scrolled up its lines
// stay, until a flood has brought four times maxLines below them; then
// the view returns to live, so that memory stays bounded.
func (c *channelLog) trim() {
	if c.maxLines <= 0 || len(c.lines) <= c.maxLines+c.maxLines/4 {
		return
	}
	if !c.follow && len(c.lines) > 4*c.maxLines {
		c.follow, c.newCount = true, 0
	}
	drop := len(c.lines) - c.maxLines
	if !c.follow {
		drop = min(drop, c.anchor-c.maxLines/4)
	}
	if drop <= 0 {
		return
	}
	c.lines = slices.Delete(c.lines, 0, drop)
	if !c.follow {
		c.anchor -= drop
	}
	if i := slices.IndexFunc(c.lines, func(l line) bool { return l.isMessage() }); i >= 0 {
		c.lines[i].sepBefore = false
	}
	c.more = true
}

// prepend inserts an older page before everything shown, keeping the view.
func (c *channelLog) prepend(msgs []chat.Message, me string) {
	first := c.firstID()
	batch := make([]line, 0, len(msgs)+len(c.lines))
	for _, m := range msgs {
		if !first.IsZero() && !m.ID.IsZero() && !first.After(m.ID) {
			continue
		}
		l := c.newLine(m, me)
		c.number(&l)
		if n := len(batch); n > 0 && !sameDay(batch[n-1].id.MS, l.id.MS) {
			l.sepBefore = true
		}
		batch = append(batch, l)
	}
	if len(batch) == 0 {
		return
	}
	added := len(batch)
	if next := slices.IndexFunc(c.lines, func(l line) bool { return l.isMessage() }); next >= 0 {
		c.lines[next].sepBefore = !sameDay(batch[added-1].id.MS, c.lines[next].id.MS)
	}
	c.lines = append(batch, c.lines...)
	if !c.follow {
		c.anchor += added
	}
	c.quoteReplies(added)
}

// quoteReplies gives the replies among the first n lines the quote of the
// message they answer, when that is in the log now (a page's replies to
// messages of the same page: the page names a quote only for a message
// outside it).
func (c *channelLog) quoteReplies(n int) {
	for i := range n {
		x := c.extra(&c.lines[i])
		if x == nil || x.replyTo.IsZero() || x.quote != "" {
			continue
		}
		if j := c.indexOf(x.replyTo); j >= 0 {
			x.quote = quoteOf(c.user(&c.lines[j]), c.lines[j].text)
			delete(c.lays, c.lines[i].seq)
		}
	}
}

// markNewSince puts the "new since you were here" marker before the first
// message of another user after the read marker (at the top when that
// message is older than what is loaded), removing an earlier marker. It
// looks only at the newest lines, so a switch costs the same with many
// lines loaded.
func (c *channelLog) markNewSince() {
	if c.newSince {
		if i := c.lastIndex(func(l *line) bool { return l.kind == lineNewSince }); i >= 0 {
			c.remove(i)
		}
		c.newSince = false
	}
	if c.unread == 0 {
		return
	}
	at := -1
	c.unreadLines(func(i int) { at = i })
	if at < 0 {
		return
	}
	marker := line{kind: lineNewSince, id: chat.ID{MS: c.lines[at].id.MS}}
	c.number(&marker)
	c.lines = slices.Insert(c.lines, at, marker)
	c.newSince = true
	if !c.follow && c.anchor >= at {
		c.anchor++
	}
}

// unreadLines calls f with the index of every unread line (another user's
// stored message after the read marker), newest first, looking at the
// newest lines only.
func (c *channelLog) unreadLines(f func(i int)) {
	for i := len(c.lines) - 1; i >= 0; i-- {
		l := &c.lines[i]
		if l.stored && !l.id.After(c.readID) {
			return
		}
		if l.countable() {
			f(i)
		}
	}
}

// countUnread recounts unread messages and mentions after the read marker
// from the lines loaded (the newest ones only); it reports false, changing
// nothing, when the marker is older than the loaded lines and older
// history remains.
func (c *channelLog) countUnread() bool {
	if c.more && c.firstID().After(c.readID) {
		return false
	}
	c.unread, c.mentions, c.unreadMore = 0, 0, false
	c.unreadLines(func(i int) {
		c.unread++
		if c.lines[i].mention {
			c.mentions++
		}
	})
	return true
}

// read moves the read marker to id and recounts what is unread (see
// countUnread); with nothing newer loaded, nothing is unread.
func (c *channelLog) read(id chat.ID) {
	if !id.After(c.readID) {
		return
	}
	c.readID = id
	if !c.countUnread() && !c.lastID().After(id) {
		c.unread, c.mentions, c.unreadMore = 0, 0, false
	}
}

// stored marks our pending line mid as stored with stream id (for when
// its live copy will not come: we left the channel).
func (c *channelLog) stored(mid string, id chat.ID) {
	if i := c.findPending(mid); i >= 0 {
		l := &c.lines[i]
		l.state, l.stored, l.id = stateStored, true, id
		delete(c.lays, l.seq)
	}
	delete(c.pending, mid)
}

// failed marks our pending line mid as refused, saying why; it no longer
// waits for anything.
func (c *channelLog) failed(mid, why string) {
	if i := c.findPending(mid); i >= 0 {
		c.lines[i].state = stateFailed
		c.renote(i, "⟨not sent: "+sanitize(why)+"⟩")
	}
	delete(c.pending, mid)
}

// waiting marks our pending line mid as waiting for the connection.
func (c *channelLog) waiting(mid string) {
	if i := c.findPending(mid); i >= 0 && c.lines[i].state == stateSending {
		c.lines[i].state = stateWaiting
		c.renote(i, "⟨waiting for the connection⟩")
	}
}

// pendingCount counts our messages on their way.
func (c *channelLog) pendingCount() int { return len(c.pending) }

func sameDay(a, b uint64) bool {
	ay, am, ad := time.UnixMilli(int64(min(a, 1<<62))).Local().Date()
	by, bm, bd := time.UnixMilli(int64(min(b, 1<<62))).Local().Date()
	return ay == by && am == bm && ad == bd
}

func daySeparator(t time.Time) string {
	return fmt.Sprintf(" %s ", t.Local().Format("Monday, 2 January 2006"))
}
