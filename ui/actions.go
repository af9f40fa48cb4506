package ui

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rtchat/rtchat/chat"
)

// logFor returns channel's log, creating it.
func (a *App) logFor(name string) *channelLog {
	l := a.logs[name]
	if l == nil {
		l = newChannelLog(name)
		a.logs[name] = l
	}
	return l
}

// systemLine adds one of rtchat's own lines to the shown channel's log.
func (a *App) systemLine(format string, args ...any) {
	a.addLine(newSystemLine(lineSystem, fmt.Sprintf(format, args...)))
}

// errorLine adds a red line saying what went wrong and what to do.
func (a *App) errorLine(format string, args ...any) {
	a.addLine(newSystemLine(lineError, fmt.Sprintf(format, args...)))
}

func (a *App) addLine(l *line) {
	if a.current == "" {
		a.notices = append(a.notices, l.text)
		return
	}
	a.logFor(a.current).append(l)
}

// selectChannel shows channel name, joining it first if needed.
func (a *App) selectChannel(name string) {
	a.app.SetFocus(a.input)
	if a.joined[name] {
		a.switchTo(name)
		return
	}
	a.join(name)
}

// join creates and subscribes to channel name, then shows it.
func (a *App) join(name string) {
	if err := chat.ValidateName(name); err != nil {
		a.errorLine("%q is not a valid channel name: use 1-64 of a-z, 0-9, '_' and '-', starting with a letter or digit", name)
		return
	}
	a.background(func(ctx context.Context) func() {
		ch, err := a.be.Join(ctx, name)
		if err != nil {
			return func() { a.errorLine("could not join #%s: %v", name, err) }
		}
		return func() {
			a.joinedChannel(ch, true)
			a.systemLine("joined #%s (%d member%s)", name, ch.Members, plural(int(ch.Members)))
		}
	})
	a.spawnRefresh()
}

// joinedChannel records a successful join and shows it when show is set.
func (a *App) joinedChannel(ch chat.Channel, show bool) {
	a.joined[ch.Name] = true
	a.channels[ch.Name] = ch
	a.logFor(ch.Name)
	if show || a.current == "" {
		a.switchTo(ch.Name)
	}
	a.updateList()
	a.updateBars()
	a.fetchMembers(ch.Name)
}

// switchTo shows channel name.
func (a *App) switchTo(name string) {
	a.current = name
	l := a.logFor(name)
	l.markNewSince()
	for _, n := range a.notices {
		l.append(newSystemLine(lineSystem, n))
	}
	a.notices = nil
	a.logv.SetLog(l)
	a.list.SetCurrent(name)
	a.updateList()
	a.updateBars()
}

// cycle shows the next (delta 1) or previous (-1) joined channel.
func (a *App) cycle(delta int) {
	var names []string
	for _, it := range a.list.items {
		if it.joined {
			names = append(names, it.name)
		}
	}
	if len(names) == 0 {
		return
	}
	i := 0
	for k, n := range names {
		if n == a.current {
			i = k
		}
	}
	a.switchTo(names[(i+delta+len(names))%len(names)])
}

// jump shows the nth channel of the list (1-based).
func (a *App) jump(n int) {
	if n >= 1 && n <= len(a.list.items) {
		a.selectChannel(a.list.items[n-1].name)
	}
}

// loadOlder fetches the page before the oldest line of l.
func (a *App) loadOlder(l *channelLog) {
	l.loading = true
	before := l.firstID().String()
	a.background(func(ctx context.Context) func() {
		msgs, more, err := a.be.History(ctx, l.name, before)
		return func() {
			l.loading = false
			if err != nil {
				a.errorLine("could not load older messages of #%s: %v", l.name, err)
				return
			}
			l.more = more
			l.prepend(msgs, a.be.User())
		}
	})
}

// send queues text for the shown channel and shows it as pending. It
// reports false when nothing was queued (the input then keeps the text).
func (a *App) send(text string, kind chat.Kind) bool {
	if a.current == "" {
		a.errorLine("no channel is open; type /join NAME first")
		return false
	}
	if !a.joined[a.current] {
		a.errorLine("you are not subscribed to #%s; type /join %s to send here", a.current, a.current)
		return false
	}
	mid, err := a.be.Send(chat.Draft{Channel: a.current, Text: text, Kind: kind})
	if err != nil {
		switch {
		case errors.Is(err, chat.ErrMessageTooLong):
			a.errorLine("%v; nothing was sent — shorten it and press Enter again", err)
		case errors.Is(err, chat.ErrEmptyMessage):
			return true
		default:
			a.errorLine("not sent: %v", err)
		}
		return false
	}
	me := a.be.User()
	pending := newMessageLine(chat.Message{MsgID: mid, User: me, Text: text, Kind: kind, Time: time.Now()}, me, nil)
	a.logFor(a.current).addPending(mid, pending)
	a.logv.Live()
	a.updateBars()
	return true
}

