package archive

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/rtchat/rtchat/chat"
)

// Search reads of the archive.
const (
	// ftsCandidates is how many index candidates a query takes in time
	// order; a query with more (a common word) walks the messages newest
	// first instead and checks each, which fills a page at once.
	ftsCandidates = 20000
	// searchBatch is how many rows one read of a search takes.
	searchBatch = 500
)

// Search returns up to limit messages of convs matching q, newest first,
// after below (see chat.Index). The full-text index finds the messages
// holding a word that begins with each of the query's (SQLite's
// unicode61 words), and q.Matches then checks each as the server's
// search would: so a word inside a longer one ("ploy" in "deploy") is
// found on the server but not here.
func (a *Archive) Search(ctx context.Context, q chat.Query, convs []string, below chat.IndexMark, limit int) ([]chat.Message, error) {
	out, err := a.search(ctx, q, convs, below, limit)
	if err != nil {
		return nil, fmt.Errorf("search the local archive: %w", err)
	}
	return out, nil
}

func (a *Archive) search(ctx context.Context, q chat.Query, convs []string, below chat.IndexMark, limit int) ([]chat.Message, error) {
	if limit <= 0 {
		limit = 50
	}
	a.mu.Lock()
	parts := map[int64]convPart{}
	var cids []any
	for _, name := range convs {
		if s := a.convs[name]; s != nil && s.held {
			parts[s.cid] = convPart{name: name, from: s.from, through: s.through}
			cids = append(cids, s.cid)
		}
	}
	belowCid := int64(1 << 62)
	if s := a.convs[below.Conv]; s != nil {
		belowCid = s.cid
	}
	fromID, knownFrom := a.ids["u:"+q.From]
	a.mu.Unlock()
	if len(cids) == 0 {
		return nil, nil
	}
	var where []string
	var args []any
	where = append(where, "cid IN (?"+strings.Repeat(", ?", len(cids)-1)+")")
	args = append(args, cids...)
	if q.From != "" {
		if !knownFrom {
			err := a.db.QueryRowContext(ctx, `SELECT n FROM ids WHERE s = ?`, "u:"+q.From).Scan(&fromID)
			if errors.Is(err, sql.ErrNoRows) {
				return nil, nil // no message of theirs is held
			}
			if err != nil {
				return nil, err
			}
		}
		where = append(where, "uid = ?")
		args = append(args, fromID)
	}
	if q.HasFile {
		where = append(where, "file IS NOT NULL")
	}
	if q.IsThread {
		where = append(where, "thread IS NOT NULL")
	}
	if !q.After.IsZero() {
		where = append(where, "ms >= ?")
		args = append(args, q.After.UnixMilli())
	}
	if !q.Before.IsZero() {
		where = append(where, "ms < ?")
		args = append(args, q.Before.UnixMilli())
	}
	if match := ftsQuery(q.Terms); match != "" {
		var n int
		if err := a.db.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT rowid FROM fts WHERE fts MATCH ? LIMIT ?)`, match, ftsCandidates+1).Scan(&n); err != nil {
			return nil, err
		}
		if n == 0 {
			return nil, nil
		}
		if n <= ftsCandidates {
			where = append(where, "rid IN (SELECT rowid FROM fts WHERE fts MATCH ?)")
			args = append(args, match)
		}
	}
	var out []chat.Message
	at := [3]int64{int64(below.ID.MS), int64(below.ID.Seq), belowCid}
	if below.ID.IsZero() {
		at = [3]int64{1 << 62, 0, 0}
	}
	for {
		batch := append(args[:len(args):len(args)], at[0], at[1], at[2], searchBatch)
		rows, err := a.db.QueryContext(ctx, `SELECT `+rowColumns+` FROM msgs
			WHERE `+strings.Join(where, " AND ")+` AND (ms, seq, cid) < (?, ?, ?)
			ORDER BY ms DESC, seq DESC, cid DESC LIMIT ?`, batch...)
		if err != nil {
			return nil, err
		}
		n := 0
		for rows.Next() {
			n++
			r, err := scanRow(rows)
			if err != nil {
				rows.Close()
				return nil, err
			}
			at = [3]int64{r.ms, r.seq, r.cid}
			part := parts[r.cid]
			id := chat.ID{MS: uint64(r.ms), Seq: uint64(r.seq)}
			if (!part.from.IsZero() && part.from.After(id)) || id.After(part.through) {
				continue // kept, but outside the part held whole
			}
			m, err := a.message(ctx, part.name, r)
			if err != nil {
				rows.Close()
				return nil, err
			}
			if q.Matches(m) {
				out = append(out, m)
				if len(out) == limit {
					break
				}
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		if len(out) >= limit || n < searchBatch {
			return out, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
	}
}

// convPart is a conversation and the part of it held whole.
type convPart struct {
	name          string
	from, through chat.ID
}

// row is a row of msgs.
type row struct {
	ms, seq, cid, uid, kid, ts, aid int64
	text                            string
	file, thread                    sql.NullString
	flags                           int
}

// rowColumns are the columns of msgs that make a row, in scanRow's order.
const rowColumns = `ms, seq, cid, uid, kid, ts, text, file, thread, flags, aid`

// scanRow reads the row rows is at, selected as rowColumns.
func scanRow(rows *sql.Rows) (row, error) {
	var r row
	err := rows.Scan(&r.ms, &r.seq, &r.cid, &r.uid, &r.kid, &r.ts, &r.text, &r.file, &r.thread, &r.flags, &r.aid)
	return r, err
}

// message is r as a message of conv: what the archive keeps of it (its
// signature is not kept: read it again from the server to check it).
func (a *Archive) message(ctx context.Context, conv string, r row) (chat.Message, error) {
	user, err := a.name(ctx, r.uid)
	if err != nil {
		return chat.Message{}, err
	}
	m := chat.Message{
		ID:      chat.ID{MS: uint64(r.ms), Seq: uint64(r.seq)},
		Channel: conv,
		User:    user,
		Text:    r.text,
		Time:    time.UnixMilli(r.ms + r.ts),
	}
	if r.flags&flagAction != 0 {
		m.Kind = chat.KindAction
	}
	if r.flags&flagEdited != 0 {
		m.State = &chat.MessageState{Edit: &chat.Message{User: user, Text: r.text, Kind: chat.KindEdit, Ref: m.ID}}
	}
	if r.file.Valid {
		m.File = &chat.FileInfo{Name: r.file.String}
	}
	if r.thread.Valid {
		m.Thread, _ = chat.ParseID(r.thread.String)
	}
	if r.aid != 0 {
		if m.As, err = a.name(ctx, r.aid); err != nil {
			return chat.Message{}, err
		}
	}
	return m, nil
}

// name is the name numbered n (a user's, or a hook's for its message),
// without its kind.
func (a *Archive) name(ctx context.Context, n int64) (string, error) {
	a.mu.Lock()
	s, ok := a.names[n]
	a.mu.Unlock()
	if ok {
		return s, nil
	}
	if err := a.db.QueryRowContext(ctx, `SELECT s FROM ids WHERE n = ?`, n).Scan(&s); err != nil {
		return "", err
	}
	s = s[strings.IndexByte(s, ':')+1:]
	a.mu.Lock()
	a.names[n] = s
	a.mu.Unlock()
	return s, nil
}

// ftsQuery is the full-text query of terms: every word of every term,
// each as the beginning of a word (unicode61 splits words as wordRune
// does); "" when the terms hold no word.
func ftsQuery(terms []string) string {
	var parts []string
	for _, t := range terms {
		for _, w := range strings.FieldsFunc(t, func(r rune) bool { return !wordRune(r) }) {
			parts = append(parts, `"`+w+`"*`)
		}
	}
	return strings.Join(parts, " AND ")
}

// wordRune says whether unicode61 (with its default categories L*, N*,
// Co) counts r as part of a word.
func wordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.Is(unicode.Co, r)
}

// Each calls fn with every message of conv the archive keeps from since
// on (zero: all), oldest first, until fn returns an error.
func (a *Archive) Each(ctx context.Context, conv string, since time.Time, fn func(chat.Message) error) error {
	a.mu.Lock()
	s := a.convs[conv]
	a.mu.Unlock()
	if s == nil {
		return nil
	}
	rows, err := a.db.QueryContext(ctx, `SELECT `+rowColumns+` FROM msgs
		WHERE cid = ? AND ms >= ? ORDER BY ms, seq, cid`, s.cid, max(since.UnixMilli(), 0))
	if err != nil {
		return fmt.Errorf("read %s from the local archive: %w", chat.Display(conv), err)
	}
	defer rows.Close()
	for rows.Next() {
		r, err := scanRow(rows)
		if err != nil {
			return fmt.Errorf("read %s from the local archive: %w", chat.Display(conv), err)
		}
		m, err := a.message(ctx, conv, r)
		if err != nil {
			return fmt.Errorf("read %s from the local archive: %w", chat.Display(conv), err)
		}
		if err := fn(m); err != nil {
			return err
		}
	}
	return rows.Err()
}
