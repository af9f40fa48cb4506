package ui

import (
	"context"
	"slices"
	"strconv"
	"time"

	"github.com/rtchat/rtchat/chat"
)

// handleEvent applies one Backend event (on the UI goroutine): each event
// is one call into the channel it concerns. The caller marks what is shown
// as read and redraws the list and the bars once per batch of events.
func (a *App) handleEvent(ev chat.Event) {
	switch e := ev.(type) {
	case chat.HistoryEvent:
		a.historyEvent(e)
	case chat.MessageEvent:
		a.messageEvent(e.Message)
	case chat.ReadEvent:
		if c := a.model.channels[e.Channel]; c != nil {
			c.log.read(e.ID)
		}
	case chat.TypingEvent:
		if c := a.model.channels[e.Channel]; c != nil && c.joined {
			c.typed(e.User, time.Now().Add(chat.TypingShownFor))
		}
	case chat.SendEvent:
		a.sendEvent(e)
	case chat.StateEvent:
		a.stateEvent(e)
	case chat.MembersEvent:
		a.att.membersChanged(a.channel(e.Channel), e.Members)
	case chat.SettingsEvent:
		a.att.applySettings(e.Settings)
	case chat.AwayEvent:
		if e.Away {
			a.model.away[e.User] = e.Message
		} else {
			delete(a.model.away, e.User)
			delete(a.model.toldAway, e.User)
		}
	case chat.PresenceEvent:
		a.model.online[e.User] = e.Online
	case chat.ChannelsChangedEvent:
		a.spawn(a.refreshChannels)
	case chat.CommandsChangedEvent:
		a.spawn(a.loadServerCommands)
	case chat.CommandReplyEvent:
		a.commandReply(e.Reply)
	case chat.TruncatedEvent:
		a.channel(e.Channel).log.append(newSystemLine(lineSystem, "history truncated: older messages were trimmed from the stream before this window could show them"))
	case chat.ResetEvent:
		a.systemLine("the server lost its data (flushed, or restarted without saving): earlier history is gone; your channels and read markers are stored again")
		for _, c := range a.model.channels {
			a.marks.sendMark(c, c.log.readID)
			// The members are registered anew, one window at a time:
			// someone not back yet did not leave.
			for _, u := range c.members {
				if u != a.me && !slices.Contains(c.lost, u) {
					c.lost = append(c.lost, u)
				}
			}
		}
		// Who is online went with the data: people show again as their
		// windows announce themselves on the new server.
		clear(a.model.online)
		a.model.online[a.me] = true
		a.spawn(a.refreshChannels)
	case chat.NoticeEvent:
		a.errorLine("%s", e.Text)
	case chat.RetractedEvent:
		c := a.model.channels[e.Channel]
		if c == nil {
			break
		}
		n := c.log.retract(e.IDs)
		if e.Lost {
			n += c.log.retractThrough(e.Through)
		}
		if n > 0 {
			if e.Lost {
				what := "a message shown here was"
				if n > 1 {
					what = strconv.Itoa(n) + " messages shown here were"
				}
				c.log.append(newSystemLine(lineSystem, what+" lost with the server's data and removed"))
			} else {
				c.log.append(newSystemLine(lineError, "a message shown here was not stored in Redis (someone published it on the channel's topic) and has been removed"))
			}
		}
	case chat.JoinedEvent:
		a.joinedEvent(e)
	case chat.RemovedEvent:
		a.removedEvent(e)
	case chat.VerifiedEvent:
		a.verifiedEvent(e)
	}
}

// historyEvent applies the first page of a conversation.
func (a *App) historyEvent(e chat.HistoryEvent) {
	c := a.channel(e.Channel)
	if c.history(e, a.me, e.Channel == a.model.current) {
		a.marks.sendMark(c, c.firstMark())
	}
	a.keep.place(e.Channel, c.log)
	a.threads.countSince(c)
	for _, m := range e.Messages {
		a.model.authors[m.User] = true
	}
	if c.invited {
		c.invited = false
		a.att.attendHistory(c, e)
	}
}

// messageEvent applies a new message, or a change to one.
func (a *App) messageEvent(m chat.Message) {
	c := a.channel(m.Channel)
	mention := c.message(m, a.me, m.Channel == a.model.current)
	a.threads.threadMessage(m)
	if !m.Thread.IsZero() {
		mention = a.threads.threadReply(c, m)
		if !mention && !a.threads.inThread(c, m.Thread) {
			return // a thread the user is not in: no news for them
		}
	}
	if m.Target().IsZero() || !m.Thread.IsZero() {
		a.att.attend(c, m, mention)
		if mention && m.User != a.me && !m.ID.IsZero() && m.Kind.Shown() {
			a.background(func(ctx context.Context) func() {
				_ = a.be.RememberMention(ctx, m) // best effort: the notification came anyway
				return nil
			})
		}
	}
	a.model.authors[m.User] = true
}

// joinedEvent opens a conversation someone else put the user in.
func (a *App) joinedEvent(e chat.JoinedEvent) {
	a.joinedChannel(e.Channel, false)
	c := a.channel(e.Channel.Name)
	c.invited = true
	if peer, dm := chat.PeerOf(e.Channel.Name); dm {
		c.log.append(newSystemLine(lineSystem, peer+" started a direct conversation with you"))
	} else {
		c.log.append(newSystemLine(lineSystem, "you were added to "+chat.Display(e.Channel.Name)))
	}
}

// removedEvent closes a conversation an admin took the user out of.
func (a *App) removedEvent(e chat.RemovedEvent) {
	if c := a.model.channels[e.Channel]; c != nil {
		c.joined, c.known = false, false
		c.log.append(newSystemLine(lineSystem, "you were taken out of "+chat.Display(e.Channel)+"; its log stays on screen until you quit"))
	}
	if e.Channel != a.model.current {
		a.systemLine("you were taken out of %s", chat.Display(e.Channel))
	}
	a.spawn(a.refreshChannels)
}

// verifiedEvent marks the lines whose signatures were checked.
func (a *App) verifiedEvent(e chat.VerifiedEvent) {
	for _, r := range e.Results {
		if c := a.model.channels[r.Channel]; c != nil {
			c.log.verified(r.ID, r.Verdict)
		}
		if t := a.threads.thread; t != nil && t.conv == r.Channel {
			t.log.verified(r.ID, r.Verdict)
		}
	}
}

// sendEvent applies the fate of one of our messages.
func (a *App) sendEvent(e chat.SendEvent) {
	c := a.model.channels[e.Channel]
	if c == nil {
		return
	}
	log := c.log
	if t := a.threads.thread; t != nil && t.conv == e.Channel && t.log.findPending(e.MsgID) >= 0 {
		log = t.log
	}
	switch {
	case e.Err != nil && log.findPending(e.MsgID) < 0:
		// An edit, delete or reaction: it has no line of its own.
		a.errorLine("not done: %v", e.Err)
	case e.Pending:
		log.waiting(e.MsgID)
	case e.Err != nil:
		log.failed(e.MsgID, e.Err.Error())
	case !c.joined:
		// We left: the live copy will not come; the id says it is stored.
		log.stored(e.MsgID, e.ID)
	}
}

// stateEvent applies a change of the link to Redis.
func (a *App) stateEvent(e chat.StateEvent) {
	was := a.model.conn.State
	a.model.conn = e
	if e.State != chat.StateConnected {
		return
	}
	if was == chat.StateReconnecting {
		a.systemLine("connected again; caught up with every channel")
		a.marks.refreshReadMarkers()
		a.marks.resendMarks()
	}
}
