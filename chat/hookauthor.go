package chat

import (
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"strings"
	"unicode/utf8"
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

// A bot account ("bot:<name>") is an account of its own, made by an
// admin with 'rtchat admin user add --bot NAME': a program that reads and
// writes its channels as a person's client does (with accounts, as its
// own ACL user, signing with its own key), but is shown as a bot and
// never triggers other integrations. No person's name has a colon, so a
// bot can never pass for a person either.

// BotPrefix starts the name of a bot account.
const BotPrefix = "bot:"

// BotAuthor is the user name of bot account name.
func BotAuthor(name string) string { return BotPrefix + name }

// BotName says whether user is a bot account's name, and the bot's name.
func BotName(user string) (string, bool) {
	name, ok := strings.CutPrefix(user, BotPrefix)
	return name, ok && validName(name)
}

// ValidateAccount checks the name of an account, one a client may run
// as: a person's name, or a bot's ("bot:deploybot"). A hook's author is
// not an account (its messages come only through rtchat hooks serve).
func ValidateAccount(user string) error {
	if _, ok := BotName(user); ok {
		return nil
	}
	return ValidateName(user)
}

// IntegrationName says whether user is a hook's or a bot's, and the name
// it goes by ("hook:grafana" and "bot:grafana" are both "grafana").
func IntegrationName(user string) (string, bool) {
	if name, ok := HookName(user); ok {
		return name, true
	}
	return BotName(user)
}

// validAuthor reports whether user may author messages: a person's name,
// a bot's or a hook's.
func validAuthor(user string) bool {
	_, bot := IntegrationName(user)
	return bot || validName(user)
}

// IsBot reports whether m comes from an integration (a hook or a bot
// account) rather than a person: bots never trigger other integrations.
func (m *Message) IsBot() bool {
	_, ok := IntegrationName(m.User)
	return ok
}

// ErrBotDM refuses a direct conversation with a bot, either way (final:
// not worth a retry).
var ErrBotDM = errors.New("bots have no direct conversations; talk to a bot in a channel it is in")

// checkConvFor is ValidateConv for conversations user may have: a bot
// account has no direct conversations (nobody's client could name one
// with it).
func checkConvFor(user, conv string) error {
	if _, bot := BotName(user); bot && isDM(conv) {
		return ErrBotDM
	}
	return ValidateConv(conv)
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
// "<name> (via hook)", a bot account by its name (beside a BOT tag, as
// for a hook).
func ShownAuthor(user string) string { return ShownName(user, "") }

// ShownName is ShownAuthor for a message that a hook gave a name of its
// own (Message.As): "<as> (via hook <name>)", so that it never reads as a
// person nor as another hook.
func ShownName(user, as string) string {
	if name, ok := HookName(user); ok {
		if as != "" && as != name {
			return as + " (via hook " + name + ")"
		}
		return name + " (via hook)"
	}
	if name, ok := BotName(user); ok {
		return name
	}
	return user
}

// maxAsBytes bounds the name a hook gives a message.
const maxAsBytes = 64

// CleanAs makes a name a hook gives one message fit to show: one line
// with its runs of spaces made one, escapes shown (Printable), cut at
// maxAsBytes on a character's edge.
func CleanAs(s string) string {
	s = Printable(strings.Join(strings.Fields(s), " "))
	if len(s) <= maxAsBytes {
		return s
	}
	cut := maxAsBytes
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strings.TrimSpace(s[:cut])
}

// validateAuthor is ValidateName for an author: a hook's and a bot's
// names pass too (an outgoing hook follows its channels as a member).
func validateAuthor(user string) error {
	if validAuthor(user) {
		return nil
	}
	return ValidateName(user)
}
