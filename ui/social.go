package ui

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/gdamore/tcell/v2"
	"github.com/rtchat/rtchat/chat"
)

// Read markers, mentions, presence and typing: what follows the user
// across terminals and what others are doing now.

// onlineEvery is how often the status bar's online count is refreshed.
const onlineEvery = 2 * time.Second

// beforeDraw runs on the UI goroutine before every frame: the channel shown
// at its newest line is read; the terminal title counts unread mentions;
// a new mention rings the bell once.
func (a *App) beforeDraw(screen tcell.Screen) bool {
	if l := a.logs[a.current]; l != nil && l.follow && a.joined[a.current] {
		if last := l.lastID(); last.after(l.readID) {
			l.readID = last
			l.unread, l.mentions, l.unreadMore = 0, 0, false
			a.sendMark(a.current, last)
			a.updateList()
		}
	}
	mentions := 0
	for _, l := range a.logs {
		mentions += l.mentions
	}
	title := "rtchat"
	if mentions > 0 {
		title = fmt.Sprintf("(%d) rtchat", mentions)
	}
	if title != a.title {
		a.title = title
		screen.SetTitle(title)
	}
	if a.bell {
		a.bell = false
		if a.opts.Bell {
			_ = screen.Beep()
		}
	}
	return false
}

// sendMark stores the read marker of channel in Redis, one call at a time
// per channel: marks made meanwhile are folded into the next call.
func (a *App) sendMark(channel string, id entryID) {
	if id.after(a.markWant[channel]) {
		a.markWant[channel] = id
	}
	if a.marking[channel] {
		return
	}
	want := a.markWant[channel]
	a.marking[channel] = true
	a.background(func(ctx context.Context) func() {
		err := a.be.MarkRead(ctx, channel, want.String())
		return func() {
			a.marking[channel] = false
			if err != nil {
				// Kept in markWant; sent again on reconnect (resendMarks).
				return
			}
			if a.markWant[channel].after(want) {
				a.sendMark(channel, a.markWant[channel])
			} else {
				delete(a.markWant, channel)
			}
		}
	})
}

// resendMarks sends the read markers that could not be stored.
func (a *App) resendMarks() {
	for ch, id := range a.markWant {
		if !a.marking[ch] {
			a.sendMark(ch, id)
		}
	}
}

// applyRead moves channel's read marker to id (from this or another
// terminal of the user) and recounts what is unread.
func (a *App) applyRead(channel string, id entryID) {
	l := a.logs[channel]
	if l == nil || !id.after(l.readID) {
		return
	}
	l.readID = id
	if !l.countUnread() && !l.lastID().after(id) {
		l.unread, l.mentions, l.unreadMore = 0, 0, false
	}
}

// refreshReadMarkers re-reads every read marker (after a reconnect, when
// ReadEvents may have been missed).
func (a *App) refreshReadMarkers() {
	a.background(func(ctx context.Context) func() {
		marks, err := a.be.ReadMarkers(ctx)
		if err != nil {
			return nil
		}
		return func() {
			for ch, s := range marks {
				if id, ok := parseEntryID(s); ok {
					a.applyRead(ch, id)
				}
			}
		}
	})
}

// countNew counts ln, the line of a live message m, in its log's unread
// and mentions when another user wrote it, and asks for the bell when it
// mentions the user.
func (a *App) countNew(l *channelLog, ln *line, m chat.Message) {
	if ln.own || m.Ephemeral || !ln.id.stored() || !ln.id.after(l.readID) {
		return
	}
	if ln.mention {
		a.bell = true
	}
	if m.Channel == a.current && l.follow {
		return // read at the next frame
	}
	l.unread++
	if ln.mention {
		l.mentions++
	}
}

// nextUnread shows the next channel, in list order after the current one,
// with unread mentions; else the next with unread messages.
func (a *App) nextUnread() {
	items := a.list.items
	start := 0
	for i, it := range items {
		if it.name == a.current {
			start = i + 1
		}
	}
	pick := func(ok func(channelItem) bool) string {
		for k := range items {
			it := items[(start+k)%len(items)]
			if it.joined && it.name != a.current && ok(it) {
				return it.name
			}
		}
		return ""
	}
	name := pick(func(it channelItem) bool { return it.mentions > 0 })
	if name == "" {
		name = pick(func(it channelItem) bool { return it.unread > 0 })
	}
	if name == "" {
		a.systemLine("no unread messages in other channels")
		return
	}
	a.switchTo(name)
}

