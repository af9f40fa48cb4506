package chat

import (
	"testing"
	"unicode/utf8"
)

func FuzzDecodeEntry(f *testing.F) {
	f.Add("1-0", "mid", "m1", "user", "alice", "text", "hi", "ts", "1700000000000", "kind", "")
	f.Add("junk", "user", "", "text", "\xff", "ts", "x", "kind", "weird", "", "")
	f.Fuzz(func(t *testing.T, id, k1, v1, k2, v2, k3, v3, k4, v4, k5, v5 string) {
		values := map[string]any{k1: v1, k2: v2, k3: v3, k4: v4, k5: v5}
		m := decodeEntry("general", id, values)
		if parsed, ok := parseID(id); (ok && m.ID != parsed) || (!ok && m.Malformed == "") || m.Channel != "general" {
			t.Fatalf("decodeEntry changed id or channel: %+v", m)
		}
		if m.Kind != KindText && m.Kind != KindAction {
			t.Fatalf("unknown kind %q let through", m.Kind)
		}
		_, hasUser := values[fieldUser]
		_, hasText := values[fieldText]
		if (!hasUser || !hasText) && m.Malformed == "" {
			t.Fatalf("an entry without user or text is not marked: %+v", m)
		}
	})
}

func FuzzDecodeLive(f *testing.F) {
	f.Add("2-0\n1-0\nc1\n{\"mid\":\"m\",\"user\":\"a\",\"text\":\"hi\",\"ts\":1}")
	f.Add("\n\n\n{}")
	f.Add("garbage")
	f.Add("v2\n2-0\n1-0\nmid:1:mchannel_id:1:7user:5:alicets:13:1700000000000text:2:hi")
	f.Add("v2\n99999999999999-0\n\nuser:3:bobtext:6:FORGED")
	f.Add("v2\n18446744073709551615-18446744073709551615\n1-0\nts:20:99999999999999999999")
	f.Add("v2\n\n\nuser:1:xtext:-1:")
	f.Fuzz(func(t *testing.T, payload string) {
		m, prev, err := decodeLive("general", payload)
		if err != nil {
			return
		}
		if m.Kind != KindText && m.Kind != KindAction {
			t.Fatalf("unknown kind %q let through", m.Kind)
		}
		if m.Ephemeral != m.ID.IsZero() {
			t.Fatalf("ephemeral flag wrong for %+v", m)
		}
		if !m.Ephemeral && m.ID.String() == "" {
			t.Fatalf("a stored entry without an id: %+v", m)
		}
		if m.User != "" && !validName(m.User) && m.Malformed == "" {
			t.Fatalf("an odd user is not marked: %+v", m)
		}
		// A decoded payload encodes back to one that decodes the same.
		if !m.Ephemeral {
			again, p2, err := decodeLive("general", encodeLive(m, prev))
			if err != nil || p2 != prev || again.ID != m.ID || again.Text != m.Text || again.User != m.User {
				t.Fatalf("re-encoding %+v gave %+v, %v", m, again, err)
			}
		}
	})
}

func FuzzPrintable(f *testing.F) {
	f.Add("\x1b[2J\x07\u202e\xff ok")
	f.Fuzz(func(t *testing.T, s string) {
		out := Printable(s)
		if !utf8.ValidString(out) {
			t.Fatalf("Printable(%q) is invalid UTF-8", s)
		}
		if Printable(out) != out {
			t.Fatalf("Printable is not idempotent on %q", s)
		}
	})
}
