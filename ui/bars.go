package ui

import (
	"fmt"
	"sort"
	"strings"
)

// updateList rebuilds the channel list: joined channels first, then the
// others, each group by name.
func (a *App) updateList() {
	names := map[string]bool{}
	for n := range a.channels {
		names[n] = true
	}
	for n := range a.joined {
		names[n] = true
	}
	items := make([]channelItem, 0, len(names))
	for n := range names {
		it := channelItem{name: n, joined: a.joined[n]}
		if l := a.logs[n]; l != nil {
			it.unread, it.mentions, it.more = l.unread, l.mentions, l.unreadMore
		}
		items = append(items, it)
	}
	sort.Slice(items, func(i, j int) bool {
		if items[i].joined != items[j].joined {
			return items[i].joined
		}
		return items[i].name < items[j].name
	})
	a.list.SetItems(items)
	a.list.SetCurrent(a.current)
}

// updateBars redraws the header and the status bar.
func (a *App) updateBars() {
	head := " rtchat " + a.opts.Version
	if a.current != "" {
		head += "  ·  #" + a.current
		if d := a.channels[a.current].Description; d != "" {
			head += " — " + d
		}
	}
	a.header.SetText(escape(head))
	var parts []string
	if a.current != "" {
		parts = append(parts, "#"+a.current)
		if a.joined[a.current] {
			parts = append(parts, "subscribed")
		} else {
			parts = append(parts, "not subscribed (/join "+a.current+")")
		}
	}
	conn := a.conn
	if a.opts.Embedded && a.conn == "connected" {
		conn = "embedded (in memory)"
	}
	parts = append(parts, conn, a.be.User())
	if c, ok := a.channels[a.current]; ok {
		parts = append(parts, fmt.Sprintf("%d member%s", c.Members, plural(int(c.Members))))
	}
	if on, ok := a.online[a.current]; ok {
		parts = append(parts, fmt.Sprintf("%d online", len(on)))
	}
	if n := a.pendingCount(); n > 0 {
		parts = append(parts, fmt.Sprintf("%d unsent", n))
	}
	if t := a.typingText(a.current); t != "" {
		parts = append(parts, t)
	}
	a.status.SetText(escape(" " + strings.Join(parts, " · ")))
}

func (a *App) pendingCount() int {
	n := 0
	for _, l := range a.logs {
		n += l.pendingCount()
	}
	return n
}
