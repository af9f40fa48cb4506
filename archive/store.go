package archive

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/rtchat/rtchat/chat"
)

// Store keeps msgs of conv — stream entries in stream order, every kind:
// a message adds a row, an edit or a delete by its author changes or
// removes one, a reaction changes nothing here — and, when through is
// not zero, records that the archive now holds conv whole up to through
// (the read that brought msgs reached it). The first time, the part held
// starts at from (the zero ID: the stream's first entry).
func (a *Archive) Store(ctx context.Context, conv string, msgs []chat.Message, from, through chat.ID) error {
	if err := a.store(ctx, conv, msgs, from, through); err != nil {
		return fmt.Errorf("keep %s in the local archive: %w", chat.Display(conv), err)
	}
	return nil
}

func (a *Archive) store(ctx context.Context, conv string, msgs []chat.Message, from, through chat.ID) error {
	tx, err := a.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	w := &writer{a: a, tx: tx, ctx: ctx, fresh: map[string]int64{}}
	st, err := w.conv(conv)
	if err != nil {
		return err
	}
	for _, m := range msgs {
		if m.ID.IsZero() || m.Ephemeral || m.Malformed != "" {
			continue
		}
		switch {
		case m.Kind.Shown():
			err = w.add(st.cid, m)
		case m.Kind == chat.KindEdit || m.Kind == chat.KindDelete:
			err = w.change(st.cid, m)
		}
		if err != nil {
			return err
		}
	}
	next := *st
	if !through.IsZero() && through.After(next.through) {
		if !next.held {
			next.from = from
		}
		next.through, next.held = through, true
		if _, err := tx.ExecContext(ctx, `UPDATE convs SET from_id = ?, through_id = ? WHERE cid = ?`, next.from.String(), next.through.String(), next.cid); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	if w.deleted {
		a.scrub(ctx)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for s, n := range w.fresh {
		a.ids[s] = n
	}
	if cur := a.convs[conv]; cur != nil && cur.cid == next.cid {
		*cur = next
	} else {
		a.convs[conv] = &next
	}
	return nil
}

// writer is one transaction's writes.
type writer struct {
	a     *Archive
	tx    *sql.Tx
	ctx   context.Context
	fresh map[string]int64 // ids numbered in this transaction
	// deleted is set when a message was deleted (edits too: they
	// replace a text).
	deleted bool
}

// conv is conv's state, made when new.
func (w *writer) conv(name string) (*convState, error) {
	w.a.mu.Lock()
	s := w.a.convs[name]
	w.a.mu.Unlock()
	if s != nil {
		c := *s
		return &c, nil
	}
	if _, err := w.tx.ExecContext(w.ctx, `INSERT OR IGNORE INTO convs (name) VALUES (?)`, name); err != nil {
		return nil, err
	}
	var c convState
	if err := w.tx.QueryRowContext(w.ctx, `SELECT cid FROM convs WHERE name = ?`, name).Scan(&c.cid); err != nil {
		return nil, err
	}
	return &c, nil
}

// id numbers s (a user name, a key id or a hook's name for its
// message, marked by kind: "u:", "k:", "a:"); 0 for "".
func (w *writer) id(kind, s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	key := kind + s
	w.a.mu.Lock()
	n, ok := w.a.ids[key]
	w.a.mu.Unlock()
	if ok {
		return n, nil
	}
	if n, ok := w.fresh[key]; ok {
		return n, nil
	}
	if _, err := w.tx.ExecContext(w.ctx, `INSERT OR IGNORE INTO ids (s) VALUES (?)`, key); err != nil {
		return 0, err
	}
	if err := w.tx.QueryRowContext(w.ctx, `SELECT n FROM ids WHERE s = ?`, key).Scan(&n); err != nil {
		return 0, err
	}
	w.fresh[key] = n
	return n, nil
}

// body is what the full-text index holds of a message: its text and its
// file's name.
func body(text, file string) string {
	if file == "" {
		return text
	}
	return text + " " + file
}

// add keeps a message (once: a second copy changes nothing).
func (w *writer) add(cid int64, m chat.Message) error {
	uid, err := w.id("u:", m.User)
	if err != nil {
		return err
	}
	kid, err := w.id("k:", m.Key)
	if err != nil {
		return err
	}
	aid, err := w.id("a:", m.As)
	if err != nil {
		return err
	}
	var file, thread any
	if m.File != nil {
		file = m.File.Name
	}
	if !m.Thread.IsZero() {
		thread = m.Thread.String()
	}
	flags := 0
	if m.Kind == chat.KindAction {
		flags |= flagAction
	}
	text := m.Current()
	if m.State != nil && m.State.Edit != nil {
		flags |= flagEdited
	}
	if m.State != nil && m.State.Deleted != nil {
		return nil
	}
	var held int
	err = w.tx.QueryRowContext(w.ctx, `SELECT count(*) FROM msgs WHERE ms = ? AND seq = ? AND cid = ?`, int64(m.ID.MS), int64(m.ID.Seq), cid).Scan(&held)
	if err != nil || held > 0 {
		return err // kept already
	}
	res, err := w.tx.ExecContext(w.ctx, `INSERT INTO msgs (ms, seq, cid, uid, kid, ts, text, file, thread, flags, aid)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		int64(m.ID.MS), int64(m.ID.Seq), cid, uid, kid, m.Time.UnixMilli()-int64(m.ID.MS), text, file, thread, flags, aid)
	if err != nil {
		return err
	}
	rid, err := res.LastInsertId()
	if err != nil {
		return err
	}
	f, _ := file.(string)
	_, err = w.tx.ExecContext(w.ctx, `INSERT INTO fts (rowid, body) VALUES (?, ?)`, rid, body(text, f))
	return err
}

// change applies an edit or a delete, as chat.Apply does: by the
// message's author, with the same key when it was signed.
func (w *writer) change(cid int64, e chat.Message) error {
	var rid, uid, kid int64
	var flags int
	var text string
	var file sql.NullString
	err := w.tx.QueryRowContext(w.ctx, `SELECT rid, uid, kid, text, file, flags FROM msgs WHERE ms = ? AND seq = ? AND cid = ?`,
		int64(e.Ref.MS), int64(e.Ref.Seq), cid).Scan(&rid, &uid, &kid, &text, &file, &flags)
	if errors.Is(err, sql.ErrNoRows) {
		return nil // not held (before the part held, or deleted)
	}
	if err != nil {
		return err
	}
	euid, err := w.id("u:", e.User)
	if err != nil {
		return err
	}
	ekid, err := w.id("k:", e.Key)
	if err != nil {
		return err
	}
	if euid != uid || (kid != 0 && ekid != kid) {
		return nil // not its author's
	}
	if _, err := w.tx.ExecContext(w.ctx, `INSERT INTO fts (fts, rowid, body) VALUES ('delete', ?, ?)`, rid, body(text, file.String)); err != nil {
		return err
	}
	w.deleted = true
	if e.Kind == chat.KindDelete {
		_, err = w.tx.ExecContext(w.ctx, `DELETE FROM msgs WHERE rid = ?`, rid)
		return err
	}
	if _, err := w.tx.ExecContext(w.ctx, `UPDATE msgs SET text = ?, flags = ? WHERE rid = ?`, e.Text, flags|flagEdited, rid); err != nil {
		return err
	}
	_, err = w.tx.ExecContext(w.ctx, `INSERT INTO fts (rowid, body) VALUES (?, ?)`, rid, body(e.Text, file.String))
	return err
}

// Retract removes messages of conv that turned out not to be in the
// stream (chat.RetractedEvent) and moves the part held back to before
// the first of them, so that what the stream holds there is read again.
func (a *Archive) Retract(ctx context.Context, conv string, ids []chat.ID) error {
	a.mu.Lock()
	s := a.convs[conv]
	var st convState
	if s != nil {
		st = *s
	}
	a.mu.Unlock()
	if s == nil || len(ids) == 0 {
		return nil
	}
	tx, err := a.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("take back messages of %s from the local archive: %w", chat.Display(conv), err)
	}
	defer tx.Rollback()
	low := ids[0]
	for _, id := range ids {
		if low.After(id) {
			low = id
		}
		for _, q := range []string{
			unindex + `WHERE ms = ? AND seq = ? AND cid = ?`,
			`DELETE FROM msgs WHERE ms = ? AND seq = ? AND cid = ?`,
		} {
			if _, err := tx.ExecContext(ctx, q, int64(id.MS), int64(id.Seq), st.cid); err != nil {
				return fmt.Errorf("take back messages of %s from the local archive: %w", chat.Display(conv), err)
			}
		}
	}
	if st.held && st.through.Compare(low) >= 0 {
		st.through = low.Prev()
		if _, err := tx.ExecContext(ctx, `UPDATE convs SET through_id = ? WHERE cid = ?`, st.through.String(), st.cid); err != nil {
			return fmt.Errorf("take back messages of %s from the local archive: %w", chat.Display(conv), err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("take back messages of %s from the local archive: %w", chat.Display(conv), err)
	}
	a.scrub(ctx)
	a.mu.Lock()
	if cur := a.convs[conv]; cur != nil && cur.cid == st.cid {
		*cur = st
	}
	a.mu.Unlock()
	return nil
}
