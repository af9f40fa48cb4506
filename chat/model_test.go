package chat

import (
	"strings"
	"testing"
	"time"
)

func TestDecodeEntryMarksOddValues(t *testing.T) {
	for name, tc := range map[string]struct {
		id     string
		values map[string]any
		odd    string // "" for none
	}{
		"ours":           {"1700000000000-0", map[string]any{"user": "alice", "text": "hi", "ts": "1700000000000", "mid": "m", "channel_id": "1"}, ""},
		"no ts":          {"1700000000000-0", map[string]any{"user": "alice", "text": "hi"}, ""},
		"negative ts":    {"1700000000000-0", map[string]any{"user": "alice", "text": "hi", "ts": "-5"}, "ts is out of range"},
		"year 3170843":   {"1700000000000-0", map[string]any{"user": "alice", "text": "hi", "ts": "100000000000000000"}, "ts is out of range"},
		"long user":      {"1700000000000-0", map[string]any{"user": strings.Repeat("x", 300), "text": "hi"}, "user is not a valid name"},
		"user with tags": {"1700000000000-0", map[string]any{"user": "a\n[red]b", "text": "hi"}, "user is not a valid name"},
		"odd id":         {"later", map[string]any{"user": "alice", "text": "hi"}, "odd id"},
	} {
		t.Run(name, func(t *testing.T) {
			m := decodeEntry("general", tc.id, tc.values)
			if (tc.odd == "") != (m.Malformed == "") || !strings.Contains(m.Malformed, tc.odd) {
				t.Fatalf("Malformed = %q, want %q", m.Malformed, tc.odd)
			}
			// Whatever the entry holds, its time prints as RFC 3339.
			if _, err := time.Parse(time.RFC3339, m.Time.UTC().Format(time.RFC3339)); err != nil {
				t.Fatalf("time %v does not print as RFC 3339", m.Time)
			}
		})
	}
}

func TestLivePayloadRoundTrip(t *testing.T) {
	m := Message{ID: ID{1700000000000, 3}, Channel: "general", ChannelID: "7", MsgID: "abc", User: "alice",
		Text: "two\nlines: 5:x", Time: time.UnixMilli(1700000000001), Kind: KindAction}
	got, prev, err := decodeLive("general", encodeLive(m, ID{1700000000000, 2}))
	if err != nil || prev != (ID{1700000000000, 2}) {
		t.Fatalf("decode: %v, prev %v", err, prev)
	}
	if got != m {
		t.Fatalf("round trip: got %+v, want %+v", got, m)
	}
	for _, bad := range []string{"v2\nlater\n\n", "v2\n1-0\nx\n", "v2\n1-0\n\nuser:99:a", "v2\n1-0\n\nuser", "v2\n0-0\n\n"} {
		if _, _, err := decodeLive("general", bad); err == nil {
			t.Errorf("decodeLive(%q) took it", bad)
		}
	}
}
