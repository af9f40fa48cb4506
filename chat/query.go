package chat

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
)

// Query is a search, as people type it (Slack's forms):
//
//	deploy failed          both words, anywhere in the text, in any letter case
//	"exact phrase"         the words together, in this order
//	from:alice             by alice (from:@alice too)
//	in:#ops in:@bob        only these conversations (several: any of them)
//	before:2026-11-01      before that day; after:DATE after it; on:DATE that
//	                       day (dates in local time; today and yesterday too)
//	has:link has:file      with a link (http:// or https://), with a file
//	is:thread              a reply in a thread
//
// Words match inside words ("deploy" finds "deployed"), as Slack does.
type Query struct {
	// Terms are the words and phrases, lower case (ASCII letters).
	Terms []string
	// From is the author ("" for anyone).
	From string
	// In are the conversations to search ("ops", "+secret" after
	// Resolve, "@bob"); none means every one.
	In []string
	// After and Before bound the messages' times: at or after After,
	// before Before (zero: no bound).
	After, Before              time.Time
	HasLink, HasFile, IsThread bool
}

// ErrBadQuery marks a query that cannot be understood.
var ErrBadQuery = errors.New("bad search")

// maxTerms bounds the words of a query.
const maxTerms = 16

// ParseQuery reads a query typed at now (which dates are relative to).
func ParseQuery(s string, now time.Time) (Query, error) {
	var q Query
	bad := func(format string, args ...any) (Query, error) {
		return Query{}, fmt.Errorf("%w: %s", ErrBadQuery, fmt.Sprintf(format, args...))
	}
	for _, tok := range tokens(s) {
		if tok.quoted {
			if t := asciiLower(strings.Join(strings.Fields(tok.text), " ")); t != "" {
				q.Terms = append(q.Terms, t)
			}
			continue
		}
		key, val, isFilter := strings.Cut(tok.text, ":")
		key = asciiLower(key)
		switch {
		case !isFilter || val == "" || !slices.Contains([]string{"from", "in", "before", "after", "on", "has", "is"}, key):
			q.Terms = append(q.Terms, asciiLower(tok.text))
		case key == "from":
			name := strings.TrimPrefix(val, "@")
			if ValidateAccount(name) != nil && !validAuthor(name) {
				return bad("from:%s is not a user name", val)
			}
			q.From = name
		case key == "in":
			conv := strings.TrimPrefix(val, "#")
			if err := ValidateConv(conv); err != nil {
				return bad("in:%s is not a channel or @person", val)
			}
			if !slices.Contains(q.In, conv) {
				q.In = append(q.In, conv)
			}
		case key == "before" || key == "after" || key == "on":
			day, err := parseDay(val, now)
			if err != nil {
				return bad("%s:%s is not a date; write it as 2026-11-01 (or today, yesterday)", key, val)
			}
			next := day.AddDate(0, 0, 1)
			switch key {
			case "before":
				q.Before = day
			case "after": // Slack's: after that day
				q.After = next
			default:
				q.After, q.Before = day, next
			}
		case key == "has" && asciiLower(val) == "link":
			q.HasLink = true
		case key == "has" && asciiLower(val) == "file":
			q.HasFile = true
		case key == "is" && asciiLower(val) == "thread":
			q.IsThread = true
		default:
			return bad("%s:%s is not a filter rtchat knows (has:link, has:file, is:thread)", key, val)
		}
	}
	if len(q.Terms) > maxTerms {
		return bad("at most %d words", maxTerms)
	}
	if len(q.Terms) == 0 && q.From == "" && len(q.In) == 0 && q.After.IsZero() && q.Before.IsZero() && !q.HasLink && !q.HasFile && !q.IsThread {
		return Query{}, fmt.Errorf("%w: give words to look for", ErrEmptyMessage)
	}
	if !q.After.IsZero() && !q.Before.IsZero() && !q.After.Before(q.Before) {
		return bad("no day is both after and before the days given")
	}
	return q, nil
}

type token struct {
	text   string
	quoted bool
}

// tokens splits s at spaces, keeping "quoted phrases" whole (an
// unclosed quote runs to the end).
func tokens(s string) []token {
	var out []token
	for s = strings.TrimSpace(s); s != ""; s = strings.TrimSpace(s) {
		if s[0] == '"' {
			phrase, rest, _ := strings.Cut(s[1:], `"`)
			out = append(out, token{text: phrase, quoted: true})
			s = rest
			continue
		}
		end := strings.IndexFunc(s, unicode.IsSpace)
		if end < 0 {
			end = len(s)
		}
		out = append(out, token{text: s[:end]})
		s = s[end:]
	}
	return out
}

// parseDay reads a day in local time: 2026-11-01, today or yesterday.
func parseDay(s string, now time.Time) (time.Time, error) {
	now = now.Local()
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.Local)
	switch asciiLower(s) {
	case "today":
		return today, nil
	case "yesterday":
		return today.AddDate(0, 0, -1), nil
	}
	return time.ParseInLocation(time.DateOnly, s, time.Local)
}

// Matches says whether m matches q as the server's search does: a
// message shown as a line, every term inside its text or its file's name
// (ASCII letters compared in lower case), and the filters (but In, which
// names conversations, not messages).
func (q Query) Matches(m Message) bool {
	if !m.Kind.Shown() || (q.From != "" && m.User != q.From) || (q.HasFile && m.File == nil) || (q.IsThread && m.Thread.IsZero()) {
		return false
	}
	if !q.After.IsZero() && m.ID.MS < uint64(q.After.UnixMilli()) {
		return false
	}
	if !q.Before.IsZero() && m.ID.MS >= uint64(q.Before.UnixMilli()) {
		return false
	}
	hay := asciiLower(m.Current())
	if m.File != nil {
		hay += " " + asciiLower(m.File.Name)
	}
	for _, t := range q.Terms {
		if !strings.Contains(hay, t) {
			return false
		}
	}
	return !q.HasLink || strings.Contains(hay, "http://") || strings.Contains(hay, "https://")
}
