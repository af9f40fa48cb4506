package chat

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ID is a stream entry id ("1700000000000-3"): the milliseconds of the
// server's clock when the entry was added, and a sequence number within
// that millisecond. IDs compare in stream order with After and Compare.
// The zero ID is "no entry": Redis never gives it to an entry, and it sorts
// before every one. ID is a small comparable value, safe to copy and to use
// as a map key.
type ID struct{ MS, Seq uint64 }

// ParseID parses "ms-seq" (or "ms", which means "ms-0"). It rejects
// anything else, including the empty string.
func ParseID(s string) (ID, error) {
	msPart, seqPart, hasSeq := strings.Cut(s, "-")
	ms, err := strconv.ParseUint(msPart, 10, 64)
	if err != nil {
		return ID{}, fmt.Errorf("%q is not a stream id", truncateForError(s))
	}
	var seq uint64
	if hasSeq {
		if seq, err = strconv.ParseUint(seqPart, 10, 64); err != nil {
			return ID{}, fmt.Errorf("%q is not a stream id", truncateForError(s))
		}
	}
	return ID{ms, seq}, nil
}

// parseID is ParseID for callers that only need to know whether it parsed.
func parseID(s string) (ID, bool) {
	id, err := ParseID(s)
	return id, err == nil
}

// IsZero reports whether id is the zero ID ("no entry").
func (id ID) IsZero() bool { return id == ID{} }

// After reports whether id comes after o in stream order.
func (id ID) After(o ID) bool { return id.MS > o.MS || (id.MS == o.MS && id.Seq > o.Seq) }

// Prev is the last id that comes before id in stream order (the zero ID
// for the first ones).
func (id ID) Prev() ID {
	switch {
	case id.Seq > 0:
		return ID{id.MS, id.Seq - 1}
	case id.MS > 0:
		return ID{id.MS - 1, ^uint64(0)}
	}
	return ID{}
}

// Compare returns -1, 0 or +1 as id sorts before, equal to or after o.
func (id ID) Compare(o ID) int {
	switch {
	case id.After(o):
		return 1
	case o.After(id):
		return -1
	}
	return 0
}

// String returns "ms-seq", or "" for the zero ID.
func (id ID) String() string {
	if id.IsZero() {
		return ""
	}
	return strconv.FormatUint(id.MS, 10) + "-" + strconv.FormatUint(id.Seq, 10)
}

// Time is when the server added the entry.
func (id ID) Time() time.Time { return time.UnixMilli(int64(min(id.MS, 1<<62))) }

// MarshalText writes the id as String does.
func (id ID) MarshalText() ([]byte, error) { return []byte(id.String()), nil }

// UnmarshalText reads an id written by MarshalText ("" is the zero ID).
func (id *ID) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*id = ID{}
		return nil
	}
	p, err := ParseID(string(b))
	if err != nil {
		return err
	}
	*id = p
	return nil
}

// exclusive returns the XRANGE/XREVRANGE bound just past id ("(ms-seq"),
// or open when id is the zero ID.
func (id ID) exclusive(open string) string {
	if id.IsZero() {
		return open
	}
	return "(" + id.String()
}

// IDAfter reports whether stream id a comes after stream id b. An id that
// does not parse sorts before every valid one.
func IDAfter(a, b string) bool {
	pa, okA := parseID(a)
	pb, okB := parseID(b)
	switch {
	case !okA:
		return false
	case !okB:
		return true
	}
	return pa.After(pb)
}
