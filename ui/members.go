package ui

import (
	"context"
	"fmt"
	"slices"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"
	"github.com/rtchat/rtchat/chat"
)

// memberWidth is the member pane's width.
const memberWidth = 20

// memberPane lists the people of the conversation on screen beside the
// log (weechat's nick list, Slack's member list): online first, then
// away, then offline, each marked. It follows the members, presence and
// away notices as they come; the members of a conversation not known yet
// are read once when the pane shows it. It runs on the UI goroutine.
type memberPane struct {
	*tview.Box
	a     *App
	shown bool
	// asked are the conversations whose members the pane has read.
	asked map[string]bool
}

func newMemberPane(a *App) *memberPane {
	return &memberPane{Box: tview.NewBox(), a: a, asked: map[string]bool{}}
}

// toggle shows or hides the pane (sidebar layout only).
func (p *memberPane) toggle() {
	a := p.a
	if a.middle == nil {
		a.systemLine("the member list shows beside the log in the sidebar layout; /who lists the members here")
		return
	}
	p.shown = !p.shown
	if p.shown {
		a.middle.AddItem(p, memberWidth, 0, false)
		p.need()
	} else {
		a.middle.RemoveItem(p)
	}
}

// need reads the members of the conversation on screen when the pane
// shows and they are not known (once per conversation).
func (p *memberPane) need() {
	c := p.a.model.shown()
	if !p.shown || c == nil || c.members != nil || p.asked[c.name] || !c.joined {
		return
	}
	p.asked[c.name] = true
	var who chat.Presence
	p.a.try("read who is in "+chat.Display(c.name), func(ctx context.Context) (err error) {
		who, err = p.a.be.Who(ctx, c.name)
		return err
	}, func() { p.a.model.learnWho(c, who) })
}

// memberRow is one person of the pane.
type memberRow struct {
	name  string
	state int // 0 online, 1 away, 2 offline: the order shown
}

// rows are the members of c, online first, each group by name.
func (p *memberPane) rows(c *channel) []memberRow {
	m := p.a.model
	out := make([]memberRow, 0, len(c.members))
	for _, u := range c.members {
		r := memberRow{name: u, state: 2}
		if m.online[u] {
			if _, away := m.away[u]; away {
				r.state = 1
			} else {
				r.state = 0
			}
		}
		out = append(out, r)
	}
	slices.SortStableFunc(out, func(x, y memberRow) int { return x.state - y.state })
	return out
}

// Draw draws the heading and one row per member.
func (p *memberPane) Draw(screen tcell.Screen) {
	x, y, w, h := p.GetInnerRect()
	if w <= 0 || h <= 0 {
		return
	}
	st := p.a.st
	base := st.channels
	c := p.a.model.shown()
	head := " members"
	var rows []memberRow
	if c != nil && c.members != nil {
		rows = p.rows(c)
		head = fmt.Sprintf(" members · %d", len(rows))
	}
	used := drawText(screen, x, y, w, ellipsisEnd(head, w), st.channelOn)
	fill(screen, x+used, y, w-used, base)
	marks := [...]string{"● ", "◐ ", "○ "}
	for i := 1; i < h; i++ {
		used := 0
		if r := i - 1; r < len(rows) {
			text := " " + marks[rows[r].state] + sanitize(shownAuthor(rows[r].name, ""))
			style := base
			switch {
			case rows[r].name == p.a.me:
				style = st.channelOn
			case rows[r].state == 2:
				style = base.Dim(true)
			}
			used = drawText(screen, x, y+i, w, ellipsisEnd(text, w), style)
		} else if r == 0 && c != nil && c.members == nil {
			used = drawText(screen, x, y+i, w, ellipsisEnd(" (reading…)", w), base.Dim(true))
		}
		fill(screen, x+used, y+i, w-used, base)
	}
}

// notHere says, after a send to c, who the text mentions (chat.Mentions:
// the name, with or without @) that the window knows and is not a member
// of c, and so will not be called.
func (p *memberPane) notHere(c *channel, text string) {
	if c.members == nil {
		return
	}
	if _, dm := chat.PeerOf(c.name); dm {
		return
	}
	var missing []string
	for _, name := range p.a.model.userNames() {
		if name != p.a.me && !slices.Contains(c.members, name) && chat.Mentions(text, name) {
			missing = append(missing, name)
		}
	}
	for _, name := range missing {
		p.a.systemLine("%s is not in %s: the mention does not reach them (/msg %s to write to them)", name, chat.Display(c.name), name)
	}
}
