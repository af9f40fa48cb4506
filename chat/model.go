package chat

import (
	"strconv"
	"strings"
	"time"
)

// User is a person who chats. Usernames are unique; ID is assigned by Redis
// the first time the user is seen and never changes.
type User struct {
	ID      string
	Name    string
	Created time.Time
}

// Channel is a named conversation. Names are unique; ID is assigned when the
// channel is created (a short number from a counter; channels made by older
// versions have 32 hex digits). Members is filled in by ChannelManager.List
// and Get.
type Channel struct {
	ID          string
	Name        string
	Description string
	CreatedBy   string
	Created     time.Time
	Members     int64
	// Private is set for a private channel (its Name starts with "+").
	Private bool
}

// Kind says what sort of message an entry is.
type Kind string

// Message kinds.
const (
	// KindText is an ordinary line of chat.
	KindText Kind = ""
	// KindAction is a "/me" action: "* alice waves".
	KindAction Kind = "action"
	// KindEdit replaces the text of the author's message Ref.
	KindEdit Kind = "edit"
	// KindDelete deletes the author's message Ref.
	KindDelete Kind = "delete"
	// KindReact adds the reaction Text (an emoji) to message Ref, or takes
	// the author's back when they had given it.
	KindReact Kind = "react"
)

// Shown reports whether messages of kind k are shown as lines of their
// own (the others change a message shown).
func (k Kind) Shown() bool { return k == KindText || k == KindAction }

// known reports whether k is a kind rtchat knows.
func (k Kind) known() bool { return k.Shown() || k == KindEdit || k == KindDelete || k == KindReact }

// Message is one entry of a channel's stream, or one ephemeral Pub/Sub
// message when Ephemeral is set.
type Message struct {
	// ID is the stream entry id; the zero ID for ephemeral messages.
	ID ID
	// Channel is the channel's name; ChannelID its id at the time of sending.
	Channel   string
	ChannelID string
	// MsgID is the client-made id that makes a retried send land once.
	MsgID string
	User  string
	Text  string
	// Time is when the sender sent it (falls back to the stream id's time).
	Time time.Time
	Kind Kind
	// Ephemeral marks a message that was published live without being stored.
	Ephemeral bool
	// Ref is the message an edit, a delete or a reaction is about.
	Ref ID
	// ReplyTo is the message this one answers (the zero ID: none); Thread
	// is the root of the thread it belongs to (the zero ID: the channel).
	ReplyTo, Thread ID
	// Key and Sig are the id of the device key that signed the message and
	// the signature (empty when unsigned); see Client.Verify.
	Key, Sig string
	// State is what later entries made of the message (its edit, delete,
	// reactions and thread), when it was read with it: pages of history,
	// Around and threads. Live messages carry none; the entries that change
	// them arrive as messages of their own.
	State *MessageState
	// File is the file the message carries (nil: none); its description
	// is signed with the text.
	File *FileInfo
	// As is the name a hook gave this one message (Slack's username and
	// icon_emoji; see CleanAs), signed with it; only a hook's message
	// carries one, and it is shown beside the hook's own (ShownName).
	As string
	// Quote is the message ReplyTo names, when a page read it along (it
	// lay outside the page).
	Quote *Message
	// Malformed is non-empty when the stream entry lacked fields or held odd
	// values (it was written by another tool); it says what was wrong. The
	// other fields hold whatever could be recovered.
	Malformed string
}

// Stream entry field names: the on-the-wire contract of a stored message
// (docs/DESIGN.md, "Entry format"). An entry rtchat writes holds, in this
// order, user, text, ts, mid and channel_id, kind only when it is not
// plain text, ref, reply and thread when they are set, then key and sig
// (see sign.go): entries with the same fields in the same order share
// their field names inside Redis, so the names cost nothing per message.
const (
	fieldUser      = "user"
	fieldText      = "text"
	fieldTime      = "ts"
	fieldMsgID     = "mid"
	fieldChannelID = "channel_id"
	fieldKind      = "kind"
	fieldRef       = "ref"
	fieldReply     = "reply"
	fieldThread    = "thread"
	fieldAs        = "as"
)

// maxTimestamp is the last millisecond of the year 9999: a ts beyond it (or
// before 1970) cannot be written as RFC 3339 and is marked odd.
const maxTimestamp = 253402300799999

