package ui

import (
	"hash/fnv"

	"github.com/gdamore/tcell/v2"
	"github.com/rtchat/rtchat/themes"
)

// styles are a theme turned into tcell styles, built once per theme.
type styles struct {
	theme                           themes.Theme
	header, status, input           tcell.Style
	inputPlaceholder                tcell.Style
	channels, channelSel, channelOn tcell.Style
	channelUnread, channelMention   tcell.Style
	log                             logStyles
	users                           []tcell.Style
}

type logStyles struct {
	bg                                  tcell.Color
	base, timestamp, own, system, error tcell.Style
	pending, separator, mention         tcell.Style
	// code, meta (edited, deleted, thread summaries), quote and reaction
	// are derived from the theme's colours.
	code, meta, quote, reaction tcell.Style
}

func newStyles(t themes.Theme) *styles {
	pair := func(p themes.Pair) tcell.Style {
		return tcell.StyleDefault.Background(p.Background.Color).Foreground(p.Foreground.Color)
	}
	lb := pair(t.Log.Pair)
	s := &styles{
		theme:            t,
		header:           pair(t.Header).Bold(true),
		status:           pair(t.Status),
		input:            pair(t.Input.Pair),
		inputPlaceholder: pair(t.Input.Pair).Foreground(t.Input.Placeholder.Color),
		channels:         pair(t.Channels.Pair),
		channelSel:       tcell.StyleDefault.Background(t.Channels.SelectedBackground.Color).Foreground(t.Channels.SelectedForeground.Color),
		channelOn:        pair(t.Channels.Pair).Foreground(t.Channels.Joined.Color).Bold(true),
		channelUnread:    pair(t.Channels.Pair).Foreground(t.Channels.Unread.Color).Bold(true),
		channelMention:   pair(t.Channels.Pair).Foreground(t.Channels.Mention.Color).Bold(true),
		log: logStyles{
			bg:        t.Log.Background.Color,
			base:      lb,
			timestamp: lb.Foreground(t.Log.Timestamp.Color),
			own:       lb.Foreground(t.Log.Own.Color).Bold(true),
			system:    lb.Foreground(t.Log.System.Color).Italic(true),
			error:     lb.Foreground(t.Log.Error.Color).Bold(true),
			pending:   lb.Foreground(t.Log.Pending.Color).Dim(true),
			separator: lb.Foreground(t.Log.Separator.Color),
			mention:   lb.Foreground(t.Log.Mention.Color).Bold(true),
			code:      lb.Foreground(t.Log.System.Color),
			meta:      lb.Foreground(t.Log.Timestamp.Color).Italic(true),
			quote:     lb.Foreground(t.Log.Timestamp.Color),
			reaction:  lb.Foreground(t.Log.Timestamp.Color),
		},
	}
	for _, c := range t.Users.Colors {
		s.users = append(s.users, lb.Foreground(c.Color).Bold(true))
	}
	return s
}

// userStyle is the deterministic colour of a user name.
func (s *styles) userStyle(name string) tcell.Style {
	h := fnv.New32a()
	_, _ = h.Write([]byte(name))
	return s.users[int(h.Sum32()%uint32(len(s.users)))]
}

func (s *styles) nameStyle(l *line, user string) tcell.Style {
	switch {
	case !l.isMessage():
		return s.bodyStyle(l)
	case l.own:
		return s.log.own
	default:
		return s.userStyle(user)
	}
}

func (s *styles) bodyStyle(l *line) tcell.Style {
	switch {
	case l.kind == lineSystem:
		return s.log.system
	case l.kind == lineError || l.state == stateFailed:
		return s.log.error
	case l.state != stateStored:
		return s.log.pending
	case l.mention:
		return s.log.mention
	default:
		return s.log.base
	}
}

// runStyle is how a stretch of kind k of line l is drawn.
func (s *styles) runStyle(k runKind, l *line, user, url string) tcell.Style {
	switch k {
	case runTime:
		return s.log.timestamp
	case runMark:
		return s.log.error
	case runName:
		return s.nameStyle(l, user)
	case runCode:
		return s.log.code
	case runBold:
		return s.bodyStyle(l).Bold(true)
	case runItalic:
		return s.bodyStyle(l).Italic(true)
	case runLink:
		return s.bodyStyle(l).Underline(true).Url(url)
	case runMeta:
		return s.log.meta
	case runQuote:
		return s.log.quote
	case runReaction:
		return s.log.reaction
	case runReactionOwn:
		return s.log.own
	}
	return s.bodyStyle(l)
}
