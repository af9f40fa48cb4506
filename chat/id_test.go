package chat_test

import (
	"testing"

	"github.com/rtchat/rtchat/chat"
)

func TestIDAfter(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"2-0", "1-0", true},
		{"1-1", "1-0", true},
		{"1-0", "1-0", false},
		{"10-0", "9-5", true},
		{"1-0", "", true},
		{"junk", "1-0", false},
	} {
		if got := chat.IDAfter(tc.a, tc.b); got != tc.want {
			t.Errorf("IDAfter(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestParseID(t *testing.T) {
	for in, want := range map[string]chat.ID{"1-0": {MS: 1}, "1700000000000-5": {MS: 1700000000000, Seq: 5}, "42": {MS: 42}} {
		got, err := chat.ParseID(in)
		if err != nil || got != want || (in != "42" && got.String() != in) {
			t.Errorf("ParseID(%q) = %v, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "-", "1-", "a-1", "1-b", "1-2-3", "-1-0", "99999999999999999999-0"} {
		if id, err := chat.ParseID(bad); err == nil {
			t.Errorf("ParseID(%q) = %v, want an error", bad, id)
		}
	}
	if (chat.ID{}).String() != "" || !(chat.ID{MS: 2}).After(chat.ID{MS: 1, Seq: 9}) || (chat.ID{MS: 1}).Compare(chat.ID{MS: 1}) != 0 {
		t.Fatal("zero ID, After or Compare")
	}
}
