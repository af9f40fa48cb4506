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
	f.Fuzz(func(t *testing.T, payload string) {
		m, _, err := decodeLive("general", payload)
		if err != nil {
			return
		}
		if m.Kind != KindText && m.Kind != KindAction {
			t.Fatalf("unknown kind %q let through", m.Kind)
		}
		if m.Ephemeral != m.ID.IsZero() {
			t.Fatalf("ephemeral flag wrong for %+v", m)
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
