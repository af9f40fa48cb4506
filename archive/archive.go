// Package archive keeps a local copy of what one person's rtchat saw and
// read of their conversations — a SQLite file with a full-text index,
// under $XDG_STATE_HOME/rtchat/ — so that a search reads it first (at
// once, and also when Redis does not answer) and Redis only for what it
// does not hold. It implements chat.Index.
//
// What it holds of a conversation is one unbroken part of its stream:
// every message from a first id to a last one (Holds). A Keeper makes it
// so: it reads each followed conversation from Redis after the last id
// held, in the background, and once that read reaches the end it takes
// the live messages the client delivers (in stream order, exactly once:
// chat's guarantee) as the part's new end. Edits and deletes change the
// copy as they come (a deleted message's text is removed); a private
// channel the person is taken out of is removed from it whole.
//
// docs/DESIGN.md ("The local archive") says why SQLite and what it costs.
package archive

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"unicode"

	"github.com/rtchat/rtchat/chat"
	_ "modernc.org/sqlite" // the pure-Go SQLite driver, "sqlite"
)

// DefaultMaxBytes bounds an archive opened without a bound.
const DefaultMaxBytes = 512 << 20

// FileName is the archive's file in rtchat's state directory, per
// server and person (see PathFor).
const FileName = "archive"

// schema is the archive's tables. msgs holds one row a message shown as
// a line (thread replies too), its text as it reads now, and the name a
// hook gave it (aid, numbered in ids; 0 for none); (ms, seq, cid)
// names it (kept unique by Store) and orders it in time across
// conversations, through an index of ms alone (the smallest that does:
// the few rows of one millisecond are sorted as they are read). Users, conversations and device keys
// are numbered once (ids), so a row holds small numbers, not names. fts
// is the full-text index of the text and the file's name, contentless
// (the text is in msgs), without positions (detail=none) or sizes
// (columnsize=0): the smallest FTS5 index, enough to find candidates,
// which the query's own matcher then checks.
const schema = `
CREATE TABLE IF NOT EXISTS convs (
  cid INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  from_id TEXT NOT NULL DEFAULT '',
  through_id TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS ids (
  n INTEGER PRIMARY KEY,
  s TEXT NOT NULL UNIQUE
);
CREATE TABLE IF NOT EXISTS msgs (
  rid INTEGER PRIMARY KEY,
  ms INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  cid INTEGER NOT NULL,
  uid INTEGER NOT NULL,
  kid INTEGER NOT NULL,
  ts INTEGER NOT NULL,
  text TEXT NOT NULL,
  file TEXT,
  thread TEXT,
  flags INTEGER NOT NULL,
  aid INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS msgs_ms ON msgs (ms);
CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5 (body, content='', detail=none, columnsize=0);
`

// unindex takes the rows of msgs that follow it (a WHERE clause) out of
// the full-text index: a contentless index is told what it indexed.
const unindex = `INSERT INTO fts (fts, rowid, body) SELECT 'delete', rid, ` + bodyOf + ` FROM msgs `

// bodyOf is what the full-text index holds of a row of msgs (see body).
const bodyOf = `CASE WHEN file IS NULL THEN text ELSE text || ' ' || file END`

// Row flags.
const (
	flagAction = 1 << iota
	flagEdited
)

// Archive is an open archive file. Its methods are safe for concurrent
// use.
type Archive struct {
	db       *sql.DB
	path     string
	maxBytes int64

	mu    sync.Mutex
	convs map[string]*convState // by name
	ids   map[string]int64      // user names and key ids → their number
	names map[int64]string      // numbers → user names, as read
}

// convState is what the archive holds of one conversation.
type convState struct {
	cid           int64
	from, through chat.ID // held whole: from (zero: the start) to through
	held          bool    // through is set
}

// PathFor is where person's archive of the server named server (an
// address; any text) lives in dir.
func PathFor(dir, server, person string) string {
	safe := func(s string) string {
		return strings.Map(func(r rune) rune {
			if r < 0x80 && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '.') {
				return r
			}
			return '_'
		}, s)
	}
	return filepath.Join(dir, fmt.Sprintf("%s-%s-%s.db", FileName, safe(server), safe(person)))
}

