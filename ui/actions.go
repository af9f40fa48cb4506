package ui

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/rtchat/rtchat/chat"
)

// Shared reasons a command cannot run, shown as they are.
var (
	errNoChannel = errors.New("no channel is open; type /join NAME first")
	errNotJoined = errors.New("you are not subscribed to a channel here; type /join NAME")
)

// systemLine adds one of rtchat's own lines to the shown channel's log
// (or, while none is open, to the window's own log).
func (a *App) systemLine(format string, args ...any) {
	a.addLine(newSystemLine(lineSystem, fmt.Sprintf(format, args...)))
}

// errorLine adds a red line saying what went wrong and what to do.
func (a *App) errorLine(format string, args ...any) {
	a.addLine(newSystemLine(lineError, fmt.Sprintf(format, args...)))
}

func (a *App) addLine(l line) {
	if c := a.model.shown(); c != nil {
		c.log.append(l)
		return
	}
	a.sys.append(l)
}

// selectChannel shows channel name, joining it first if needed.
func (a *App) selectChannel(name string) {
	a.app.SetFocus(a.input)
	if c := a.model.channels[name]; c != nil && c.joined {
		a.switchTo(name)
		return
	}
	if err := a.join(name); err != nil {
		a.errorLine("%v", err)
	}
}

// join opens conversation name (see conversation) and shows it; then,
// once it is joined, runs after (if any) on the UI goroutine.
func (a *App) join(name string, after ...func()) error {
	conv := a.model.conversation(name)
	if err := chat.ValidateConv(conv); err != nil {
		return fmt.Errorf("%q is not a valid channel name or @person: %s", name, chat.NameHint)
	}
	if peer, ok := chat.PeerOf(conv); ok && peer == a.me {
		return fmt.Errorf("@%s is you; type /msg NAME to talk to someone else", peer)
	}
	if typed := strings.TrimPrefix(strings.TrimSpace(name), "#"); typed != strings.TrimPrefix(conv, "+") && typed != conv {
		// Said in the conversation it opens, where the person looks next.
		after = append([]func(){func() { a.systemLine("%s is %s: names are lower case", typed, chat.Display(conv)) }}, after...)
	}
	if c := a.model.channels[conv]; c != nil && c.joined {
		a.switchTo(conv) // already in it: just show it
		for _, f := range after {
			f()
		}
		return nil
	}
	var ch chat.Channel
	a.try("open "+chat.Display(conv), func(ctx context.Context) (err error) {
		ch, err = a.be.Join(ctx, conv)
		return err
	}, func() {
		a.joinedChannel(ch, true)
		if peer, ok := chat.PeerOf(conv); ok {
			a.systemLine("direct conversation with %s", peer)
		} else {
			a.systemLine("joined %s (%d member%s)", chat.Display(conv), ch.Members, plural(int(ch.Members)))
		}
		for _, f := range after {
			f()
		}
	})
	a.spawn(a.refreshChannels)
	return nil
}

// joinedChannel records a successful join and shows it when show is set.
func (a *App) joinedChannel(ch chat.Channel, show bool) {
	c := a.channel(ch.Name)
	c.joined, c.known = true, true
	if _, dm := chat.PeerOf(ch.Name); dm && !a.opts.Accounts && !a.model.dmWarned {
		a.model.dmWarned = true
		c.log.append(newSystemLine(lineError, openDMWarning))
	}
	members := c.info.Members
	c.info = ch
	if c.members != nil {
		c.info.Members = members
	}
	if show || a.model.current == "" {
		a.switchTo(ch.Name)
	}
	a.refresh()
}

// openDMWarning is said once, in the first direct conversation, on a
// server without accounts.
const openDMWarning = "this server has no accounts: anyone with its password can read direct messages here (the README's \"Accounts and privacy\" says how to make accounts)"

