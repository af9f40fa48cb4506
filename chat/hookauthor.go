package chat

import (
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"strings"
)

// A message from an integration (an incoming webhook) has an author of
// its own kind, "hook:<name>": no person's name has a colon, so a hook
// can never pass for a person, and its signing keys live where no
// account may write them (user:{hook:<name>}:keys; an admin's tool
// registers them). Readers show it as "<name> (via hook)" with a BOT tag.

// HookPrefix starts the author name of a hook's messages.
const HookPrefix = "hook:"

// HookAuthor is the author name of hook name's messages.
func HookAuthor(name string) string { return HookPrefix + name }

// HookName says whether user is a hook's author name, and the hook's
// name.
func HookName(user string) (string, bool) {
	name, ok := strings.CutPrefix(user, HookPrefix)
	return name, ok && validName(name)
}

// validAuthor reports whether user may author messages: a person's name,
// or a hook's.
func validAuthor(user string) bool {
	if _, ok := HookName(user); ok {
		return true
	}
	return validName(user)
}

// IsBot reports whether m comes from an integration rather than a person
// (bots never trigger other integrations).
func (m *Message) IsBot() bool {
	_, ok := HookName(m.User)
	return ok
}

// PrivateKey returns the signer's private key, encoded, for a tool that
// keeps it where only an admin may read it (a hook's record). People's
// keys stay in their key files: never call this for them.
func (s *Signer) PrivateKey() string { return base64.RawURLEncoding.EncodeToString(s.priv.Seed()) }

// SignerFromKey is the signer of a key PrivateKey encoded.
func SignerFromKey(encoded string) (*Signer, error) {
	seed, err := base64.RawURLEncoding.DecodeString(encoded)
	if err != nil || len(seed) != ed25519.SeedSize {
		return nil, errors.New("the signing key is damaged")
	}
	return signerOf(ed25519.NewKeyFromSeed(seed)), nil
}

// ShownAuthor is how an author is shown: a person by name, a hook as
// "<name> (via hook)".
func ShownAuthor(user string) string {
	if name, ok := HookName(user); ok {
		return name + " (via hook)"
	}
	return user
}

// validateAuthor is ValidateName for an author: a hook's name passes too
// (an outgoing hook follows its channels as a member).
func validateAuthor(user string) error {
	if _, ok := HookName(user); ok {
		return nil
	}
	return ValidateName(user)
}
