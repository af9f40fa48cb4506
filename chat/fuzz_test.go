package chat

import (
	"strings"
	"testing"
	"time"
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

// FuzzSignature: a signature holds for exactly the message it was made
// for: any change to a signed field, or another conversation, fails it;
// odd key ids, keys and signatures are refused without a panic.
func FuzzSignature(f *testing.F) {
	f.Add("general", "alice", "hi", "m1", int64(1700000000000), "", "general", "alice", "hi", "m1", int64(1700000000000), "", "abc", "key", "sig")
	f.Add("@bob", "alice", "x", "m", int64(0), "action", "@alice", "alice", "x", "m", int64(0), "action", "", "", "")
	f.Add("+s", "a", "t", "m", int64(5), "", "s", "a", "t", "m", int64(5), "", "A_-", "AAAA", "\x00")
	s := NewSigner()
	f.Fuzz(func(t *testing.T, conv, user, text, mid string, ts int64, kind, conv2, user2, text2, mid2 string, ts2 int64, kind2, id, key, sig string) {
		m := Message{User: user, Text: text, MsgID: mid, Time: time.UnixMilli(ts), Kind: Kind(kind)}
		s.sign(canonicalConv(conv, user), &m)
		pub, ok := parsePublicKey(s.KeyID(), s.PublicKey())
		if !ok {
			t.Fatal("the signer's own key does not parse")
		}
		if judge(&m, pub, canonicalConv(conv, user)) != Verified {
			t.Fatalf("a fresh signature fails: %+v", m)
		}
		other := Message{User: user2, Text: text2, MsgID: mid2, Time: time.UnixMilli(ts2), Kind: Kind(kind2), Key: m.Key, Sig: m.Sig}
		same := canonicalConv(conv, user) == canonicalConv(conv2, user) && user == user2 && text == text2 && mid == mid2 && ts == ts2 && kind == kind2
		if got := judge(&other, pub, canonicalConv(conv2, user)); (got == Verified) != same {
			t.Fatalf("signature of %+v in %q judged %v for %+v in %q", m, conv, got, other, conv2)
		}
		if p, ok := parsePublicKey(id, key); ok && KeyID(p) != id {
			t.Fatalf("key %q accepted under another id %q", key, id)
		}
		forged := Message{User: user, Text: text, MsgID: mid, Time: time.UnixMilli(ts), Kind: Kind(kind), Key: id, Sig: sig}
		if judge(&forged, pub, canonicalConv(conv, user)) == Verified && sig != m.Sig {
			t.Fatalf("a made-up signature %q passes", sig)
		}
	})
}

// FuzzConvNames: conversation names and the topics they live on decode
// without a panic, and a direct conversation's topic names the other
// person for either side.
func FuzzConvNames(f *testing.F) {
	f.Add("alice", "bob", "dm:{alice,bob}")
	f.Add("a", "a", "privmsg:{x}")
	f.Add("", "@", "dm:{,}")
	f.Add("x-1", "y_2", "dm:{*,x-1}")
	f.Add("0", "0", "privmsg:{}") // once decoded to the conversation "+"
	k := DefaultKeys()
	f.Fuzz(func(t *testing.T, a, b, topic string) {
		c := &Client{keys: k, opts: Options{User: a}}
		c.hist = history{c}
		if conv, ok := c.hist.convOfTopic(topic); ok && ValidateConv(conv) != nil {
			t.Fatalf("topic %q gave the invalid conversation %q", topic, conv)
		}
		_ = Display(topic)
		_ = ValidateConv(topic)
		if ValidateName(a) != nil || ValidateName(b) != nil || a == b {
			return
		}
		if conv, ok := c.hist.convOfTopic(k.DMStream(a, b)); !ok || conv != DM(b) {
			t.Fatalf("%s reads the topic of its conversation with %s as %q", a, b, conv)
		}
		if k.DMStream(a, b) != k.DMStream(b, a) || canonicalConv(DM(b), a) != canonicalConv(DM(a), b) {
			t.Fatalf("the two sides of %s,%s name their conversation differently", a, b)
		}
	})
}

// FuzzDecodeState: a shared state and an author's changes, whoever wrote
// them, decode without a panic; an edit counts only when made with the
// original's key, and never from the shared state.
func FuzzDecodeState(f *testing.F) {
	f.Add(`{"r":{"👍":["a"]},"n":2,"l":"3-0","p":["a"]}`, `{"e":{"id":"2-0","t":"x","ts":"1","m":"m","k":"K","s":""}}`, "K")
	f.Add(`{"d":{"id":"bad"},"r":{"":[]},"n":-1}`, `{"d":"x"}`, "")
	f.Add(`{"e":{"id":"2-0","t":"forged","ts":"1","m":"m","k":"K","s":""},"p":{}}`, ``, "K")
	f.Add(`not json`, `not json`, "K")
	f.Fuzz(func(t *testing.T, raw, changes, key string) {
		m := Message{ID: ID{1, 0}, User: "alice", Key: key, Sig: map[bool]string{true: "", false: "s"}[key == ""]}
		s := decodeState(&m, raw, changes)
		if shared := decodeState(&m, raw, ""); shared != nil && (shared.Edit != nil || shared.Deleted != nil) {
			t.Fatalf("an edit or delete taken from the shared state: %+v", shared)
		}
		if s == nil {
			return
		}
		if s.Edit != nil && (s.Edit.User != "alice" || (m.Sig != "" && s.Edit.Key != key) || s.Edit.Ref != m.ID) {
			t.Fatalf("an edit of someone else, or with another key: %+v", s.Edit)
		}
		for e, us := range s.Reactions {
			if e == "" || len(us) == 0 {
				t.Fatalf("an empty reaction kept: %q %v", e, us)
			}
		}
		_ = m.Current()
		_ = s.Counts()
	})
}

// FuzzParseQuery: any typed query parses or says why, never panics, and
// what it hands the search function holds no line break (its terms are
// passed one a line).
func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{`deploy "disk full" from:alice in:#ops after:2026-11-01 has:link`, `"unclosed`, "on:today is:thread", "in:@bob x", "a:b:c", "\n\t\"\""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := ParseQuery(s, time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC))
		if err != nil {
			return
		}
		for _, term := range q.Terms {
			if term == "" || strings.ContainsAny(term, "\r\n") {
				t.Fatalf("%q: term %q", s, term)
			}
		}
	})
}
