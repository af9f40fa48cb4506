package ui

import (
	"fmt"
	"slices"
	"strings"

	"github.com/rivo/uniseg"
	"github.com/rtchat/rtchat/chat"
	"github.com/rtchat/rtchat/internal/bidi"
)

// layout is a line laid out for one width: the full text (time stamp,
// mark, author, body), its styled runs, the wrapped rows of it, and the
// rows drawn above it (a reply's quote) and below it (reactions, a thread's
// summary).
type layout struct {
	full  string
	runs  []run   // styled stretches of full, in order, covering it
	rows  []int32 // start/end byte offsets of each wrapped row of full
	above []extraRow
	below []extraRow
	// indent is how far every row but the first of the text is indented.
	indent int
	// head is where the text begins in full (after time and name);
	// rightToLeft is set when the text holds what a terminal without bidi
	// draws wrongly, dir then its paragraph direction (see drawVisual).
	head        int
	rightToLeft bool
	dir         bidi.Direction
}

// run is a stretch of full, up to end, drawn as kind (url for links).
type run struct {
	end  int
	kind runKind
	url  string
}

// extraRow is one row drawn under or over a line's text: segments, each
// in its own kind.
type extraRow []segment

type segment struct {
	text string
	kind runKind
	// thumb, when set, makes the segment row thumbRow of a picture.
	thumb    *thumbnail
	thumbRow int
}

// defaultTimeFormat is how the log shows times unless the configuration
// says otherwise.
const defaultTimeFormat = "15:04"

// The name column (weechat's prefix_align): in a log at least
// alignFrom cells wide, authors' names are right-aligned in a column as
// wide as the longest name seen (at most maxNameColumn cells, and a
// quarter of the width), a longer name cut with "…", so that every
// message's text starts in the same column and its continuation rows
// start under it. Narrower, a line is "name: text" with rows indented by
// contIndent.
const (
	alignFrom     = 40
	maxNameColumn = 12
	// maxHookColumn is the widest the name column grows for a hook's
	// name ("BOT alertmanager").
	maxHookColumn = 24
)

// nameColumn is the name column's width at width (0: none).
func (c *channelLog) nameColumn(width int) int {
	if width < alignFrom {
		return 0
	}
	return min(c.longest, maxHookColumn, width/4)
}

// count is how many screen rows the layout takes.
func (l *layout) count() int { return len(l.above) + len(l.rows)/2 + len(l.below) }

// layout returns l laid out at width, computing it when needed.
func (c *channelLog) layout(l *line, width int) *layout {
	if width != c.laysWidth || len(c.lays) > maxLayouts {
		c.lays, c.laysWidth = map[uint32]*layout{}, width
	}
	if lay := c.lays[l.seq]; lay != nil {
		return lay
	}
	c.check(l)
	format := c.timeFormat
	if format == "" {
		format = defaultTimeFormat
	}
	stamp := "[" + l.time().Local().Format(format) + "] "
	var mark, name string
	if l.isMessage() && l.verdict == chat.Unverified {
		mark = unverifiedMark
	}
	author := c.shown(l)
	switch l.kind {
	case lineMessage:
		name = author + ": "
	case lineAction:
		name = "* " + author + " "
	case lineSystem:
		name = "-- "
	case lineError:
		name = "!! "
	}
	pad, indent := "", contIndent(width)
	if col := c.nameColumn(width); col > 0 && l.isMessage() {
		who, sep := fitAuthor(c.user(l), c.as[l.who], col), ": "
		if l.kind == lineAction {
			who, sep = ellipsisEnd("* "+fitAuthor(c.user(l), c.as[l.who], col-2), col), " "
		}
		// The column holds the mark's place too, so that a marked line's
		// text starts where the others' do.
		pad = strings.Repeat(" ", max(col+textWidth(unverifiedMark)-textWidth(mark)-textWidth(who), 0))
		name = who + sep
		if in := textWidth(stamp) + textWidth(unverifiedMark) + col + len(sep); in < width-10 {
			indent = in
		}
	}
	head := stamp + pad + mark + name
	runs := []run{{end: len(stamp), kind: runTime}, {end: len(stamp) + len(pad) + len(mark), kind: runMark}, {end: len(head), kind: runName}}
	body, spans := l.text, []span(nil)
	x := c.extra(l)
	switch {
	case x != nil && x.deleted():
		body, spans = "message deleted", []span{{start: 0, end: len("message deleted"), kind: runMeta}}
	case x != nil && x.file != nil && l.text == "":
		// A file without a caption: its line is the message's.
		body = sanitize(x.file.Line())
		if x.thumbNote != "" {
			body += " · " + x.thumbNote
		}
		spans = []span{{start: 0, end: len(body), kind: runQuote}}
	case l.isMessage():
		body, spans = markup(l.text)
	}
	at := 0
	for _, sp := range spans {
		if sp.start > at {
			runs = append(runs, run{end: len(head) + sp.start, kind: runBody})
		}
		runs = append(runs, run{end: len(head) + sp.end, kind: sp.kind, url: sp.url})
		at = sp.end
	}
	full := head + body
	if x != nil && x.edited() {
		runs = append(runs, run{end: len(full), kind: runBody})
		full += " (edited)"
		runs = append(runs, run{end: len(full), kind: runMeta})
	} else {
		runs = append(runs, run{end: len(full), kind: runBody})
	}
	lay := &layout{full: full, runs: runs, rows: wrapIndent(full, max(width, 2), indent, len(head)), indent: indent, head: len(head)}
	if bidi.NeedsLayout(full[len(head):]) {
		lay.rightToLeft, lay.dir = true, bidi.DirectionOf(full[len(head):])
	}
	if x != nil {
		lay.above, lay.below = x.rows(c.me, format, width, indent, l.text == "")
	}
	c.lays[l.seq] = lay
	return lay
}

