package chat

import (
	"crypto/ed25519"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestSignerKeyFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	path := filepath.Join(dir, "alice.key")
	s, err := LoadSigner(path)
	if err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]os.FileMode{dir: 0o700, path: 0o600} {
		st, err := os.Stat(p)
		if err != nil || st.Mode().Perm() != want {
			t.Fatalf("%s: mode %v (%v), want %v", p, st.Mode().Perm(), err, want)
		}
	}
	again, err := LoadSigner(path)
	if err != nil || again.KeyID() != s.KeyID() || again.PublicKey() != s.PublicKey() {
		t.Fatalf("the key did not load back the same: %v", err)
	}
	b, _ := os.ReadFile(path)
	if strings.Contains(s.PublicKey(), string(b)) || !strings.Contains(string(b), "PRIVATE KEY") {
		t.Fatalf("unexpected key file:\n%s", b)
	}

	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadSigner(path); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("a key others may read was accepted: %v", err)
	}
	bad := filepath.Join(dir, "bad.key")
	if err := os.WriteFile(bad, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadSigner(bad); err == nil || !strings.Contains(err.Error(), "move it away") {
		t.Fatalf("a broken key file: %v", err)
	}
}

// TestSignerMadeOnceByManyAtOnce: rtchats starting at the same moment
// end up with the same key.
func TestSignerMadeOnceByManyAtOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k", "bob.key")
	ids := make([]string, 8)
	var wg sync.WaitGroup
	for i := range ids {
		wg.Go(func() {
			s, err := LoadSigner(path)
			if err != nil {
				t.Error(err)
				return
			}
			ids[i] = s.KeyID()
		})
	}
	wg.Wait()
	for _, id := range ids {
		if id != ids[0] {
			t.Fatalf("different keys: %v", ids)
		}
	}
	left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".new-key-*"))
	if len(left) > 0 {
		t.Fatalf("temporary files left: %v", left)
	}
}

func TestSignatureCoversEveryField(t *testing.T) {
	s := NewSigner()
	pub, ok := parsePublicKey(s.KeyID(), s.PublicKey())
	if !ok {
		t.Fatal("own key does not parse")
	}
	m := Message{User: "alice", Text: "pay bob", MsgID: "m1", Time: time.UnixMilli(1700000000000)}
	canon := canonicalConv("general", "alice")
	s.sign(canon, &m)
	if judge(&m, pub, canon) != Verified {
		t.Fatal("a fresh signature fails")
	}
	for name, change := range map[string]func(*Message){
		"text": func(m *Message) { m.Text = "pay mallory" },
		"user": func(m *Message) { m.User = "bob" },
		"mid":  func(m *Message) { m.MsgID = "m2" },
		"time": func(m *Message) { m.Time = m.Time.Add(time.Millisecond) },
		"kind": func(m *Message) { m.Kind = KindAction },
		"sig":  func(m *Message) { m.Sig = m.Sig[:63] + "x" },
		"none": func(m *Message) { m.Sig = "" },
	} {
		c := m
		change(&c)
		if judge(&c, pub, canon) != Unverified {
			t.Errorf("changing the %s keeps the signature good", name)
		}
	}
	for _, other := range []string{canonicalConv("random", "alice"), canonicalConv(Private("general"), "alice"), canonicalConv(DM("general"), "alice")} {
		if judge(&m, pub, other) != Unverified {
			t.Errorf("the signature fits %s too", other)
		}
	}
	if judge(&m, NewSigner().priv.Public().(ed25519.PublicKey), canon) != Unverified {
		t.Error("another key verifies it")
	}
	// Both sides of a direct conversation name it alike.
	if canonicalConv(DM("bob"), "alice") != canonicalConv(DM("alice"), "bob") {
		t.Error("the sides of a direct conversation disagree")
	}
}

func TestFilePins(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys", "known_keys")
	s := NewSigner()
	a := NewFilePins(path, "127.0.0.1:6379")
	if len(a.Pinned("alice")) != 0 {
		t.Fatal("pins out of nothing")
	}
	if err := a.Pin("alice", s.KeyID(), s.PublicKey()); err != nil {
		t.Fatal(err)
	}
	if err := a.Pin("alice", "bad", "junk"); err != nil {
		t.Fatal(err)
	}
	b := NewFilePins(path, "127.0.0.1:6379")
	if got := b.Pinned("alice"); len(got) != 1 || got[s.KeyID()] != s.PublicKey() {
		t.Fatalf("pins read back as %v", got)
	}
	if got := NewFilePins(path, "other:6379").Pinned("alice"); len(got) != 0 {
		t.Fatalf("another server's pins: %v", got)
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("pin file mode: %v %v", st.Mode().Perm(), err)
	}
}
