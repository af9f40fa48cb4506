package chat

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
)

// Every stored message is signed by its author's device key (ed25519), so
// that a reader can tell a message its author wrote from one that anyone
// else who may write the stream added under the author's name
// (docs/DESIGN.md, "Verified authors"). The public half of each device key
// is registered under the user's keys Hash (SigningKeys); the entry
// carries the key's id and the signature.

// Entry fields of a signed message (after kind, when there is one).
const (
	fieldKey = "key"
	fieldSig = "sig"
)

// Signer is one device's signing key. Its private half never leaves the
// process (nor is it printed); PublicKey and KeyID are what others see.
type Signer struct {
	priv ed25519.PrivateKey
	id   string
}

// NewSigner returns a signer with a new key that lives only in memory
// (tools and tests; people use LoadSigner).
func NewSigner() *Signer {
	_, priv, _ := ed25519.GenerateKey(rand.Reader) // crypto/rand never fails (Go 1.24+)
	return signerOf(priv)
}

func signerOf(priv ed25519.PrivateKey) *Signer {
	return &Signer{priv: priv, id: KeyID(priv.Public().(ed25519.PublicKey))}
}

// KeyID names a public key: 8 characters of its SHA-256, enough to tell
// one person's devices apart.
func KeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return base64.RawURLEncoding.EncodeToString(sum[:6])
}

// KeyID returns the id of the signer's key.
func (s *Signer) KeyID() string { return s.id }

// PublicKey returns the public half, as registered in Redis.
func (s *Signer) PublicKey() string {
	return base64.RawURLEncoding.EncodeToString(s.priv.Public().(ed25519.PublicKey))
}

// sign signs m, a message of the conversation canon names (see
// canonicalConv).
func (s *Signer) sign(canon string, m *Message) {
	m.Key = s.id
	m.Sig = string(ed25519.Sign(s.priv, signedBytes(canon, m)))
}

// parsePublicKey reads a registered public key and checks that it is the
// key its id names.
func parsePublicKey(id, value string) (ed25519.PublicKey, bool) {
	b, err := base64.RawURLEncoding.DecodeString(value)
	if err != nil || len(b) != ed25519.PublicKeySize {
		return nil, false
	}
	pub := ed25519.PublicKey(b)
	return pub, KeyID(pub) == id
}

// signedBytes is what a signature covers: the conversation (as
// canonicalConv names it), the client message id, the user, the time, the
// kind, the references to other messages (ref, reply, thread: only those
// set, so signatures made before they existed stay good), the file's
// description (name, size, type, SHA-256; when there is one), the name a
// hook gave the message (when it gave one) and the text,
// each written name:length:value.
func signedBytes(canon string, m *Message) []byte {
	b := make([]byte, 0, len(m.Text)+len(m.User)+len(canon)+80)
	b = append(b, "rtchat-sig-1\n"...)
	b = appendField(b, "conv", canon)
	b = appendField(b, fieldMsgID, m.MsgID)
	b = appendField(b, fieldUser, m.User)
	b = appendField(b, fieldTime, strconv.FormatInt(m.Time.UnixMilli(), 10))
	b = appendField(b, fieldKind, string(m.Kind))
	for _, r := range m.refs() {
		b = appendField(b, r.name, r.id.String())
	}
	if m.File != nil {
		b = appendField(b, fieldFile, m.File.raw)
	}
	if m.As != "" {
		b = appendField(b, fieldAs, m.As)
	}
	return appendField(b, fieldText, m.Text)
}

// canonicalConv names conv, as user me sees it, the same way for every
// reader: both sides of a direct conversation ("@bob" to alice, "@alice"
// to bob) name it "dm:alice,bob", so a signature never fits another
// conversation, and no prefix a server configures changes it.
func canonicalConv(conv, me string) string {
	if peer, ok := PeerOf(conv); ok {
		return "dm:" + dmTag(peer, me)
	}
	if name, ok := PrivateName(conv); ok {
		return "private:" + name
	}
	return "channel:" + conv
}

// LoadSigner reads the device key at path, making it (and its folder,
// readable by the owner only) on first use. A key file others may read is
// refused: anyone who reads it can sign as the user.
func LoadSigner(path string) (*Signer, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return createSigner(path)
	}
	if err != nil {
		return nil, fmt.Errorf("read your signing key: %w", err)
	}
	if st, err := os.Stat(path); err == nil && st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("your signing key %s may be read by others (mode %v); run chmod 600 %s", path, st.Mode().Perm(), path)
	}
	block, _ := pem.Decode(b)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("your signing key %s is not a PEM private key; move it away and rtchat makes a new one", path)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	priv, ok := k.(ed25519.PrivateKey)
	if err != nil || !ok {
		return nil, fmt.Errorf("your signing key %s is not an ed25519 key; move it away and rtchat makes a new one", path)
	}
	return signerOf(priv), nil
}

// createSigner makes a key at path. It is written whole to a file of its
// own first and linked into place, so that another rtchat starting at the
// same moment reads either no key or the complete one.
func createSigner(path string) (*Signer, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("make the folder of your signing key: %w", err)
	}
	s := NewSigner()
	der, err := x509.MarshalPKCS8PrivateKey(s.priv)
	if err != nil {
		return nil, fmt.Errorf("encode your signing key: %w", err)
	}
	f, err := os.CreateTemp(dir, ".new-key-*") // mode 0600
	if err != nil {
		return nil, fmt.Errorf("save your signing key: %w", err)
	}
	defer os.Remove(f.Name())
	werr := pem.Encode(f, &pem.Block{Type: "PRIVATE KEY", Bytes: der})
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Link(f.Name(), path)
	}
	switch {
	case errors.Is(werr, fs.ErrExist):
		return LoadSigner(path) // another rtchat made it first
	case werr != nil:
		return nil, fmt.Errorf("save your signing key: %w", werr)
	}
	return s, nil
}