// spawnRefresh re-reads the channel list in the background.
func (a *App) spawnRefresh() { a.spawn(a.refreshChannels) }

// fetchMembers caches channel's member names for completion and counts.
func (a *App) fetchMembers(name string) {
	a.background(func(ctx context.Context) func() {
		m, err := a.be.Members(ctx, name)
		if err != nil {
			return nil
		}
		return func() {
			a.setMembers(name, m)
			a.updateBars()
		}
	})
}

// firstMark gives a channel the user never read a read marker: what it
// holds now is not news, what comes later is unread, also after a restart
// and in channels joined but never shown.
func (a *App) firstMark(l *channelLog) {
	id := l.lastID()
	if !id.stored() {
		id = entryID{ms: 0, seq: 2} // "0-1": before any entry
	}
	if !l.readID.after(id) {
		l.readID = id
	}
	a.sendMark(l.name, id)
}

// setMembers records channel's member names (for completion and counts).
func (a *App) setMembers(name string, m []string) {
	a.members[name] = m
	if c, ok := a.channels[name]; ok {
		c.Members = int64(len(m))
		a.channels[name] = c
	}
}

// handleEvent applies one Backend event (on the UI goroutine). The caller
// redraws the channel list and the bars once per batch of events.
func (a *App) handleEvent(ev chat.Event) {
	me := a.be.User()
	switch e := ev.(type) {
	case chat.HistoryEvent:
		l := a.logFor(e.Channel)
		if !l.historyLoaded {
			l.historyLoaded = true
			l.more = !e.Complete
			l.prepend(e.Messages, me)
		} else {
			for _, m := range e.Messages {
				l.addMessage(m, me)
			}
		}
		// The counts run to the end of this page; live messages add on.
		if id, ok := parseEntryID(e.ReadID); ok && !l.readID.after(id) {
			l.readID = id
			l.unread, l.mentions, l.unreadMore = e.Unread.Count, e.Unread.Mentions, e.Unread.More
		} else if e.ReadID == "" {
			a.firstMark(l)
		}
		if e.Channel == a.current {
			l.markNewSince()
		}
		for _, m := range e.Messages {
			a.authors[m.User] = true
		}
	case chat.MessageEvent:
		m := e.Message
		l := a.logFor(m.Channel)
		if ln := l.addMessage(m, me); ln != nil {
			a.countNew(l, ln, m)
		}
		a.stoppedTyping(m.Channel, m.User)
		a.authors[m.User] = true
	case chat.ReadEvent:
		if id, ok := parseEntryID(e.ID); ok {
			a.applyRead(e.Channel, id)
		}
	case chat.TypingEvent:
		if a.joined[e.Channel] {
			a.typed(e.Channel, e.User)
		}
	case chat.SendEvent:
		l := a.logs[e.Channel]
		if l == nil {
			return
		}
		p := l.findPending(e.MsgID)
		if p == nil {
			return
		}
		switch {
		case e.Err != nil:
			p.state = stateFailed
			p.note("⟨not sent: " + sanitize(e.Err.Error()) + "⟩")
		case e.Pending:
			p.state = stateWaiting
			p.note("⟨waiting for the connection⟩")
		case !a.joined[e.Channel]:
			// We left: the live copy will not come; the id says it is stored.
			l.stored(e.MsgID, e.ID)
		}
	case chat.StateEvent:
		switch e.State {
		case chat.StateConnected:
			if a.conn != "connected" && a.conn != "connecting" {
				a.systemLine("connected again; caught up with every channel")
				a.refreshReadMarkers()
				a.resendMarks()
			}
			a.conn = "connected"
		case chat.StateReconnecting:
			a.conn = fmt.Sprintf("reconnecting (attempt %d)", e.Attempt)
		}
	case chat.ChannelsChangedEvent:
		a.spawnRefresh()
	case chat.TruncatedEvent:
		l := a.logFor(e.Channel)
		l.append(newSystemLine(lineSystem, "history truncated: older messages were trimmed from the stream before this window could show them"))
	}
}
