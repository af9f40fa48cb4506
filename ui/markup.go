package ui

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// A message's text may carry a little Markdown: `inline code`, fenced
// code blocks (```), *bold* and _italic_; links (http://, https://) are
// found as they are. markup turns the text — already sanitized, so it
// holds no escapes or control characters — into what is drawn (the
// markers gone) and the styled stretches of it. Nothing in it can add
// styles of another kind: the log draws cells with styles, never tags.

// runKind is how a stretch of a line is drawn.
type runKind uint8

const (
	runTime runKind = iota
	runMark         // the ⚠ of an unverified author
	runName
	runBody
	runCode
	runBold
	runItalic
	runLink
	runMeta     // (edited), message deleted, thread summaries
	runQuote    // the reply's quote of the message it answers
	runReaction // a reaction count; runReactionOwn: one the user gave
	runReactionOwn
)

// span is a styled stretch [start, end) of the drawn text; url is set for
// links.
type span struct {
	start, end int
	kind       runKind
	url        string
}

// markup returns the drawn text of s and its styled spans, in order
// (stretches without a span are plain body).
func markup(s string) (string, []span) {
	if !strings.ContainsAny(s, "`*_:") {
		return s, nil
	}
	var b strings.Builder
	var spans []span
	lines := strings.SplitAfter(s, "\n")
	for i := 0; i < len(lines); i++ {
		if !isFence(lines[i]) {
			spans = inline(&b, lines[i], spans)
			continue
		}
		// A fenced block: its lines as they are, up to the closing fence
		// (or the end); the fences are not drawn.
		start := b.Len()
		j := i + 1
		for ; j < len(lines) && !isFence(lines[j]); j++ {
			b.WriteString(lines[j])
		}
		end := b.Len()
		if end > start && strings.HasSuffix(b.String(), "\n") {
			end-- // the block's last line break is not code
		}
		if end > start {
			spans = append(spans, span{start: start, end: end, kind: runCode})
		}
		if j >= len(lines)-1 && strings.HasSuffix(b.String(), "\n") {
			// The block ends the text: no empty row after it.
			t := b.String()
			b.Reset()
			b.WriteString(t[:len(t)-1])
		}
		i = j
	}
	return b.String(), spans
}

// isFence reports whether line opens or closes a fenced code block.
func isFence(line string) bool { return strings.HasPrefix(strings.TrimSpace(line), "```") }

// inline writes one line's text to b with its inline code, bold, italic
// and links, and returns spans with theirs added.
func inline(b *strings.Builder, line string, spans []span) []span {
	for line != "" {
		c := line[0]
		switch {
		case c == '`':
			if end := strings.IndexByte(line[1:], '`'); end > 0 {
				start := b.Len()
				b.WriteString(line[1 : 1+end])
				spans = append(spans, span{start: start, end: b.Len(), kind: runCode})
				line = line[end+2:]
				continue
			}
		case (c == '*' || c == '_') && opens(b.String(), line):
			if end := closing(line, c); end > 0 {
				start := b.Len()
				b.WriteString(line[1:end])
				kind := runBold
				if c == '_' {
					kind = runItalic
				}
				spans = append(spans, span{start: start, end: b.Len(), kind: kind})
				line = line[end+1:]
				continue
			}
		case c == 'h' && (strings.HasPrefix(line, "https://") || strings.HasPrefix(line, "http://")) && wordStart(b.String()):
			n := linkEnd(line)
			if n > len("https://") || (n > len("http://") && !strings.HasPrefix(line, "https")) {
				start := b.Len()
				b.WriteString(line[:n])
				spans = append(spans, span{start: start, end: b.Len(), kind: runLink, url: line[:n]})
				line = line[n:]
				continue
			}
		}
		_, size := utf8.DecodeRuneInString(line)
		b.WriteString(line[:size])
		line = line[size:]
	}
	return spans
}

// wordStart reports whether what was written so far ends where a word may
// start (nothing, a space or punctuation).
func wordStart(before string) bool {
	r, _ := utf8.DecodeLastRuneInString(before)
	return before == "" || unicode.IsSpace(r) || strings.ContainsRune("([{<\"'", r)
}

// opens reports whether the marker at the start of line opens emphasis:
// at a word's start, with text (not a space) after it.
func opens(before, line string) bool {
	if len(line) < 3 || line[1] == ' ' || line[1] == line[0] || !wordStart(before) {
		return false
	}
	return true
}

// closing returns the index of the marker c that closes emphasis opened at
// line[0]: followed by the end of a word, preceded by text; -1 if none on
// this line.
func closing(line string, c byte) int {
	for i := 2; i < len(line); i++ {
		if line[i] != c || line[i-1] == ' ' {
			continue
		}
		if i+1 == len(line) {
			return i
		}
		r, _ := utf8.DecodeRuneInString(line[i+1:])
		if unicode.IsSpace(r) || unicode.IsPunct(r) && r != rune(c) {
			return i
		}
	}
	return -1
}

// linkEnd returns where the link at the start of s ends: at a space, a
// character no URL holds unescaped, or trailing punctuation.
func linkEnd(s string) int {
	n := 0
	for n < len(s) && urlChar(s[n]) {
		n++
	}
	for n > 0 && strings.IndexByte(".,;:!?)]}'\"", s[n-1]) >= 0 {
		n--
	}
	return n
}

// urlChar reports whether c may appear in a link as rtchat finds it: the
// printable ASCII characters of RFC 3986 (so a link never carries a
// control character into a terminal's hyperlink sequence).
func urlChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		strings.IndexByte("-._~:/?#[]@!$&'()*+,;=%", c) >= 0
}

// firstLink returns the first link in s ("" when none).
func firstLink(s string) string {
	_, spans := markup(s)
	for _, sp := range spans {
		if sp.kind == runLink {
			return sp.url
		}
	}
	return ""
}