// ticker refreshes presence and expires typing notices. It redraws only
// when something changed, so an idle window stays idle.
func (a *App) ticker() {
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	var lastOnline time.Time
	for {
		select {
		case <-a.ctx.Done():
			return
		case now := <-tick.C:
			if now.Sub(lastOnline) >= onlineEvery {
				lastOnline = now
				a.update(func() bool { a.refreshOnline(); return false })
			}
			a.update(func() bool {
				if !a.expireTyping(now) {
					return false
				}
				a.updateBars()
				return true
			})
		}
	}
}

// refreshOnline reads who is online in the current channel (and its
// member count, which others' joins change).
func (a *App) refreshOnline() {
	name := a.current
	if name == "" || !a.joined[name] {
		return
	}
	a.spawn(func() {
		who, err := a.be.Who(a.ctx, name)
		if err != nil {
			return
		}
		a.update(func() bool {
			prev, known := a.online[name]
			if known && slices.Equal(prev, who.Online) && slices.Equal(a.members[name], who.Members) {
				return false
			}
			a.setPresence(name, who)
			return true
		})
	})
}

// setPresence records channel's members and who of them is online, and
// shows the counts.
func (a *App) setPresence(name string, who chat.Presence) {
	a.setMembers(name, who.Members)
	a.online[name] = who.Online
	a.updateBars()
}

// expireTyping forgets typing notices older than chat.TypingShownFor and
// reports whether any went.
func (a *App) expireTyping(now time.Time) bool {
	changed := false
	for ch, users := range a.typing {
		for u, until := range users {
			if now.After(until) {
				delete(users, u)
				changed = true
			}
		}
		if len(users) == 0 {
			delete(a.typing, ch)
		}
	}
	return changed
}

// typed records that user is typing in channel.
func (a *App) typed(channel, user string) {
	if a.typing[channel] == nil {
		a.typing[channel] = map[string]time.Time{}
	}
	a.typing[channel][user] = time.Now().Add(chat.TypingShownFor)
}

// stoppedTyping forgets user's typing notice in channel (their message
// arrived).
func (a *App) stoppedTyping(channel, user string) {
	delete(a.typing[channel], user)
}

// typingText says who is typing in channel: "alice is typing…".
func (a *App) typingText(channel string) string {
	var names []string
	for u := range a.typing[channel] {
		names = append(names, u)
	}
	sort.Strings(names)
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0] + " is typing…"
	case 2, 3:
		return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1] + " are typing…"
	default:
		return fmt.Sprintf("%d people are typing…", len(names))
	}
}

// inputChanged resizes the input and tells the channel that the user is
// typing a message (not a command).
func (a *App) inputChanged() {
	a.resizeInput()
	text := a.input.GetText()
	if strings.TrimSpace(text) != "" && !strings.HasPrefix(text, "/") && a.joined[a.current] {
		a.be.Typing(a.current)
	}
}

// cmdWho lists the current channel's members, online first.
func (a *App) cmdWho(string) {
	name := a.current
	if name == "" {
		a.errorLine("no channel is open; type /join NAME first")
		return
	}
	a.background(func(ctx context.Context) func() {
		who, err := a.be.Who(ctx, name)
		if err != nil {
			return func() { a.errorLine("could not tell who is in #%s: %v", name, err) }
		}
		return func() {
			a.setPresence(name, who)
			on, members := who.Online, who.Members
			var away []string
			for _, u := range members {
				if !slices.Contains(on, u) {
					away = append(away, u)
				}
			}
			a.systemLine("#%s: %d of %d member%s online", name, len(on), len(members), plural(len(members)))
			if len(on) > 0 {
				a.systemLine("  online: %s", strings.Join(on, ", "))
			}
			if len(away) > 0 {
				a.systemLine("  away: %s", strings.Join(away, ", "))
			}
		}
	})
}