// Open opens (creating it, readable by its owner only) the archive at
// path, bounded to about maxBytes (DefaultMaxBytes when not positive).
func Open(path string, maxBytes int64) (*Archive, error) {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("open the local archive: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open the local archive: %w", err)
	}
	f.Close()
	if err := os.Chmod(path, 0o600); err != nil {
		return nil, fmt.Errorf("open the local archive: %w", err)
	}
	dsn := "file:" + path + "?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=auto_vacuum(INCREMENTAL)&_pragma=secure_delete(ON)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open the local archive: %w", err)
	}
	db.SetMaxOpenConns(4)
	a := &Archive{db: db, path: path, maxBytes: maxBytes, convs: map[string]*convState{}, ids: map[string]int64{}, names: map[int64]string{}}
	if err := a.load(); err != nil {
		db.Close()
		return nil, fmt.Errorf("open the local archive %s (delete it to start again): %w", path, err)
	}
	// The WAL and its index are made beside the file: owner only too.
	for _, side := range []string{"-wal", "-shm"} {
		_ = os.Chmod(path+side, 0o600)
	}
	return a, nil
}

// load makes the tables and reads what is held.
func (a *Archive) load() error {
	ctx := context.Background()
	if _, err := a.db.ExecContext(ctx, schema); err != nil {
		return err
	}
	// An archive made before hooks could name their messages has no aid.
	// (Another window opening it at the same moment may add it first.)
	hasAid := func() (bool, error) {
		var n int
		err := a.db.QueryRowContext(ctx, `SELECT count(*) FROM pragma_table_info('msgs') WHERE name = 'aid'`).Scan(&n)
		return n > 0, err
	}
	if has, err := hasAid(); err != nil {
		return err
	} else if !has {
		if _, err := a.db.ExecContext(ctx, `ALTER TABLE msgs ADD COLUMN aid INTEGER NOT NULL DEFAULT 0`); err != nil {
			if has, _ := hasAid(); !has {
				return err
			}
		}
	}
	// A deleted message's words go from the index too, not only its
	// row's text (secure_delete zeroes the freed pages).
	if _, err := a.db.ExecContext(ctx, `INSERT INTO fts (fts, rank) VALUES ('secure-delete', 1)`); err != nil {
		return err
	}
	rows, err := a.db.QueryContext(ctx, `SELECT cid, name, from_id, through_id FROM convs`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var s convState
		var name, from, through string
		if err := rows.Scan(&s.cid, &name, &from, &through); err != nil {
			return err
		}
		s.from, _ = chat.ParseID(from)
		if id, err := chat.ParseID(through); err == nil && through != "" {
			s.through, s.held = id, true
		}
		a.convs[name] = &s
	}
	return rows.Err()
}

// Close closes the file.
func (a *Archive) Close() error { return a.db.Close() }

// Path is the archive's file.
func (a *Archive) Path() string { return a.path }

// Holds says which part of conv's stream the archive holds whole (see
// chat.Index).
func (a *Archive) Holds(conv string) (from, through chat.ID, ok bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	s := a.convs[conv]
	if s == nil || !s.held || s.from.After(s.through) {
		return chat.ID{}, chat.ID{}, false // none, or all of it trimmed away
	}
	return s.from, s.through, true
}

// readTo is the last id of conv read into the archive (the zero ID:
// none), where reading it goes on from.
func (a *Archive) readTo(conv string) chat.ID {
	a.mu.Lock()
	defer a.mu.Unlock()
	if s := a.convs[conv]; s != nil && s.held {
		return s.through
	}
	return chat.ID{}
}

