package chat

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// A live payload is what a channel's Pub/Sub topic carries for a stored
// entry (docs/DESIGN.md, "Live payload"):
//
//	v2\n<id>\n<prev>\n<fields>
//
// id is the stream id the entry got, prev the id of the entry before it in
// the stream ("" when there was none), so that a receiver can tell whether
// the entry follows what it has shown. fields are the entry's fields, each
// written name:length:value with no separator, so any byte may appear in a
// value and decoding needs no reflection. An ephemeral message (published,
// never stored) has neither id nor prev. Payloads of earlier versions
// ("id\nprev\nchannel_id\n{json}") still decode.
const liveVersion = "v2\n"

// appendField appends one field of a live payload.
func appendField(b []byte, name, value string) []byte {
	b = append(b, name...)
	b = append(b, ':')
	b = strconv.AppendInt(b, int64(len(value)), 10)
	b = append(b, ':')
	return append(b, value...)
}

// fieldOdd carries Message.Malformed of an entry another tool wrote,
// when a watcher fans it out.
const fieldOdd = "odd"

// liveFields encodes the fields of m that a live payload carries, but the
// channel id, which the send script adds.
func liveFields(m Message) string {
	b := make([]byte, 0, len(m.Text)+len(m.User)+64)
	b = appendField(b, fieldMsgID, m.MsgID)
	b = appendField(b, fieldUser, m.User)
	b = appendField(b, fieldTime, strconv.FormatInt(m.Time.UnixMilli(), 10))
	if m.Kind != KindText {
		b = appendField(b, fieldKind, string(m.Kind))
	}
	for _, r := range m.refs() {
		b = appendField(b, r.name, r.id.String())
	}
	if m.File != nil {
		b = appendField(b, fieldFile, m.File.raw)
	}
	if m.As != "" {
		b = appendField(b, fieldAs, m.As)
	}
	if m.Malformed != "" {
		b = appendField(b, fieldOdd, m.Malformed)
	}
	if m.Sig != "" {
		b = appendField(b, fieldKey, m.Key)
		b = appendField(b, fieldSig, m.Sig)
	}
	b = appendField(b, fieldText, m.Text)
	return string(b)
}

// encodeLive builds the live payload of stored message m whose stream
// predecessor is prev.
func encodeLive(m Message, prev ID) string {
	cid := string(appendField(nil, fieldChannelID, m.ChannelID))
	return liveVersion + m.ID.String() + "\n" + prev.String() + "\n" + cid + liveFields(m)
}

// errLiveFormat says a live payload could not be decoded.
var errLiveFormat = errors.New("live payload is not in rtchat's format")

// decodeLive parses a live payload of channel. prev is the id of the entry
// before it in the stream (zero: none, or not known).
func decodeLive(channel, payload string) (m Message, prev ID, err error) {
	rest, ok := strings.CutPrefix(payload, liveVersion)
	if !ok {
		return decodeLiveV1(channel, payload)
	}
	rawID, rest, ok1 := strings.Cut(rest, "\n")
	rawPrev, body, ok2 := strings.Cut(rest, "\n")
	if !ok1 || !ok2 {
		return Message{}, ID{}, errLiveFormat
	}
	m = Message{Channel: channel, Ephemeral: rawID == ""}
	if !m.Ephemeral {
		if m.ID, ok = parseID(rawID); !ok || m.ID.IsZero() {
			return Message{}, ID{}, fmt.Errorf("%w: odd id", errLiveFormat)
		}
	}
	if rawPrev != "" {
		if prev, ok = parseID(rawPrev); !ok {
			return Message{}, ID{}, fmt.Errorf("%w: odd previous id", errLiveFormat)
		}
	}
	var problems []string
	for body != "" {
		name, value, more, err := nextField(body)
		if err != nil {
			return Message{}, ID{}, err
		}
		body = more
		if p := m.textField(name); p != nil {
			*p = value
			continue
		}
		switch name {
		case fieldKind:
			m.Kind = Kind(value)
		case fieldRef, fieldReply, fieldThread:
			id, ok := parseID(value)
			if !ok || id.IsZero() {
				problems = append(problems, name+" is not a stream id")
				continue
			}
			*m.idField(name) = id
		case fieldOdd:
			problems = append(problems, value)
		case fieldFile:
			problems = m.setFile(value, problems)
		case fieldTime:
			ms, err := strconv.ParseInt(value, 10, 64)
			if err != nil || ms < 0 || ms > maxTimestamp {
				problems = append(problems, "ts is out of range")
				continue
			}
			m.Time = time.UnixMilli(ms)
		}
	}
	if m.Time.IsZero() && !m.Ephemeral && m.ID.MS <= maxTimestamp {
		m.Time = m.ID.Time()
	}
	checkDecoded(&m, problems)
	return m, prev, nil
}

// nextField splits the first name:length:value field off body.
func nextField(body string) (name, value, rest string, err error) {
	name, rest, ok := strings.Cut(body, ":")
	if !ok {
		return "", "", "", fmt.Errorf("%w: a field has no length", errLiveFormat)
	}
	n, rest, ok := strings.Cut(rest, ":")
	size, perr := strconv.Atoi(n)
	if !ok || perr != nil || size < 0 || size > len(rest) {
		return "", "", "", fmt.Errorf("%w: field %q has a bad length", errLiveFormat, truncateForError(name))
	}
	return name, rest[:size], rest[size:], nil
}

// checkDecoded records what is odd about a decoded live message.
func checkDecoded(m *Message, problems []string) {
	if m.User == "" {
		problems = append(problems, "no user")
	}
	problems = checkUserKind(m, problems)
	if len(problems) > 0 {
		m.Malformed = strings.Join(problems, ", ")
	}
}

// liveBodyV1 is the JSON part of a payload of rtchat 0.1.
type liveBodyV1 struct {
	MsgID string `json:"mid"`
	User  string `json:"user"`
	Text  string `json:"text"`
	TS    int64  `json:"ts"`
	Kind  Kind   `json:"kind,omitempty"`
}

// decodeLiveV1 parses a payload of rtchat 0.1: "id\nprev\nchannel_id\n{json}".
func decodeLiveV1(channel, payload string) (Message, ID, error) {
	parts := strings.SplitN(payload, "\n", 4)
	if len(parts) != 4 || !strings.HasPrefix(parts[3], "{") {
		return Message{}, ID{}, errLiveFormat
	}
	var b liveBodyV1
	if err := json.Unmarshal([]byte(parts[3]), &b); err != nil {
		return Message{}, ID{}, fmt.Errorf("%w: %w", errLiveFormat, err)
	}
	m := Message{Channel: channel, ChannelID: parts[2], MsgID: b.MsgID, User: b.User, Text: b.Text, Kind: b.Kind, Ephemeral: parts[0] == ""}
	var ok bool
	if !m.Ephemeral {
		if m.ID, ok = parseID(parts[0]); !ok || m.ID.IsZero() {
			return Message{}, ID{}, fmt.Errorf("%w: odd id", errLiveFormat)
		}
	}
	prev, _ := parseID(parts[1]) // "" (none) and "?" (unknown) are the zero ID
	var problems []string
	if b.TS < 0 || b.TS > maxTimestamp {
		problems = append(problems, "ts is out of range")
	} else if b.TS > 0 {
		m.Time = time.UnixMilli(b.TS)
	}
	if m.Time.IsZero() && m.ID.MS <= maxTimestamp {
		m.Time = m.ID.Time()
	}
	checkDecoded(&m, problems)
	return m, prev, nil
}
