package ui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/rtchat/rtchat/chat"
)

// searchPage is how many hits one page of search results adds.
const searchPage = 20

// maxJumpPages is how many pages of history opening a hit loads, at
// most, to reach it in the log; an older hit is shown in its context.
const maxJumpPages = 25

// searchView is a /search being shown: the hits so far and where the
// server-side scan goes on from. Only the UI goroutine touches it.
type searchView struct {
	query         string
	q             chat.Query
	hits          []chat.Message
	cursor        chat.SearchCursor
	scanned       int
	local         int  // hits from the local archive
	offline       bool // Redis did not answer: the archive alone
	convs         int
	done, loading bool
	err           error
	o             *overlay
}

// cmdSearch searches every conversation the user may read (in: narrows
// it) for arg, newest first, on the server, page by page: only the hits
// come to the client.
func cmdSearch(a *App, arg string) error {
	q, err := chat.ParseQuery(arg, time.Now())
	if err != nil {
		return fmt.Errorf("%w; type /help for the filters", err)
	}
	where := "everywhere"
	if len(q.In) > 0 {
		var names []string
		for _, c := range q.In {
			names = append(names, chat.Display(c))
		}
		where = "in " + strings.Join(names, ", ")
	}
	s := &searchView{query: arg, q: q}
	s.o = newOverlay(a.st, fmt.Sprintf("search %s for %q · Enter: open it · Esc closes", where, arg))
	s.o.onEnd = func() { a.searcher.searchNextPage(s) }
	s.o.onPick = func(i int) {
		if i < len(s.hits) {
			a.searcher.open(s, s.hits[i])
		}
	}
	s.o.onClose = func() {
		a.searcher.search, a.searcher.back = nil, nil
		a.closeOverlay()
	}
	a.searcher.search = s
	a.searcher.renderSearch(s)
	a.showOverlay(s.o)
	a.searcher.searchNextPage(s)
	return nil
}

// searchNextPage fetches the next page of hits.
func (sr *searcher) searchNextPage(s *searchView) {
	if s.loading || s.done || s.err != nil {
		return
	}
	s.loading = true
	sr.renderSearch(s)
	cursor := s.cursor
	sr.a.background(func(ctx context.Context) func() {
		res, err := sr.a.be.SearchEverywhere(ctx, s.q, cursor, searchPage)
		return func() {
			s.loading = false
			if sr.search != s {
				return // closed meanwhile
			}
			if err != nil {
				s.err = err
				sr.renderSearch(s)
				return
			}
			s.hits = append(s.hits, res.Hits...)
			s.scanned += res.Scanned
			s.local += res.Local
			s.offline = s.offline || res.Offline
			s.convs = res.Conversations
			s.cursor, s.done = res.Next, res.Done
			sr.renderSearch(s)
		}
	})
}

// renderSearch shows the hits, the words they matched marked, and the
// state of the scan.
func (sr *searcher) renderSearch(s *searchView) {
	rows := make([]overlayRow, 0, len(s.hits)+1)
	for _, m := range s.hits {
		head := chat.Display(m.Channel) + "  "
		rows = append(rows, overlayRow{text: head + sr.messageRow(m), style: sr.a.st.log.base, pick: true, indent: 18,
			marks: s.q.Terms, from: len(oneLine(head + m.Time.Local().Format("2006-01-02 15:04") + "  " + shownAuthor(m.User, m.As) + ": "))})
	}
	o := s.o
	o.setRows(rows)
	in := fmt.Sprintf("%d messages of %d conversation%s", s.scanned, s.convs, plural(s.convs))
	switch {
	case s.offline:
		in = "your local archive (Redis does not answer)"
	case s.local > 0:
		in += " and the local archive"
	}
	switch {
	case s.err != nil:
		o.footer = fmt.Sprintf("the search stopped: %v; press Esc and try /search again", s.err)
	case s.loading:
		o.footer = fmt.Sprintf("searching… %d found in %s", len(s.hits), in)
	case s.done && len(s.hits) == 0:
		o.footer = fmt.Sprintf("nothing found for %q in %s", s.query, in)
	case s.done:
		o.footer = fmt.Sprintf("%d found in %s · all of them searched", len(s.hits), in)
	default:
		o.footer = fmt.Sprintf("%d found in %s · move past the last one for more", len(s.hits), in)
	}
}

// messageRow is a message on one row: date, time, author and text as it
// is now.
func (sr *searcher) messageRow(m chat.Message) string {
	text := m.Current()
	switch {
	case m.State != nil && m.State.Deleted != nil:
		text = "(message deleted)"
	case m.State != nil && m.State.Edit != nil:
		text += " (edited)"
	}
	if m.File != nil {
		text = strings.TrimSpace("📎 " + m.File.Name + " " + text)
	}
	if !m.Thread.IsZero() {
		text = "(in a thread) " + text
	}
	return fmt.Sprintf("%s  %s: %s", m.Time.Local().Format("2006-01-02 15:04"), shownAuthor(m.User, m.As), text)
}

// open opens hit's conversation with hit selected in its log (see
// openAt); Esc comes back to the results.
func (sr *searcher) open(s *searchView, hit chat.Message) {
	sr.openAt(s.o, hit)
}

// openAt opens msg's conversation with msg selected in its log, so that
// the keys of a selected message work on it; Esc there shows list (the
// overlay it was picked from) again. A message too far back for the log
// is shown in its context.
func (sr *searcher) openAt(list *overlay, msg chat.Message) {
	sr.a.closeOverlay()
	conv := msg.Channel
	sr.back, sr.backConv = list, conv
	if err := sr.a.join(conv, func() { sr.reach(list, conv, msg, 0) }); err != nil {
		sr.a.errorLine("%v", err)
	}
}

// reach selects msg in conv's log once it is there, loading older pages
// (loaded so far: pages) until it is.
func (sr *searcher) reach(list *overlay, conv string, msg chat.Message, pages int) {
	if sr.back != list || sr.a.model.current != conv {
		return // the person went elsewhere meanwhile
	}
	c := sr.a.model.channels[conv]
	if c == nil {
		return
	}
	l := c.log
	if i := l.indexOf(msg.ID); i >= 0 && l.lines[i].stored {
		sr.a.logv.selectLine(i)
		sr.a.refreshBars()
		return
	}
	switch {
	case l.historyLoaded && !l.more, pages >= maxJumpPages:
		sr.showContext(list, msg) // trimmed, or too far back
		return
	case l.historyLoaded && !l.loading:
		sr.a.loadOlder(l)
		pages++
	}
	sr.a.background(func(ctx context.Context) func() {
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(20 * time.Millisecond):
		}
		return func() { sr.reach(list, conv, msg, pages) }
	})
}

// backToResults shows the list a message was opened from again (Esc on
// it); it reports false when there is none.
func (sr *searcher) backToResults() bool {
	list := sr.back
	if list == nil {
		return false
	}
	sr.back = nil
	sr.a.showOverlay(list)
	return true
}

// showContext shows msg with the messages around it; Esc returns to the
// list.
func (sr *searcher) showContext(list *overlay, msg chat.Message) {
	title := fmt.Sprintf("%s around %s · too far back for the log · Esc: back to the list", chat.Display(msg.Channel), msg.Time.Local().Format("2006-01-02 15:04"))
	sr.a.sel.showAround(msg.Channel, msg.ID, title, func() {
		if sr.back == list {
			sr.back = nil
			sr.a.showOverlay(list)
		}
	})
}