// Conversations lists the conversations it holds messages of.
func (a *Archive) Conversations() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []string
	for name, s := range a.convs {
		if s.held {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// Size is the bytes the archive's pages hold (the file, less its free
// pages).
func (a *Archive) Size(ctx context.Context) (int64, error) {
	var pages, free, size int64
	for q, v := range map[string]*int64{"PRAGMA page_count": &pages, "PRAGMA freelist_count": &free, "PRAGMA page_size": &size} {
		if err := a.db.QueryRowContext(ctx, q).Scan(v); err != nil {
			return 0, fmt.Errorf("measure the local archive: %w", err)
		}
	}
	return (pages - free) * size, nil
}

// Forget removes everything of conv from the archive: a private channel
// the person was taken out of.
func (a *Archive) Forget(ctx context.Context, conv string) error {
	a.mu.Lock()
	s := a.convs[conv]
	delete(a.convs, conv)
	a.mu.Unlock()
	if s == nil {
		return nil
	}
	tx, err := a.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("remove %s from the local archive: %w", chat.Display(conv), err)
	}
	defer tx.Rollback()
	for _, q := range []string{
		unindex + `WHERE cid = ?`,
		`DELETE FROM msgs WHERE cid = ?`,
		`DELETE FROM convs WHERE cid = ?`,
	} {
		if _, err := tx.ExecContext(ctx, q, s.cid); err != nil {
			return fmt.Errorf("remove %s from the local archive: %w", chat.Display(conv), err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("remove %s from the local archive: %w", chat.Display(conv), err)
	}
	a.scrub(ctx)
	return nil
}

// scrub gives back the pages deletes freed and folds the write-ahead
// log into the file, so that nothing deleted stays in either.
func (a *Archive) scrub(ctx context.Context) {
	_, _ = a.db.ExecContext(ctx, `PRAGMA incremental_vacuum`)
	_, _ = a.db.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`)
}

// Trim keeps the archive within its bound: when its pages hold more than
// maxBytes, the oldest tenth of its messages go (across conversations),
// and what it holds of each conversation starts after them.
func (a *Archive) Trim(ctx context.Context) error {
	for {
		size, err := a.Size(ctx)
		if err != nil || size <= a.maxBytes {
			return err
		}
		dropped, err := a.dropOldest(ctx)
		if err != nil {
			return fmt.Errorf("keep the local archive within archive_max_bytes: %w", err)
		}
		if !dropped {
			return nil // nothing left to drop: the tables' own pages
		}
	}
}

// dropOldest removes the oldest tenth of the messages (at least a
// millisecond's worth); it reports whether there was any.
func (a *Archive) dropOldest(ctx context.Context) (bool, error) {
	var cut int64
	err := a.db.QueryRowContext(ctx, `SELECT ms FROM msgs ORDER BY ms, seq, cid LIMIT 1 OFFSET (SELECT count(*) / 10 FROM msgs)`).Scan(&cut)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	cut++ // at least one millisecond's worth goes
	tx, err := a.db.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	for _, q := range []string{
		unindex + `WHERE ms < ?`,
		`DELETE FROM msgs WHERE ms < ?`,
	} {
		if _, err := tx.ExecContext(ctx, q, cut); err != nil {
			return false, err
		}
	}
	start := chat.ID{MS: uint64(cut)}
	a.mu.Lock()
	var changed []*convState
	for _, s := range a.convs {
		if start.After(s.from) {
			c := *s
			c.from = start
			changed = append(changed, &c)
		}
	}
	a.mu.Unlock()
	for _, c := range changed {
		if _, err := tx.ExecContext(ctx, `UPDATE convs SET from_id = ? WHERE cid = ?`, c.from.String(), c.cid); err != nil {
			return false, err
		}
	}
	if err := tx.Commit(); err != nil {
		return false, err
	}
	// The index's pages that the deletes left half empty are merged, so
	// that they can be given back too.
	if _, err := a.db.ExecContext(ctx, `INSERT INTO fts (fts) VALUES ('optimize')`); err != nil {
		return false, err
	}
	a.mu.Lock()
	for name, s := range a.convs {
		for _, c := range changed {
			if s.cid == c.cid {
				s.from = c.from
				a.convs[name] = s
			}
		}
	}
	a.mu.Unlock()
	a.scrub(ctx)
	return true, nil
}

// Reader says which conversations the person may read now (a
// *chat.Client).
type Reader interface {
	Readable(ctx context.Context) ([]string, error)
}

// Reconcile removes from a the private channels and direct conversations
// the person may no longer read — taken out of a channel while no
// window of theirs ran to hear of it.
func Reconcile(ctx context.Context, a *Archive, r Reader) error {
	readable, err := r.Readable(ctx)
	if err != nil {
		return fmt.Errorf("check the local archive against what you may read: %w", err)
	}
	for _, conv := range a.Conversations() {
		_, private := chat.PrivateName(conv)
		_, dm := chat.PeerOf(conv)
		if (private || dm) && !slices.Contains(readable, conv) {
			if err := a.Forget(ctx, conv); err != nil {
				return err
			}
		}
	}
	return nil
}
