package chat

import (
	"encoding/base64"
	"encoding/json"
	"slices"
	"sort"
	"strconv"
	"time"
)

// A conversation's structure — edits, deletes, reactions, threads — is
// made of entries of its stream like every message (docs/DESIGN.md,
// "Structure"), so it is delivered once, in order, like every message.
// So that a page of history does not need every later entry, the send
// script also keeps each message's current state in a Hash beside the
// stream (stream key + ":state", message id → JSON), and a page reads the
// states of its messages in the same call.

// MessageState is what later entries made of a message.
type MessageState struct {
	// Edit is the author's latest edit (its Text is what the message says
	// now); nil when never edited.
	Edit *Message
	// Deleted is the author's delete; nil when not deleted.
	Deleted *Message
	// Reactions are the reactions given, by emoji: who gave each, in the
	// order they did.
	Reactions map[string][]string
	// Replies counts the message's thread; LastReply is the newest reply's
	// id; Participants are who wrote in the thread (its author first).
	Replies      int
	LastReply    ID
	Participants []string
}

// Current is what message m says now: its latest edit's text, "" when
// deleted.
func (m *Message) Current() string {
	switch {
	case m.State == nil:
		return m.Text
	case m.State.Deleted != nil:
		return ""
	case m.State.Edit != nil:
		return m.State.Edit.Text
	}
	return m.Text
}

// ReactionCount is one emoji's count under a message.
type ReactionCount struct {
	Emoji string
	Users []string
}

// Counts returns the reactions, the most given first (then by emoji);
// a deleted message has none to show (what reacted to it is gone).
func (s *MessageState) Counts() []ReactionCount {
	if s == nil || s.Deleted != nil {
		return nil
	}
	out := make([]ReactionCount, 0, len(s.Reactions))
	for e, us := range s.Reactions {
		out = append(out, ReactionCount{Emoji: e, Users: us})
	}
	sort.Slice(out, func(i, j int) bool {
		if len(out[i].Users) != len(out[j].Users) {
			return len(out[i].Users) > len(out[j].Users)
		}
		return out[i].Emoji < out[j].Emoji
	})
	return out
}

// Apply changes the state of message target by entry e, as the send script
// does: an edit or delete by target's author (and, when target is signed,
// with the same key), a reaction toggled, a reply counted. It reports
// whether anything changed. Entries that do not concern target, or that
// the script would have refused, change nothing.
func Apply(target *Message, e Message) bool {
	if target.State == nil {
		target.State = &MessageState{}
	}
	s := target.State
	switch {
	case e.Kind == KindEdit || e.Kind == KindDelete:
		if e.Ref != target.ID || e.User != target.User || (target.Sig != "" && e.Key != target.Key) || s.Deleted != nil {
			return false
		}
		if e.Kind == KindDelete {
			s.Deleted = &e
		} else {
			s.Edit = &e
		}
		return true
	case e.Kind == KindReact:
		if e.Ref != target.ID || e.Text == "" {
			return false
		}
		s.toggle(e.Text, e.User)
		return true
	case !e.Thread.IsZero() && e.Kind.Shown():
		if e.Thread != target.ID || !e.ID.After(s.LastReply) {
			return false
		}
		s.Replies++
		s.LastReply = e.ID
		if len(s.Participants) == 0 {
			s.Participants = []string{target.User}
		}
		if !slices.Contains(s.Participants, e.User) {
			s.Participants = append(s.Participants, e.User)
		}
		return true
	}
	return false
}

// toggle gives user's reaction emoji, or takes it back.
func (s *MessageState) toggle(emoji, user string) {
	if s.Reactions == nil {
		s.Reactions = map[string][]string{}
	}
	us := s.Reactions[emoji]
	if i := slices.Index(us, user); i >= 0 {
		us = slices.Delete(us, i, i+1)
	} else {
		us = append(us, user)
	}
	if len(us) == 0 {
		delete(s.Reactions, emoji)
	} else {
		s.Reactions[emoji] = us
	}
}

