package chat

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Sentinel errors callers can test with errors.Is.
var (
	// ErrInvalidName: a channel or user name breaks the naming rule.
	ErrInvalidName = errors.New("invalid name")
	// ErrMessageTooLong: a message is over the size limit.
	ErrMessageTooLong = errors.New("message too long")
	// ErrEmptyMessage: a message has no text.
	ErrEmptyMessage = errors.New("empty message")
	// ErrNoSuchChannel: the channel does not exist (or was deleted).
	ErrNoSuchChannel = errors.New("no such channel")
	// ErrNotOwner: only the user who created a channel may delete it.
	ErrNotOwner = errors.New("not the channel's creator")
	// ErrClosed: the client was closed.
	ErrClosed = errors.New("client closed")
)

// NameRule is the documented rule for channel and user names.
const NameRule = "[a-z0-9][a-z0-9_-]{0,63}"

// DefaultMaxMessageBytes is the default message size limit (16 KiB).
const DefaultMaxMessageBytes = 16 << 10

// ValidateName checks a channel or user name against NameRule. The error
// wraps ErrInvalidName and says what the rule is.
func ValidateName(name string) error {
	if validName(name) {
		return nil
	}
	return fmt.Errorf("%w %q: use 1-64 characters of a-z, 0-9, '_' and '-', starting with a letter or digit", ErrInvalidName, truncateForError(name))
}

// CleanText prepares message text for sending: invalid UTF-8 becomes U+FFFD,
// and the result must be non-blank and at most max bytes. Everything else is
// kept exactly as typed (escaping for display is the UI's job).
func CleanText(text string, max int) (string, error) {
	if !utf8.ValidString(text) {
		text = strings.ToValidUTF8(text, "\uFFFD")
	}
	if strings.TrimSpace(text) == "" {
		return "", ErrEmptyMessage
	}
	if max > 0 && len(text) > max {
		return "", fmt.Errorf("%w: %d bytes, the limit is %d", ErrMessageTooLong, len(text), max)
	}
	return text, nil
}

// validName matches NameRule without a regular expression (it is on the
// send path).
func validName(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case (c == '_' || c == '-') && i > 0:
		default:
			return false
		}
	}
	return true
}

func truncateForError(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) > 70 {
		return s[:67] + "..."
	}
	return s
}