// rows are the rows x adds above and below its line at width: the quote
// of the message it answers; its reactions; its thread's summary.
func (x *lineExtra) rows(me, format string, width, indent int, fileInText bool) (above, below []extraRow) {
	inner := max(width-indent, 1)
	if x.quote != "" && !x.deleted() {
		above = append(above, extraRow{{text: ellipsisEnd("↪ "+x.quote, inner), kind: runQuote}})
	}
	if x.file != nil && !x.deleted() {
		if !fileInText {
			line := sanitize(x.file.Line())
			if x.thumbNote != "" {
				line += " · " + x.thumbNote
			}
			below = append(below, extraRow{{text: ellipsisEnd(line, inner), kind: runQuote}})
		}
		if t := x.thumb; t != nil {
			for r := range t.rows() {
				below = append(below, extraRow{{thumb: t, thumbRow: r, kind: runBody}})
			}
		}
	}
	if counts := x.state.Counts(); len(counts) > 0 {
		var r extraRow
		for i, rc := range counts {
			if i > 0 {
				r = append(r, segment{text: "  ", kind: runBody})
			}
			kind := runReaction
			if slices.Contains(rc.Users, me) {
				kind = runReactionOwn
			}
			r = append(r, segment{text: fmt.Sprintf("%s %d", sanitize(rc.Emoji), len(rc.Users)), kind: kind})
		}
		below = append(below, clipRow(r, inner))
	}
	if n := x.state.Replies; n > 0 {
		s := fmt.Sprintf("%d repl%s · last %s", n, map[bool]string{true: "y", false: "ies"}[n == 1],
			x.state.LastReply.Time().Local().Format(format))
		if x.unread > 0 {
			s += fmt.Sprintf(" · %d new", x.unread)
		}
		below = append(below, extraRow{{text: ellipsisEnd(s, inner), kind: runMeta}})
	}
	return above, below
}

// clipRow cuts a row of segments to width cells.
func clipRow(r extraRow, width int) extraRow {
	used := 0
	for i, s := range r {
		w := textWidth(s.text)
		if used+w > width {
			r[i].text = ellipsisEnd(s.text, width-used)
			return r[:i+1]
		}
		used += w
	}
	return r
}

// ellipsisEnd cuts s to width cells, ending it with "…" when cut.
func ellipsisEnd(s string, width int) string {
	if textWidth(s) <= width {
		return s
	}
	if width <= 0 {
		return ""
	}
	used, end, state := 0, 0, -1
	for rest := s; rest != ""; {
		var w int
		_, rest, w, state = uniseg.FirstGraphemeClusterInString(rest, state)
		if used+w > width-1 {
			break
		}
		used, end = used+w, len(s)-len(rest)
	}
	return s[:end] + "…"
}

// fitAuthor is shownAuthor cut to col cells. For a message a hook gave
// a name of its own, the hook's name stays whole where it can and the
// given name is cut first ("BOT 🚨 Prom… (via hook alertmanager)", then
// "BOT 🚨 Prom… (alertmanager)"); where not even that fits, the hook's
// own name is shown and the given one left out, so that a cut name
// always says which hook spoke.
func fitAuthor(user, as string, col int) string {
	whole := shownAuthor(user, as)
	if textWidth(whole) <= col {
		return whole
	}
	if name, hook := chat.HookName(user); hook && as != "" && as != name {
		for _, tail := range []string{" (via hook " + name + ")", " (" + name + ")"} {
			if room := col - textWidth("BOT ") - textWidth(tail); room >= 2 {
				return "BOT " + ellipsisEnd(as, room) + tail
			}
		}
		whole = shownAuthor(user, "")
	}
	return ellipsisEnd(whole, col)
}

// shownAuthor is how the log names an author: a bot account as "BOT
// <name>", a hook as "BOT <name> (via hook)", or "BOT <as> (via hook
// <name>)" for a message the hook gave a name of its own (as tail prints
// them), which no person's name can read as (names have no spaces).
func shownAuthor(user, as string) string {
	if _, bot := chat.IntegrationName(user); bot {
		return "BOT " + chat.ShownName(user, as)
	}
	return user
}
