package ui

import (
	"context"
	"fmt"
	"time"

	"github.com/rtchat/rtchat/chat"
)

// mentionsShown is how many of the inbox's newest entries the view
// reads.
const mentionsShown = 100

// cmdMentions opens the mentions inbox.
func cmdMentions(a *App, _ string) error {
	a.showMentions()
	return nil
}

// showMentions opens the mentions inbox (Alt+M, /mentions): what others'
// messages called on the user for, across conversations, newest first,
// the unread ones in bold; Enter opens one in its conversation, Esc
// there comes back. Opening it marks them read, in every terminal.
func (a *App) showMentions() {
	o := newOverlay(a.st, "mentions, direct messages, replies and reactions · Enter opens · Esc closes")
	var items []chat.Mention
	o.onPick = func(i int) {
		if i < len(items) {
			a.searcher.openAt(o, items[i].Message)
		}
	}
	o.onClose = func() {
		a.searcher.back = nil
		a.closeOverlay()
	}
	o.footer = "reading your mentions…"
	a.showOverlay(o)
	a.background(func(ctx context.Context) func() {
		list, err := a.be.MentionInbox(ctx, mentionsShown)
		return func() {
			if err != nil {
				o.footer = fmt.Sprintf("could not read your mentions: %v; press Esc and try again", err)
				return
			}
			items = list
			rows := make([]overlayRow, 0, len(list))
			unread := 0
			for _, m := range list {
				style := a.st.log.base
				if m.Unread {
					style, unread = style.Bold(true), unread+1
				}
				rows = append(rows, overlayRow{text: mentionRow(m), style: style, pick: true, indent: 4})
			}
			o.setRows(rows)
			switch {
			case len(list) == 0:
				o.footer = "nothing yet: others' @mentions of you, direct messages, replies and reactions to your messages come here"
			case unread > 0:
				o.footer = fmt.Sprintf("%d new · %d in all", unread, len(list))
			default:
				o.footer = fmt.Sprintf("%d in all · nothing new", len(list))
			}
			if unread > 0 {
				newest := list[0].Time
				a.background(func(ctx context.Context) func() {
					_ = a.be.MarkMentionsRead(ctx, newest) // not read again: only shown as new next time
					return nil
				})
			}
		}
	})
}

// mentionRow is one entry: where, when, what, who.
func mentionRow(m chat.Mention) string {
	msg := m.Message
	what := msg.Current()
	if msg.State != nil && msg.State.Deleted != nil {
		what = "(message deleted)"
	}
	var how string
	switch m.Kind {
	case chat.MentionReact:
		how = fmt.Sprintf("%s reacted %s to", shownAuthor(m.From, ""), m.Reaction)
		return fmt.Sprintf("%s  %s  %s: %s", chat.Display(msg.Channel), m.Time.Local().Format(time.DateTime[:16]), how, what)
	case chat.MentionReply:
		how = "replied"
	case chat.MentionDM:
		how = "wrote to you"
	default:
		how = "mentioned you"
	}
	return fmt.Sprintf("%s  %s  %s %s: %s", chat.Display(msg.Channel), m.Time.Local().Format(time.DateTime[:16]), shownAuthor(m.From, ""), how, what)
}
