package ui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/gdamore/tcell/v2"
	"github.com/rtchat/rtchat/chat"
)

// Read markers, mentions, presence and typing: what follows the user
// across terminals and what others are doing now.

// markShown marks the channel on screen as read when it is shown at its
// newest line. It runs after each batch of events, after a switch and
// when the view returns to live — never from the draw hook, which must
// not start work that talks to Redis.
func (mk *marker) markShown() {
	if c := mk.a.model.shown(); c != nil {
		if id, ok := c.seenToEnd(); ok {
			mk.sendMark(c, id)
			mk.a.updateList()
		}
	}
}

// sendMark stores id as channel c's read marker in Redis, one call at a
// time per channel: marks made meanwhile are folded into the next call.
func (mk *marker) sendMark(c *channel, id chat.ID) {
	want, ok := c.wantMark(id)
	if !ok {
		return
	}
	mk.a.background(func(ctx context.Context) func() {
		err := mk.a.be.MarkRead(ctx, c.name, want)
		return func() {
			if next, ok := c.marked(want, err); ok {
				mk.sendMark(c, next)
			}
		}
	})
}

// markAllRead marks every joined conversation read up to its newest
// line (Slack's Shift+Esc).
func (mk *marker) markAllRead() {
	n := 0
	for _, c := range mk.a.model.channels {
		last := c.log.lastID()
		if !c.joined || last.IsZero() || c.item().unread == 0 && !c.log.unreadMore {
			continue
		}
		c.log.read(last)
		c.log.unread, c.log.mentions, c.log.unreadMore = 0, 0, false
		for root := range c.log.extras {
			c.threadRead(root)
		}
		mk.sendMark(c, last)
		n++
	}
	if n == 0 {
		mk.a.systemLine("nothing was unread")
	} else {
		mk.a.systemLine("marked %d conversation%s read", n, plural(n))
	}
	mk.a.refresh()
}

// jumpNew scrolls the log to its "new since you were here" line.
func (mk *marker) jumpNew() {
	c := mk.a.model.shown()
	if c == nil {
		return
	}
	i := c.log.lastIndex(func(l *line) bool { return l.kind == lineNewSince })
	if i < 0 {
		mk.a.systemLine("nothing new since you were last here")
		return
	}
	mk.a.logv.showAtTop(i)
}

// resendMarks sends the read markers that could not be stored.
func (mk *marker) resendMarks() {
	for _, c := range mk.a.model.channels {
		if !c.marking && !c.markWant.IsZero() {
			mk.sendMark(c, c.markWant)
		}
	}
}

// refreshReadMarkers re-reads every read marker (after a reconnect, when
// ReadEvents may have been missed).
func (mk *marker) refreshReadMarkers() {
	mk.a.background(func(ctx context.Context) func() {
		marks, err := mk.a.be.ReadMarkers(ctx)
		if err != nil {
			return nil
		}
		return func() {
			for name, id := range marks {
				if c := mk.a.model.channels[name]; c != nil {
					c.log.read(id)
				}
			}
			mk.a.updateList()
		}
	})
}

// beforeDraw runs on the UI goroutine before every frame: the terminal
// title counts unread mentions, and a new mention rings the bell once.
func (a *App) beforeDraw(screen tcell.Screen) bool {
	mentions := 0
	for _, c := range a.model.channels {
		mentions += c.log.mentions
	}
	title := "rtchat"
	if mentions > 0 {
		title = fmt.Sprintf("(%d) rtchat", mentions)
	}
	if title != a.title {
		a.title = title
		screen.SetTitle(title)
	}
	a.fitSidebar(screen)
	if a.att.bell {
		a.att.bell = false
		if a.opts.Bell {
			_ = screen.Beep()
		}
	}
	return false
}

// ticker expires typing notices. It redraws only when something changed,
// so an idle window stays idle.
func (a *App) ticker() {
	tick := time.NewTicker(tickEvery)
	defer tick.Stop()
	for {
		select {
		case <-a.ctx.Done():
			return
		case now := <-tick.C:
			a.update(func() bool {
				changed := false
				for _, c := range a.model.channels {
					changed = c.expireTyping(now) || changed
				}
				if changed {
					a.refreshBars()
				}
				return changed
			})
		}
	}
}

// inputChanged resizes the input and tells the channel that the user is
// typing a message (not a command).
func (a *App) inputChanged() {
	a.prompt.resizeInput()
	text := a.input.GetText()
	if c := a.model.shown(); c != nil && c.joined && strings.TrimSpace(text) != "" && !strings.HasPrefix(text, "/") {
		a.be.Typing(c.name)
	}
}

// cmdWho lists the current channel's members, online first.
func cmdWho(a *App, _ string) error {
	c := a.model.shown()
	if c == nil {
		return errNoChannel
	}
	var who chat.Presence
	a.try("tell who is in #"+c.name, func(ctx context.Context) (err error) {
		who, err = a.be.Who(ctx, c.name)
		return err
	}, func() {
		a.model.learnWho(c, who)
		var offline, online []string
		for _, u := range who.Members {
			name := u
			if msg, ok := who.Away[u]; ok {
				name += " (away"
				if msg != "" {
					name += ": " + msg
				}
				name += ")"
			}
			if a.model.online[u] {
				online = append(online, name)
			} else {
				offline = append(offline, name)
			}
		}
		a.systemLine("%s: %d of %d member%s online", chat.Display(c.name), len(who.Online), len(who.Members), plural(len(who.Members)))
		if len(online) > 0 {
			a.systemLine("  online: %s", strings.Join(online, ", "))
		}
		if len(offline) > 0 {
			a.systemLine("  offline: %s", strings.Join(offline, ", "))
		}
		a.refreshBars()
	})
	return nil
}