// Target is the message entry e changes (its Ref, or the root of its
// thread); the zero ID for an entry that changes none.
func (e *Message) Target() ID {
	if !e.Kind.Shown() {
		return e.Ref
	}
	return e.Thread
}

// changeJSON is an edit or a delete as its author's changes keep it:
// enough of the entry to check its signature. (The shared state keeps
// reactions as "r": emoji → users, and a thread as "n" replies, "l" the
// newest, "p" the people in it.)
type changeJSON struct {
	ID   string `json:"id"`
	Text string `json:"t"`
	TS   string `json:"ts"`
	Mid  string `json:"m"`
	Key  string `json:"k,omitempty"`
	Sig  string `json:"s,omitempty"` // base64
}

// stateFragment is what the send script records of change m, before it
// knows m's id.
func stateFragment(m *Message) string {
	b, _ := json.Marshal(changeJSON{Text: m.Text, TS: strconv.FormatInt(m.Time.UnixMilli(), 10), Mid: m.MsgID, Key: m.Key,
		Sig: base64.StdEncoding.EncodeToString([]byte(m.Sig))})
	return string(b)
}

// decodeState reads what the send script kept of message m (of
// conversation conv): raw, its shared state (reactions, thread), and
// changes, its author's edits and deletes. What does not decode counts
// for nothing, field by field: anyone who may write the shared state could
// have put it there. A change not made with the original's key counts for
// nothing either. Edits and deletes in the shared state (where rtchat 0.1
// kept them, and where anyone could forge them) are ignored; 'rtchat
// admin install' moves them to their authors' changes.
func decodeState(m *Message, raw, changes string) *MessageState {
	if raw == "" && changes == "" {
		return nil
	}
	s := &MessageState{Reactions: map[string][]string{}}
	var j map[string]json.RawMessage
	if raw != "" && json.Unmarshal([]byte(raw), &j) == nil {
		var r map[string][]string
		if json.Unmarshal(j["r"], &r) == nil {
			for e, us := range r {
				if e != "" && len(us) > 0 {
					s.Reactions[e] = us
				}
			}
		}
		_ = json.Unmarshal(j["n"], &s.Replies)
		var last string
		if json.Unmarshal(j["l"], &last) == nil {
			if id, ok := parseID(last); ok {
				s.LastReply = id
			}
		}
		_ = json.Unmarshal(j["p"], &s.Participants)
	}
	var ch struct {
		Edit    *changeJSON `json:"e"`
		Deleted *changeJSON `json:"d"`
	}
	if changes != "" && json.Unmarshal([]byte(changes), &ch) == nil {
		s.Edit = decodeChange(m, ch.Edit, KindEdit)
		s.Deleted = decodeChange(m, ch.Deleted, KindDelete)
	}
	if s.Edit == nil && s.Deleted == nil && len(s.Reactions) == 0 && s.Replies == 0 && s.LastReply.IsZero() && len(s.Participants) == 0 {
		return nil
	}
	return s
}

// decodeChange reads an edit or a delete of m as its author's changes
// keep it; nil when there is none or it is not good.
func decodeChange(m *Message, c *changeJSON, kind Kind) *Message {
	if c == nil {
		return nil
	}
	id, ok := parseID(c.ID)
	sig, err := base64.StdEncoding.DecodeString(c.Sig)
	if !ok || err != nil {
		return nil
	}
	e := Message{ID: id, Channel: m.Channel, User: m.User, Text: c.Text, MsgID: c.Mid, Kind: kind, Ref: m.ID, Key: c.Key, Sig: string(sig)}
	if ms, err := strconv.ParseInt(c.TS, 10, 64); err == nil && ms >= 0 && ms <= maxTimestamp {
		e.Time = time.UnixMilli(ms)
	}
	if m.Sig != "" && e.Key != m.Key {
		return nil // not made with the original's key
	}
	return &e
}