// decodeEntry turns a stream entry into a Message. It never fails: missing or
// odd fields are recorded in Message.Malformed.
func decodeEntry(channel, rawID string, values map[string]any) Message {
	var problems []string
	id, ok := parseID(rawID)
	if !ok {
		problems = append(problems, "odd id")
	}
	m := Message{ID: id, Channel: channel}
	str := func(field string, required bool) string {
		v, ok := values[field]
		if !ok {
			if required {
				problems = append(problems, "no "+field)
			}
			return ""
		}
		s, ok := v.(string)
		if !ok {
			problems = append(problems, field+" is not text")
			return ""
		}
		return s
	}
	for _, name := range [...]string{fieldMsgID, fieldChannelID, fieldUser, fieldText, fieldKey, fieldSig, fieldAs} {
		*m.textField(name) = str(name, name == fieldUser || name == fieldText)
	}
	m.Kind = Kind(str(fieldKind, false))
	for _, name := range [...]string{fieldRef, fieldReply, fieldThread} {
		if raw := str(name, false); raw != "" {
			if id, ok := parseID(raw); ok {
				*m.idField(name) = id
			} else {
				problems = append(problems, name+" is not a stream id")
			}
		}
	}
	if odd := str(fieldOdd, false); odd != "" {
		problems = append(problems, odd)
	}
	if raw := str(fieldFile, false); raw != "" {
		problems = m.setFile(raw, problems)
	}
	problems = checkUserKind(&m, problems)
	if ts := str(fieldTime, false); ts != "" {
		ms, err := strconv.ParseInt(ts, 10, 64)
		switch {
		case err != nil:
			problems = append(problems, "ts is not a number")
		case ms < 0 || ms > maxTimestamp:
			problems = append(problems, "ts is out of range")
		default:
			m.Time = time.UnixMilli(ms)
		}
	}
	if m.Time.IsZero() && id.MS <= maxTimestamp {
		m.Time = id.Time()
	}
	if len(problems) > 0 {
		m.Malformed = strings.Join(problems, ", ")
	}
	return m
}

// entryMore lists the field/value pairs of m's entry that follow its
// fixed fields (user, text, ts, mid, channel_id, whose names the send
// script holds), those that apply (see fieldUser for the order).
func entryMore(m Message) []any {
	f := make([]any, 0, 12)
	if m.Kind != KindText {
		f = append(f, fieldKind, string(m.Kind))
	}
	for _, r := range m.refs() {
		f = append(f, r.name, r.id.String())
	}
	if m.File != nil {
		f = append(f, fieldFile, m.File.raw)
	}
	if m.As != "" {
		f = append(f, fieldAs, m.As)
	}
	if m.Sig != "" {
		f = append(f, fieldKey, m.Key, fieldSig, m.Sig)
	}
	return f
}

// setFile reads a file field into m (a damaged one is a problem, and no
// file).
func (m *Message) setFile(raw string, problems []string) []string {
	f, ok := decodeFileInfo(raw)
	if !ok {
		return append(problems, "file is damaged")
	}
	m.File = f
	return problems
}

type namedRef struct {
	name string
	id   ID
}

// refs are m's references to other messages that are set, in entry order.
func (m *Message) refs() []namedRef {
	var out []namedRef
	for _, r := range []namedRef{{fieldRef, m.Ref}, {fieldReply, m.ReplyTo}, {fieldThread, m.Thread}} {
		if !r.id.IsZero() {
			out = append(out, r)
		}
	}
	return out
}

// textField is m's field of text stored under name (nil for others).
func (m *Message) textField(name string) *string {
	switch name {
	case fieldMsgID:
		return &m.MsgID
	case fieldChannelID:
		return &m.ChannelID
	case fieldUser:
		return &m.User
	case fieldText:
		return &m.Text
	case fieldKey:
		return &m.Key
	case fieldSig:
		return &m.Sig
	case fieldAs:
		return &m.As
	}
	return nil
}

// idField is m's field of a stream id stored under name (ref, reply,
// thread; nil for others).
func (m *Message) idField(name string) *ID {
	switch name {
	case fieldRef:
		return &m.Ref
	case fieldReply:
		return &m.ReplyTo
	case fieldThread:
		return &m.Thread
	}
	return nil
}

// checkUserKind adds to problems what is wrong with m's user and kind; a
// kind not known, or a change of no message, becomes plain text.
func checkUserKind(m *Message, problems []string) []string {
	if m.User != "" && !validAuthor(m.User) {
		problems = append(problems, "user is not a valid name")
	}
	if m.As != "" {
		if _, hook := HookName(m.User); !hook || m.As != CleanAs(m.As) {
			problems = append(problems, "as is not a hook's name for its message")
			m.As = ""
		}
	}
	if !m.Kind.known() {
		problems = append(problems, "unknown kind "+strconv.Quote(truncateForError(string(m.Kind))))
		m.Kind = KindText
	}
	if !m.Kind.Shown() && m.Ref.IsZero() {
		problems = append(problems, string(m.Kind)+" of no message")
		m.Kind = KindText
	}
	return problems
}