// switchTo shows channel name.
func (a *App) switchTo(name string) {
	prev := a.model.current
	if name != a.searcher.backConv {
		a.searcher.back = nil // Esc no longer leads back to a search
	}
	if prev != name {
		a.keep.leave(prev)
	}
	a.model.current = name
	c := a.channel(name)
	c.log.markNewSince()
	if len(a.sys.lines) > 0 {
		// rtchat's own lines from before any channel was open.
		for _, l := range a.sys.lines {
			c.log.append(l)
		}
		a.sys.lines = nil
	}
	a.keep.place(name, c.log)
	a.members.need()
	a.logv.SetLog(c.log)
	a.list.SetCurrent(name)
	if prev != name {
		a.keep.show(prev, name)
		if err := a.keep.save(); err != nil {
			a.errorLine("%v", err)
		}
	}
	a.marks.markShown()
	a.refresh()
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
		if n == a.model.current {
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

// nextUnread shows the next channel, in list order after the current one,
// with unread mentions; else the next with unread messages.
func (a *App) nextUnread() {
	items := a.list.items
	start := 0
	for i, it := range items {
		if it.name == a.model.current {
			start = i + 1
		}
	}
	pick := func(ok func(channelItem) bool) string {
		for k := range items {
			it := items[(start+k)%len(items)]
			if it.joined && !it.muted && it.name != a.model.current && ok(it) {
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

// loadOlder fetches the page before the oldest line of l.
func (a *App) loadOlder(l *channelLog) {
	l.loading = true
	before := l.firstID()
	a.background(func(ctx context.Context) func() {
		p, err := a.be.History(ctx, l.name, before)
		return func() {
			l.loading = false
			if err != nil {
				a.errorLine("could not load older messages of %s: %v", chat.Display(l.name), err)
				return
			}
			l.more, l.trimmed = p.More, p.Trimmed
			l.prepend(p.Messages, a.me)
		}
	})
}

// send queues text for the shown channel and shows it as pending. It
// returns an error when nothing was queued (the input then keeps the
// text).
func (a *App) send(text string, kind chat.Kind) error {
	c := a.model.shown()
	if c == nil {
		return errNoChannel
	}
	if err := a.sendDraft(chat.Draft{Channel: c.name, Text: text, Kind: kind}); err != nil {
		return err
	}
	a.members.notHere(c, text)
	return nil
}

// sendDraft queues d and shows it as pending in the log it goes to: the
// thread pane's for a reply in the open thread, else the channel's.
func (a *App) sendDraft(d chat.Draft) error {
	c := a.model.channels[d.Channel]
	switch {
	case c == nil:
		return errNoChannel
	case !c.joined:
		return fmt.Errorf("you are not subscribed to %s; type /join %s to send here", chat.Display(c.name), c.name)
	}
	mid, err := a.be.Send(d)
	switch {
	case errors.Is(err, chat.ErrMessageTooLong):
		return fmt.Errorf("%w; nothing was sent — shorten it and press Enter again", err)
	case errors.Is(err, chat.ErrEmptyMessage):
		return nil
	case err != nil:
		return fmt.Errorf("not sent: %w", err)
	}
	log, view := c.log, a.logv
	if t := a.threads.thread; t != nil && !d.Thread.IsZero() {
		if t.conv != d.Channel || t.root != d.Thread {
			return nil // a thread not shown: its reply shows when it is
		}
		log, view = t.log, t.view
	}
	pending := log.newLine(chat.Message{MsgID: mid, User: a.me, Text: d.Text, Kind: d.Kind, Time: time.Now()}, a.me)
	log.addPending(mid, pending)
	a.att.awayNotice(d.Channel, d.Text)
	view.Live()
	a.refreshBars()
	return nil
}

// leave unsubscribes from the shown channel.
func (a *App) leave() error {
	c := a.model.shown()
	if c == nil || !c.joined {
		return errNotJoined
	}
	a.try("leave "+chat.Display(c.name), func(ctx context.Context) error { return a.be.Leave(ctx, c.name) }, func() {
		c.joined = false
		// Leaving took this user out of the channel's members: the status
		// bar counts the others (the member poll stops with the
		// subscription, so it would keep the count from before).
		if c.members != nil {
			c.setMembers(slices.DeleteFunc(slices.Clone(c.members), func(u string) bool { return u == a.me }))
		} else if c.info.Members > 0 {
			c.info.Members--
		}
		c.log.append(newSystemLine(lineSystem, fmt.Sprintf("you left %s; type /join %s to come back", chat.Display(c.name), c.name)))
		a.refresh()
	})
	return nil
}
