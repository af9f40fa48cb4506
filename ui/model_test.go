package ui

import (
	"slices"
	"testing"
	"time"

	"github.com/rtchat/rtchat/chat"
)

// The model decides what reaches the person without a screen: levels,
// mentions, direct messages, do-not-disturb and what is already seen.
func TestModelReaches(t *testing.T) {
	now := time.Now()
	m := newModel("me", []string{"deploy"})
	m.settings = chat.Settings{Levels: map[string]chat.Level{"loud": chat.LevelAll, "quiet": chat.LevelNone, "muted": chat.LevelMute}}
	msg := func(user, text string) chat.Message {
		return chat.Message{ID: chat.ID{MS: 1}, User: user, Text: text, Kind: chat.KindText}
	}
	cases := []struct {
		name, conv   string
		msg          chat.Message
		seen, dnd    bool
		bell, notify bool
	}{
		{"a plain message in a mentions channel", "general", msg("bob", "hi"), false, false, false, false},
		{"a mention", "general", msg("bob", "hi me"), false, false, true, true},
		{"a highlight word", "general", msg("bob", "Deploy now"), false, false, true, true},
		{"a mention on screen", "general", msg("bob", "hi me"), true, false, true, false},
		{"a mention in do-not-disturb", "general", msg("bob", "hi me"), false, true, false, false},
		{"every message of an all channel", "loud", msg("bob", "hi"), false, false, false, true},
		{"a mention in a none channel", "quiet", msg("bob", "hi me"), false, false, false, false},
		{"a mention in a muted channel", "muted", msg("bob", "hi me"), false, false, false, false},
		{"a direct message", "@bob", msg("bob", "hi"), false, false, false, true},
		{"my own mention", "general", msg("me", "me"), false, false, false, false},
		{"a pending message", "general", chat.Message{User: "bob", Text: "me", Kind: chat.KindText}, false, false, false, false},
	}
	for _, c := range cases {
		m.settings.DNDUntil = time.Time{}
		if c.dnd {
			m.settings.DNDUntil = now.Add(time.Hour)
		}
		r := m.reaches(c.conv, c.msg, m.isMention(c.msg.Text), c.seen, now)
		if r.bell != c.bell || r.notify != c.notify {
			t.Errorf("%s: bell %v notify %v, want %v %v", c.name, r.bell, r.notify, c.bell, c.notify)
		}
	}
}

// Stored highlight words add to the configured ones; a private channel
// the user knows is what its bare name means; unsent messages count
// across conversations; completion offers authors and members.
func TestModelConversations(t *testing.T) {
	m := newModel("me", []string{"deploy"})
	if got := m.highlightWords(chat.Settings{Highlights: []string{"oncall", "deploy"}}); !slices.Equal(got, []string{"deploy", "oncall"}) {
		t.Errorf("highlightWords = %v", got)
	}
	if m.conversation("#ops") != "ops" || m.conversation("@bob") != "@bob" {
		t.Errorf("conversation: %q %q", m.conversation("#ops"), m.conversation("@bob"))
	}
	secret := newChannel(newChannelLog("+ops"))
	secret.known = true
	m.channels["+ops"] = secret
	if got := m.conversation("ops"); got != "+ops" {
		t.Errorf("conversation(ops) with a known private ops = %q", got)
	}
	gen := newChannel(newChannelLog("general"))
	gen.members = []string{"carol"}
	m.channels["general"] = gen
	m.current = "general"
	if m.shown() != gen {
		t.Error("shown is not the current conversation")
	}
	gen.log.pending["x"], secret.log.pending["y"] = 1, 2
	if n := m.pendingCount(); n != 2 {
		t.Errorf("pendingCount = %d, want 2", n)
	}
	m.authors["bob"] = true
	// Everyone known, not only the conversation on screen: members of
	// others, the people of direct conversations, who is online.
	side := newChannel(newChannelLog("side"))
	side.members = []string{"erin"}
	m.channels["side"], m.channels[chat.DM("dave")] = side, newChannel(newChannelLog(chat.DM("dave")))
	m.online["frank"] = true
	m.current = chat.DM("dave")
	if names := m.userNames(); !slices.Equal(names, []string{"bob", "carol", "dave", "erin", "frank"}) {
		t.Errorf("userNames = %v", names)
	}
}
