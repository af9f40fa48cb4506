package ui

import (
	"slices"
	"strings"
	"time"

	"github.com/rtchat/rtchat/chat"
)

// model is what the window knows, without a widget: the conversations
// (each a channel, with its log, unread counts and read marker), which is
// current, the link's state, who is online or away, and the person's
// attention settings, with the rules that decide what counts as a
// mention and what reaches the person. Events change it and App draws
// it; only the UI goroutine touches it, and it is tested without a
// screen (model_test.go).
type model struct {
	me string
	// configured are the highlight words of the config file; highlights
	// those and the stored ones (every message asks).
	configured []string
	highlights []string
	settings   chat.Settings

	channels map[string]*channel
	current  string
	// conn is the state of the link to Redis.
	conn chat.StateEvent
	// online says who is online (of the people in joined channels);
	// authors are every author seen, for completion.
	online  map[string]bool
	authors map[string]bool
	// threadMarks are the user's read markers of threads, by
	// chat.ThreadMarker (thread.go).
	threadMarks map[string]chat.ID
	// away is who is away (by name: message); toldAway the away messages
	// said already.
	away, toldAway map[string]string
	// dmWarned is set once the window said that direct messages are not
	// private on this server.
	dmWarned bool
	// drafts are the unsent texts by conversation (drafts.go).
	drafts map[string]string
}

func newModel(me string, highlights []string) *model {
	m := &model{
		me:         me,
		configured: highlights,
		channels:   map[string]*channel{},
		conn:       chat.StateEvent{State: chat.StateConnecting},
		online:     map[string]bool{},
		authors:    map[string]bool{},
		away:       map[string]string{},
		toldAway:   map[string]string{},
		drafts:     map[string]string{},
	}
	m.highlights = m.highlightWords(m.settings)
	return m
}

// highlighted reports whether text holds one of the highlight words (as
// a word, in any case).
func (m *model) highlighted(text string) bool {
	for _, w := range m.highlights {
		if chat.Mentions(text, w) {
			return true
		}
	}
	return false
}

// highlightWords are the configured words and those stored in s.
func (m *model) highlightWords(s chat.Settings) []string {
	words := slices.Clone(m.configured)
	for _, w := range s.Highlights {
		if !slices.Contains(words, w) {
			words = append(words, w)
		}
	}
	return words
}

// isMention reports whether text calls on the user: their name, a
// highlight word, or @here, @channel or @everyone.
func (m *model) isMention(text string) bool {
	return chat.Mentions(text, m.me) || chat.CallsEveryone(text) || m.highlighted(text)
}

// level is conv's notification level.
func (m *model) level(conv string) chat.Level { return m.settings.Level(conv) }

// reach is what a message does to get the person's attention.
type reach struct {
	// bell rings the terminal; notify sends a notification.
	bell, notify bool
}

// reaches decides what message msg of conversation conv does to reach
// the person, by the conversation's level, do-not-disturb and whether it
// is on screen while the window has the focus (seen: no notification).
// mention is whether it calls on them.
func (m *model) reaches(conv string, msg chat.Message, mention, seen bool, now time.Time) reach {
	if msg.User == m.me || msg.Ephemeral || msg.ID.IsZero() || !msg.Kind.Shown() {
		return reach{}
	}
	level := m.level(conv)
	_, dm := chat.PeerOf(conv)
	switch {
	case level == chat.LevelNone || level == chat.LevelMute:
		return reach{}
	case level == chat.LevelMentions && !mention && !dm:
		return reach{}
	}
	dnd := m.settings.DND(now)
	return reach{bell: mention && !dnd, notify: !seen && !dnd}
}

// conversation turns a name as typed into a conversation: "@bob" and
// "+secret" as they are; "#name" or "name" is the private channel of that
// name when the user belongs to one, else the public channel.
func (m *model) conversation(name string) string {
	// Names are lower case: "#Dev" is #dev, as people type it.
	name = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(name), "#")))
	if strings.HasPrefix(name, "@") || strings.HasPrefix(name, "+") {
		return name
	}
	if c := m.channels[chat.Private(name)]; c != nil && (c.known || c.joined) {
		return chat.Private(name)
	}
	return name
}

// learnWho records what a Who read of c said: its members, who of them is
// online, and who is away.
func (m *model) learnWho(c *channel, who chat.Presence) {
	c.setMembers(who.Members)
	for _, u := range who.Members {
		m.online[u] = slices.Contains(who.Online, u)
		if msg, ok := who.Away[u]; ok {
			m.away[u] = msg
		} else {
			delete(m.away, u)
		}
	}
}
