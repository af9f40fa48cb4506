package ui

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"
	"github.com/rtchat/rtchat/chat"
)

// bars are the header and the status bar.
type bars struct {
	header, status *barLine
}

func newBars() *bars {
	return &bars{header: newBarLine(), status: newBarLine()}
}

// barLine is one row of plain text (drawn as it is, through drawText: no
// style tags) in one style; a text wider than the row ends in "…".
type barLine struct {
	*tview.Box
	text  string
	style tcell.Style
}

func newBarLine() *barLine { return &barLine{Box: tview.NewBox()} }

// SetText sets the text, sanitized.
func (b *barLine) SetText(text string) { b.text = sanitize(text) }

// GetText returns the text.
func (b *barLine) GetText() string { return b.text }

// Draw draws the row.
func (b *barLine) Draw(screen tcell.Screen) {
	x, y, w, h := b.GetInnerRect()
	if w <= 0 || h <= 0 {
		return
	}
	used := drawText(screen, x, y, w, ellipsisEnd(b.text, w), b.style)
	fill(screen, x+used, y, w-used, b.style)
}

// barsView is what the bars show.
type barsView struct {
	version, user string
	// channel is the channel on screen ("" for none), topic its
	// description, joined whether the user is subscribed.
	channel, topic string
	joined         bool
	conn           string
	// members and online count the channel's people (-1: not known).
	members, online int
	unsent          int
	typing          string
	// threads counts unread replies in the user's threads; doing says
	// what the input or the selection is for now (a reply, an edit…).
	threads int
	doing   string
	// quiet says you are away or not to be disturbed.
	quiet string
	// transfer is a file transfer's progress.
	transfer string
}

// show draws v.
func (b *bars) show(v barsView) {
	head := " rtchat " + v.version
	if v.channel != "" {
		head += "  ·  " + chat.Display(v.channel)
		if v.topic != "" {
			head += " — " + v.topic
		}
	}
	b.header.SetText(head)
	var parts []string
	if v.channel != "" {
		parts = append(parts, chat.Display(v.channel))
		if v.joined {
			parts = append(parts, "subscribed")
		} else {
			parts = append(parts, "not subscribed (/join "+v.channel+")")
		}
	}
	parts = append(parts, v.conn, v.user)
	if v.members >= 0 {
		parts = append(parts, fmt.Sprintf("%d member%s", v.members, plural(v.members)))
	}
	if v.online >= 0 {
		parts = append(parts, fmt.Sprintf("%d online", v.online))
	}
	if v.unsent > 0 {
		parts = append(parts, fmt.Sprintf("%d unsent", v.unsent))
	}
	if v.threads > 0 {
		parts = append(parts, fmt.Sprintf("%d new in threads", v.threads))
	}
	if v.quiet != "" {
		parts = append(parts, v.quiet)
	}
	if v.typing != "" {
		parts = append(parts, v.typing)
	}
	if v.transfer != "" {
		parts = append([]string{v.transfer}, parts...)
	}
	if v.doing != "" {
		// What the keys do now comes first: it is what the user is doing.
		parts = append([]string{v.doing}, parts...)
	}
	b.status.SetText(" " + strings.Join(parts, " · "))
}

// connText says how the link to Redis is, for the status bar.
func (a *App) connText() string {
	switch s := a.model.conn; {
	case s.State == chat.StateConnected && a.opts.Embedded:
		return "embedded (in memory)"
	case s.State == chat.StateReconnecting && errors.Is(s.Err, chat.ErrAuth) && a.opts.Accounts:
		return "Redis no longer takes your account " + a.me + " (its password changed, or an admin removed it): ask the server's admin, then run rtchat login"
	case s.State == chat.StateReconnecting && errors.Is(s.Err, chat.ErrAuth):
		return "Redis asks for a password: quit and start rtchat with REDIS_PASSWORD"
	case s.State == chat.StateReconnecting:
		return fmt.Sprintf("reconnecting (attempt %d)", s.Attempt)
	default:
		return s.State.String()
	}
}

// refreshBars redraws the header and the status bar.
func (a *App) refreshBars() {
	v := barsView{version: a.opts.Version, user: a.me, conn: a.connText(), members: -1, online: -1, unsent: a.model.pendingCount()}
	if c := a.model.shown(); c != nil {
		v.channel, v.topic, v.joined = c.name, c.info.Description, c.joined
		if c.known || c.joined {
			v.members = int(c.info.Members)
		}
		if c.members != nil {
			v.online = c.onlineCount(a.model.online)
		}
		v.typing = c.typingText()
		v.threads = c.threadUnread
	}
	v.quiet = a.att.quietText()
	v.transfer = a.files.statusText()
	v.doing = a.comp.composeStatus()
	if v.doing == "" && a.sel.selectionView().selecting {
		v.doing = a.sel.selectionHint()
	}
	a.bars.show(v)
}

// bareName is a conversation's name without its "+" or "@", for sorting.
func bareName(conv string) string { return strings.TrimLeft(conv, "+@") }

// refresh redraws the channel list and the bars.
func (a *App) refresh() {
	a.updateList()
	a.refreshBars()
}

// updateList rebuilds the channel list: joined channels first, then the
// others, each group by name; then, under their heading, the direct
// conversations by name.
func (a *App) updateList() {
	items := make([]channelItem, 0, len(a.model.channels)+1)
	var dms []channelItem
	for _, c := range a.model.channels {
		it := c.item()
		it.pinned, it.muted = a.model.settings.Pinned[c.name], a.model.level(c.name) == chat.LevelMute
		switch peer, dm := chat.PeerOf(c.name); {
		case !c.known && !c.joined:
		case dm:
			_, it.away = a.model.away[peer]
			dms = append(dms, it)
		default:
			items = append(items, it)
		}
	}
	sort.Slice(items, func(i, j int) bool {
		if items[i].pinned != items[j].pinned {
			return items[i].pinned
		}
		if items[i].joined != items[j].joined {
			return items[i].joined
		}
		return bareName(items[i].name) < bareName(items[j].name)
	})
	if len(dms) > 0 {
		sort.Slice(dms, func(i, j int) bool {
			if dms[i].pinned != dms[j].pinned {
				return dms[i].pinned
			}
			return dms[i].name < dms[j].name
		})
		items = append(append(items, channelItem{name: dmHeading, header: true}), dms...)
	}
	a.list.SetItems(items)
	a.list.SetCurrent(a.model.current)
}

// pendingCount counts our messages on their way, in every channel.
func (m *model) pendingCount() int {
	n := 0
	for _, c := range m.channels {
		n += c.log.pendingCount()
	}
	return n
}
