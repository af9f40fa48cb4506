package chat

import "strings"

// Mentions reports whether text mentions user: "@user" or the bare name as
// a whole word, in any letter case. A word ends where a character that may
// not appear in a name (see NameRule) begins, so "alice" is mentioned in
// "hi alice!" and "@Alice:" but not in "malice" or "alice_bot".
func Mentions(text, user string) bool {
	if user == "" {
		return false
	}
	lower := asciiLower(text)
	for from := 0; ; {
		i := strings.Index(lower[from:], user)
		if i < 0 {
			return false
		}
		start, end := from+i, from+i+len(user)
		if (start == 0 || !nameByte(lower[start-1])) && (end == len(lower) || !nameByte(lower[end])) {
			return true
		}
		from = start + 1
	}
}

// nameByte reports whether b may appear in a name.
func nameByte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '_' || b == '-'
}

// asciiLower lowers A-Z only, keeping every byte offset (names are ASCII,
// and the search script lowers the same way).
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= 'A' && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] >= 'A' && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}
