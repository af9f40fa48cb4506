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
// channel is created. Members is filled in by ChannelManager.List and Get.
type Channel struct {
	ID          string
	Name        string
	Description string
	CreatedBy   string
	Created     time.Time
	Members     int64
}

// Kind says what sort of message an entry is.
type Kind string

// Message kinds.
const (
	// KindText is an ordinary line of chat.
	KindText Kind = ""
	// KindAction is a "/me" action: "* alice waves".
	KindAction Kind = "action"
)

// Message is one entry of a channel's stream, or one ephemeral Pub/Sub
// message when Ephemeral is set.
type Message struct {
	// ID is the stream entry id ("1700000000000-0"); empty for ephemeral messages.
	ID string
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
	// Malformed is non-empty when the stream entry lacked fields or held odd
	// values (it was written by another tool); it says what was wrong. The
	// other fields hold whatever could be recovered.
	Malformed string
}

// Stream entry field names: the on-the-wire contract of a stored message.
const (
	fieldMsgID     = "mid"
	fieldChannelID = "channel_id"
	fieldUser      = "user"
	fieldText      = "text"
	fieldTime      = "ts"
	fieldKind      = "kind"
)

// streamID is a parsed stream entry id, comparable in stream order.
type streamID struct{ ms, seq uint64 }

// parseStreamID parses "ms-seq" (or "ms"); ok is false for anything else.
func parseStreamID(s string) (streamID, bool) {
	msPart, seqPart, hasSeq := strings.Cut(s, "-")
	ms, err := strconv.ParseUint(msPart, 10, 64)
	if err != nil {
		return streamID{}, false
	}
	var seq uint64
	if hasSeq {
		if seq, err = strconv.ParseUint(seqPart, 10, 64); err != nil {
			return streamID{}, false
		}
	}
	return streamID{ms, seq}, true
}

func (a streamID) after(b streamID) bool {
	return a.ms > b.ms || (a.ms == b.ms && a.seq > b.seq)
}

func (a streamID) String() string {
	return strconv.FormatUint(a.ms, 10) + "-" + strconv.FormatUint(a.seq, 10)
}

// IDAfter reports whether stream id a comes after stream id b. An id that does
// not parse sorts before every valid one.
func IDAfter(a, b string) bool {
	pa, okA := parseStreamID(a)
	pb, okB := parseStreamID(b)
	switch {
	case !okA:
		return false
	case !okB:
		return true
	}
	return pa.after(pb)
}

// decodeEntry turns a stream entry into a Message. It never fails: missing or
// odd fields are recorded in Message.Malformed.
func decodeEntry(channel, id string, values map[string]any) Message {
	m := Message{ID: id, Channel: channel}
	var problems []string
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
	m.MsgID = str(fieldMsgID, false)
	m.ChannelID = str(fieldChannelID, false)
	m.User = str(fieldUser, true)
	m.Text = str(fieldText, true)
	m.Kind = Kind(str(fieldKind, false))
	if m.Kind != KindText && m.Kind != KindAction {
		problems = append(problems, "unknown kind "+strconv.Quote(string(m.Kind)))
		m.Kind = KindText
	}
	if ts := str(fieldTime, false); ts != "" {
		ms, err := strconv.ParseInt(ts, 10, 64)
		if err != nil {
			problems = append(problems, "ts is not a number")
		} else {
			m.Time = time.UnixMilli(ms)
		}
	}
	if m.Time.IsZero() {
		if sid, ok := parseStreamID(id); ok {
			m.Time = time.UnixMilli(int64(sid.ms))
		}
	}
	if len(problems) > 0 {
		m.Malformed = strings.Join(problems, ", ")
	}
	return m
}
