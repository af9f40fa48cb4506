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
	// ErrAdminOnly: with accounts, only an admin may do it (no account
	// may delete keys that others write).
	ErrAdminOnly = errors.New("with accounts only an admin may do that; ask one to run 'rtchat admin channel delete NAME'")
	// ErrPrivateName: the name is a private channel's; a public channel
	// may not take it (everyone would talk past each other).
	ErrPrivateName = errors.New("that name is a private channel's: ask an admin to add you, or pick another name")
	// ErrNoSuchUser: nobody of that name has used rtchat on the server.
	ErrNoSuchUser = errors.New("no such user")
	// ErrAuth: Redis refused the connection's password, or asks for one it
	// did not ask for before (it was restarted with requirepass).
	ErrAuth = errors.New("Redis asks for a password")
)

// NameRule is the documented rule for channel and user names; NameHint
// says it in words.
const (
	NameRule = "[a-z0-9][a-z0-9_-]{0,63}"
	NameHint = "use 1-64 characters of a-z, 0-9, '_' and '-', starting with a letter or digit"
)

// ValidateName checks a channel or user name against NameRule. The error
// wraps ErrInvalidName and says what the rule is.
func ValidateName(name string) error {
	if validName(name) {
		return nil
	}
	return fmt.Errorf("%w %q: %s", ErrInvalidName, truncateForError(name), NameHint)
}

// CleanText prepares message text for sending: invalid UTF-8 becomes
// U+FFFD, blank lines at the start and the end go, and a run of blank lines
// inside is cut to maxBlankRun (a paste of a thousand newlines must not
// put a thousand empty rows in everyone's log). The result must be
// non-blank and, as given, at most max bytes. Everything else is kept
// exactly as typed (escaping for display is the UI's job).
func CleanText(text string, max int) (string, error) {
	if max > 0 && len(text) > max {
		return "", fmt.Errorf("%w: %d bytes, the limit is %d", ErrMessageTooLong, len(text), max)
	}
	if !utf8.ValidString(text) {
		text = strings.ToValidUTF8(text, "\uFFFD")
	}
	text = TidyBlankLines(text)
	if strings.TrimSpace(text) == "" {
		return "", ErrEmptyMessage
	}
	if max > 0 && len(text) > max {
		return "", fmt.Errorf("%w: %d bytes once invalid UTF-8 is replaced, the limit is %d", ErrMessageTooLong, len(text), max)
	}
	return text, nil
}

// maxBlankRun is the most blank lines in a row a message keeps.
const maxBlankRun = 2

// TidyBlankLines drops blank lines (empty or only spaces and tabs) at the
// start and the end of text and cuts longer runs of them inside to
// maxBlankRun. Text without a blank line comes back as it is.
func TidyBlankLines(text string) string {
	if !strings.Contains(text, "\n") {
		return text
	}
	lines := strings.Split(text, "\n")
	blank := func(l string) bool { return strings.Trim(l, " \t\r") == "" }
	start, end := 0, len(lines)
	for start < end && blank(lines[start]) {
		start++
	}
	for end > start && blank(lines[end-1]) {
		end--
	}
	out := make([]string, 0, end-start)
	run := 0
	for _, l := range lines[start:end] {
		if blank(l) {
			if run++; run > maxBlankRun {
				continue
			}
			l = ""
		} else {
			run = 0
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n")
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
