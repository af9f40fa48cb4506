package chat

// Mentions reports whether text mentions user: "@user" or the bare name as
// a whole word, in any letter case. A word ends where a character that may
// not appear in a name (see NameRule) begins, so "alice" is mentioned in
// "hi alice!" and "@Alice:" but not in "malice" or "alice_bot".
func Mentions(text, user string) bool {
	if user == "" {
		return false
	}
	// Compared in place, ASCII letters folded: this runs for every message
	// a window shows, so it allocates nothing.
	for i := 0; i+len(user) <= len(text); i++ {
		if (i == 0 || !nameByte(lowerByte(text[i-1]))) && hasFoldedPrefix(text[i:], user) &&
			(i+len(user) == len(text) || !nameByte(lowerByte(text[i+len(user)]))) {
			return true
		}
	}
	return false
}

// hasFoldedPrefix reports whether s starts with lower (all lower case),
// ignoring the case of ASCII letters in s.
func hasFoldedPrefix(s, lower string) bool {
	for j := 0; j < len(lower); j++ {
		if lowerByte(s[j]) != lower[j] {
			return false
		}
	}
	return true
}

func lowerByte(b byte) byte {
	if b >= 'A' && b <= 'Z' {
		return b + 'a' - 'A'
	}
	return b
}

// nameByte reports whether b may appear in a name.
func nameByte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '_' || b == '-'
}

// LowerASCII lowers A-Z only, as the search does (Lua's string.lower):
// the result has s's byte offsets.
func LowerASCII(s string) string { return asciiLower(s) }

// asciiLower lowers A-Z only, like the search script's string.lower.
func asciiLower(s string) string {
	b := []byte(s)
	for i := range b {
		b[i] = lowerByte(b[i])
	}
	return string(b)
}

// everyone are the words that call on everyone in a conversation, as
// Slack's <!here>, <!channel> and <!everyone> (an incoming hook's alerts
// use them).
var everyone = []string{"here", "channel", "everyone"}

// CallsEveryone reports whether text calls on everyone in its
// conversation: "@here", "@channel" or "@everyone" as a word, in any
// letter case (the bare words are not: "here" is just a word).
func CallsEveryone(text string) bool {
	for i := 0; i < len(text); i++ {
		if text[i] != '@' || (i > 0 && nameByte(lowerByte(text[i-1]))) {
			continue
		}
		rest := text[i+1:]
		for _, w := range everyone {
			if len(rest) >= len(w) && hasFoldedPrefix(rest, w) && (len(rest) == len(w) || !nameByte(lowerByte(rest[len(w)]))) {
				return true
			}
		}
	}
	return false
}
