package ui

import (
	"context"
	"fmt"

	"github.com/rtchat/rtchat/chat"
)

// searchPage is how many hits one page of search results adds.
const searchPage = 20

// searchView is a /search being shown: the hits so far and where the
// server-side scan goes on from. Only the UI goroutine touches it.
type searchView struct {
	channel, query string
	hits           []chat.Message
	cursor         chat.ID // where the next call scans from
	pageHits       int     // hits found for the page being filled
	scanned        int
	done, loading  bool
	err            error
	o              *overlay
}

// cmdSearch searches the current channel's history for arg, newest first,
// in the server, page by page: only the hits come to the client.
func cmdSearch(a *App, arg string) error {
	name := a.model.current
	if name == "" {
		return errNoChannel
	}
	s := &searchView{channel: name, query: arg}
	s.o = newOverlay(a.st, fmt.Sprintf("search %s for %q · Enter: show in context · Esc closes", chat.Display(name), arg))
	s.o.onEnd = func() { a.searcher.searchNextPage(s) }
	s.o.onPick = func(i int) {
		if i < len(s.hits) {
			a.searcher.showContext(s, s.hits[i])
		}
	}
	s.o.onClose = func() {
		a.searcher.search = nil
		a.closeOverlay()
	}
	a.searcher.search = s
	a.searcher.renderSearch(s)
	a.showOverlay(s.o)
	a.searcher.searchNextPage(s)
	return nil
}

// searchNextPage starts filling the next page of hits.
func (sr *searcher) searchNextPage(s *searchView) {
	if s.loading || s.done || s.err != nil {
		return
	}
	s.pageHits = 0
	sr.searchStep(s)
}

// searchStep makes one bounded call to the server and shows what it found;
// it goes on while the page has room and the stream has more.
func (sr *searcher) searchStep(s *searchView) {
	s.loading = true
	sr.renderSearch(s)
	cursor, want := s.cursor, searchPage-s.pageHits
	sr.a.background(func(ctx context.Context) func() {
		page, err := sr.a.be.Search(ctx, s.channel, s.query, cursor, want)
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
			s.hits = append(s.hits, page.Hits...)
			s.pageHits += len(page.Hits)
			s.scanned += page.Scanned
			s.cursor, s.done = page.Next, page.Done
			sr.renderSearch(s)
			if !s.done && s.pageHits < searchPage {
				sr.searchStep(s)
			}
		}
	})
}

// renderSearch shows the hits and the state of the scan.
func (sr *searcher) renderSearch(s *searchView) {
	rows := make([]overlayRow, 0, len(s.hits)+1)
	for _, m := range s.hits {
		rows = append(rows, overlayRow{text: sr.messageRow(m), style: sr.a.st.log.base, pick: true, indent: 18})
	}
	o := s.o
	o.setRows(rows)
	switch {
	case s.err != nil:
		o.footer = fmt.Sprintf("the search stopped: %v; press Esc and try /search again", s.err)
	case s.loading:
		o.footer = fmt.Sprintf("searching… %d found in %d messages", len(s.hits), s.scanned)
	case s.done && len(s.hits) == 0:
		o.footer = fmt.Sprintf("no message of %s contains %q", chat.Display(s.channel), s.query)
	case s.done:
		o.footer = fmt.Sprintf("%d found in %d messages · the whole channel was searched", len(s.hits), s.scanned)
	default:
		o.footer = fmt.Sprintf("%d found in %d messages · move past the last one for more", len(s.hits), s.scanned)
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
	if !m.Thread.IsZero() {
		text = "(in a thread) " + text
	}
	return fmt.Sprintf("%s  %s: %s", m.Time.Local().Format("2006-01-02 15:04"), m.User, text)
}

// showContext shows hit with the messages around it; Esc returns to the
// results.
func (sr *searcher) showContext(s *searchView, hit chat.Message) {
	title := fmt.Sprintf("%s around %s · Esc: back to the results", chat.Display(s.channel), hit.Time.Local().Format("2006-01-02 15:04"))
	sr.a.sel.showAround(s.channel, hit.ID, title, func() {
		if sr.search == s {
			sr.a.showOverlay(s.o)
		}
	})
}
