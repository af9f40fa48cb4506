package ui

import (
	"fmt"
	"sort"
	"strings"

	"github.com/rtchat/rtchat/chat"
)

// fuzzyScore matches query against name as a subsequence, ignoring case.
// Lower scores are better: a prefix beats a substring, which beats
// scattered letters (fewer gaps first). ok is false when it does not match.
func fuzzyScore(name, query string) (score int, ok bool) {
	n, q := strings.ToLower(name), strings.ToLower(query)
	switch i := strings.Index(n, q); {
	case q == "":
		return 0, true
	case i == 0:
		return 0, true
	case i > 0:
		return 100 + i, true
	}
	gaps, last := 0, -1
	pos := 0
	for _, r := range q {
		j := strings.IndexRune(n[pos:], r)
		if j < 0 {
			return 0, false
		}
		if last >= 0 && pos+j != last+1 {
			gaps++
		}
		last = pos + j
		pos += j + len(string(r))
	}
	return 1000 + 10*gaps + len(n), true
}

// switcherMatches returns the conversations matching query, best first —
// the list's, and a direct conversation with everyone else the window
// knows of; among equals, joined ones and then those with unread
// messages lead.
func switcherMatches(a *App, query string) []channelItem {
	type scored struct {
		channelItem
		score int
	}
	var out []scored
	listed := map[string]bool{}
	q := strings.TrimLeft(query, "#@")
	for _, it := range a.list.items {
		if it.header {
			continue
		}
		listed[it.name] = true
		if s, ok := fuzzyScore(strings.TrimLeft(it.name, "@+"), q); ok {
			out = append(out, scored{it, s})
		}
	}
	for _, p := range a.model.userNames() {
		if dm := chat.DM(p); p != a.me && !listed[dm] {
			if s, ok := fuzzyScore(p, q); ok {
				out = append(out, scored{channelItem{name: dm}, s + 1})
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		x, y := out[i], out[j]
		switch {
		case x.score != y.score:
			return x.score < y.score
		case x.joined != y.joined:
			return x.joined
		case (x.unread > 0) != (y.unread > 0):
			return x.unread > 0
		}
		return x.name < y.name
	})
	items := make([]channelItem, len(out))
	for i, s := range out {
		items[i] = s.channelItem
	}
	return items
}

// showSwitcher opens the quick switcher: type to filter the channels,
// Enter opens the selected one, Esc closes.
func showSwitcher(a *App) {
	o := newOverlay(a.st, "switch · type to filter channels and people · Enter opens · Esc closes")
	o.filter = true
	var shown []channelItem
	refresh := func(q string) {
		shown = switcherMatches(a, q)
		rows := make([]overlayRow, 0, len(shown))
		for _, it := range shown {
			name := chat.Display(it.name)
			if _, private := chat.PrivateName(it.name); private {
				name = lockMark + name
			}
			text := "  " + name
			if it.joined {
				text = "● " + name
			}
			if it.mentions > 0 {
				text += fmt.Sprintf("  @%d", it.mentions)
			}
			if it.unread > 0 {
				text += fmt.Sprintf("  %d unread", it.unread)
			}
			st := a.st.log.base
			if it.mentions > 0 {
				st = a.st.log.mention
			}
			rows = append(rows, overlayRow{text: text, style: st, pick: true})
		}
		o.setRows(rows)
		o.sel = o.next(-1, 1)
		o.footer = ""
		if len(rows) == 0 {
			o.footer = "nothing matches; Enter creates #" + q + " and joins it"
		}
	}
	o.onQuery = refresh
	o.onPick = func(i int) {
		a.closeOverlay()
		a.selectChannel(shown[i].name)
	}
	// Enter with no match joins (creates) the channel typed, like /join.
	o.onNoPick = func() {
		if o.query != "" {
			a.closeOverlay()
			a.join(o.query)
		}
	}
	refresh("")
	a.showOverlay(o)
}
