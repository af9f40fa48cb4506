package ui

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/rtchat/rtchat/chat"
)

// channel is everything the window knows of one channel: what the server
// said of it, whether the user joined it, its log (with the read marker
// and the unread counts), who belongs to it, who is typing there, and the
// read marker on its way to Redis. An incoming message or a switch is one
// call into it. Only the UI goroutine touches it.
type channel struct {
	name string
	// info is the channel as last listed (description, member count);
	// known is true once it was listed or joined.
	info  chat.Channel
	known bool
	// joined is true while the user is subscribed.
	joined bool
	log    *channelLog
	// members are the channel's members, sorted, once known; lost are
	// those of them the server lost with its data (they neither left nor
	// join when they come back).
	members []string
	lost    []string
	// typing maps who is typing to when their notice runs out.
	typing map[string]time.Time
	// markWant is the newest read marker wanted in Redis; marking is true
	// while a MarkRead is under way (marks made meanwhile fold into the
	// next call).
	markWant chat.ID
	marking  bool
	// threadUnread and threadMentions count the replies that came, while
	// the user was not looking, in threads they are in (see threadReply).
	threadUnread, threadMentions int
	// invited is set when someone else opened the conversation for the
	// user (a direct message, an admin's private channel): the unread
	// messages of its first page are news, and notify.
	invited bool
}

func newChannel(log *channelLog) *channel {
	return &channel{name: log.name, log: log, typing: map[string]time.Time{}}
}

// history applies the first page of the channel (or, after a reconnect,
// a page of catch-up) and the read marker that came with it. It reports
// whether the channel was never read, so that the caller stores a first
// read marker.
func (c *channel) history(ev chat.HistoryEvent, me string, shown bool) (neverRead bool) {
	l := c.log
	if !l.historyLoaded {
		l.historyLoaded = true
		l.more, l.trimmed = !ev.Complete, ev.Trimmed
		l.prepend(ev.Messages, me)
	} else {
		for _, m := range ev.Messages {
			l.addMessage(m, me)
		}
	}
	// The counts run to the end of this page; live messages add on.
	switch {
	case !ev.ReadID.IsZero() && !l.readID.After(ev.ReadID):
		l.readID = ev.ReadID
		l.unread, l.mentions, l.unreadMore = ev.Unread.Count, ev.Unread.Mentions, ev.Unread.More
	case ev.ReadID.IsZero():
		neverRead = true
	}
	if shown {
		l.markNewSince()
	}
	return neverRead
}

// message adds a live or caught-up message and counts it as unread when it
// is another user's, newer than the read marker, and not read at once (the
// channel is on screen at its newest line). It reports whether the
// message mentions the user and was not seen before.
func (c *channel) message(m chat.Message, me string, onScreen bool) (mention bool) {
	l := c.log
	if !m.Target().IsZero() {
		// An edit, delete or reaction, or a reply in a thread: it
		// changes a line, it is none of its own.
		l.change(m)
		delete(c.typing, m.User)
		return false
	}
	ln := l.addMessage(m, me)
	delete(c.typing, m.User)
	if ln == nil || ln.own || m.Ephemeral || !ln.stored || !ln.id.After(l.readID) {
		return false
	}
	if onScreen && l.follow {
		return ln.mention // read at once
	}
	l.unread++
	if ln.mention {
		l.mentions++
	}
	return ln.mention
}

// firstMark gives a channel the user never read a read marker: what it
// holds now is not news, what comes later is unread, also after a restart
// and in channels joined but never shown. It returns the marker to store.
func (c *channel) firstMark() chat.ID {
	id := c.log.lastID()
	if id.IsZero() {
		id = chat.ID{MS: 0, Seq: 1} // before any entry
	}
	if !c.log.readID.After(id) {
		c.log.readID = id
	}
	return id
}

// seenToEnd is called when the channel is on screen at its newest line:
// everything in it is read. It returns the marker to store, if it moved.
func (c *channel) seenToEnd() (chat.ID, bool) {
	l := c.log
	last := l.lastID()
	if !l.follow || !c.joined || !last.After(l.readID) {
		return chat.ID{}, false
	}
	l.readID = last
	l.unread, l.mentions, l.unreadMore = 0, 0, false
	return last, true
}

// wantMark records that id should be stored as the read marker; it
// returns the marker to send now, if no call is under way.
func (c *channel) wantMark(id chat.ID) (chat.ID, bool) {
	if id.After(c.markWant) {
		c.markWant = id
	}
	if c.marking || c.markWant.IsZero() {
		return chat.ID{}, false
	}
	c.marking = true
	return c.markWant, true
}

// marked records the end of a MarkRead call that sent id; it returns the
// next marker to send, if one was wanted meanwhile.
func (c *channel) marked(id chat.ID, err error) (chat.ID, bool) {
	c.marking = false
	if err != nil {
		return chat.ID{}, false // kept in markWant; sent again on reconnect
	}
	if !c.markWant.After(id) {
		c.markWant = chat.ID{}
		return chat.ID{}, false
	}
	return c.markWant, true
}

// typed records that user is typing until until.
func (c *channel) typed(user string, until time.Time) { c.typing[user] = until }

// expireTyping forgets typing notices that ran out and reports whether
// any did.
func (c *channel) expireTyping(now time.Time) bool {
	changed := false
	for u, until := range c.typing {
		if now.After(until) {
			delete(c.typing, u)
			changed = true
		}
	}
	return changed
}

// typingText says who is typing: "alice is typing…".
func (c *channel) typingText() string {
	names := make([]string, 0, len(c.typing))
	for u := range c.typing {
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

// setMembers records the channel's members (and its member count).
func (c *channel) setMembers(m []string) {
	c.members = m
	c.info.Members = int64(len(m))
}

// onlineCount counts the members who are online.
func (c *channel) onlineCount(online map[string]bool) int {
	n := 0
	for _, u := range c.members {
		if online[u] {
			n++
		}
	}
	return n
}

// item is the channel's row in the channel list.
func (c *channel) item() channelItem {
	return channelItem{name: c.name, joined: c.joined, unread: c.log.unread + c.threadUnread,
		mentions: c.log.mentions + c.threadMentions, more: c.log.unreadMore}
}
