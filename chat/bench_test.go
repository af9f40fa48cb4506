package chat

import (
	"context"
	"testing"
	"time"

	"github.com/rtchat/rtchat/internal/redistest"
)

func BenchmarkDecodeEntry(b *testing.B) {
	values := map[string]any{"mid": "0123456789ab", "channel_id": "7", "user": "alice", "text": "a message of ordinary length, about sixty bytes of text here", "ts": "1764115200000"}
	for b.Loop() {
		_ = decodeEntry("general", "1764115200000-0", values)
	}
}

func BenchmarkEncodeDecodeLive(b *testing.B) {
	m := Message{ID: ID{1764115200000, 0}, ChannelID: "7", MsgID: "0123456789ab", User: "alice", Text: "a message of ordinary length, about sixty bytes of text here", Time: time.UnixMilli(1764115200000)}
	for b.Loop() {
		p := encodeLive(m, ID{1764115199999, 0})
		if _, _, err := decodeLive("general", p); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSend(b *testing.B) {
	srv := redistest.Start(b)
	c, err := New(Options{Redis: srv.Client(b), User: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if _, _, err := c.CreateChannel(ctx, "bench", ""); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := c.BroadcastMessage(ctx, "bench", "a message of ordinary length, about sixty bytes of text here"); err != nil {
			b.Fatal(err)
		}
	}
}

// benchMessage is a signed message of ordinary length.
func benchMessage(s *Signer) Message {
	m := Message{ID: ID{1764115200000, 0}, Channel: "general", MsgID: "0123456789ab", User: "alice", Text: "a message of ordinary length, about sixty bytes of text here", Time: time.UnixMilli(1764115200000)}
	s.sign(canonicalConv("general", "alice"), &m)
	return m
}

// BenchmarkSign is what signing adds to each send (client CPU).
func BenchmarkSign(b *testing.B) {
	s := NewSigner()
	m := benchMessage(s)
	for b.Loop() {
		s.sign(canonicalConv("general", "alice"), &m)
	}
}

// BenchmarkVerify is what checking one drawn line costs (client CPU).
func BenchmarkVerify(b *testing.B) {
	s := NewSigner()
	m := benchMessage(s)
	pub, _ := parsePublicKey(s.KeyID(), s.PublicKey())
	for b.Loop() {
		if judge(&m, pub, canonicalConv("general", "alice")) != Verified {
			b.Fatal("not verified")
		}
	}
}

// BenchmarkRemember is what each delivery pays so that a later Verify
// needs no read.
func BenchmarkRemember(b *testing.B) {
	v := newVerifier(nil)
	m := benchMessage(NewSigner())
	for i := 0; b.Loop(); i++ {
		m.ID.Seq = uint64(i)
		v.remember(m)
	}
}
