package chat

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Search limits: one call scans at most SearchScan entries inside Redis
// (a few milliseconds of its time) and returns at most its limit of hits,
// so a search of a long stream is many short calls, never one long one,
// and the client holds only the hits.
const (
	SearchScan  = 2000
	searchChunk = 500
)

// SearchPage is one page of search results, newest first.
type SearchPage struct {
	Hits []Message
	// Next is the cursor of the following page; Done is true when the
	// whole stream has been searched.
	Next ID
	Done bool
	// Scanned counts the entries this page looked at.
	Scanned int
}

// Search looks for query (see ParseQuery: words, "phrases" and filters;
// in: is ignored, the conversation is channel) in channel's messages,
// newest first, on the server: it returns up to limit hits found in the
// next SearchScan entries before cursor (the zero ID starts at the newest
// entry). A page may hold fewer hits and still not be Done; ask again
// with its Next.
func (c *Client) Search(ctx context.Context, channel, query string, cursor ID, limit int) (SearchPage, error) {
	if err := ValidateConv(channel); err != nil {
		return SearchPage{}, err
	}
	q, err := ParseQuery(query, time.Now())
	if err != nil {
		return SearchPage{}, err
	}
	if limit <= 0 {
		limit = 50
	}
	page, err := c.searchCall(ctx, c.rdb, channel, q, cursor, ID{}, limit).result(ctx)
	if err != nil {
		return SearchPage{}, fmt.Errorf("search %s: %w", Display(channel), err)
	}
	return page, nil
}

// queuedSearch is one search call queued on a pipeline.
type queuedSearch struct {
	c    *Client
	conv string
	q    queuedScript
}

// searchCall queues (or, on the client, runs) one bounded scan of conv
// for q, below cursor and above floor (excluded; the zero ID: to the
// stream's start or the query's after: day).
func (c *Client) searchCall(ctx context.Context, pipe processor, conv string, q Query, cursor, floor ID, limit int) queuedSearch {
	stream := c.hist.streamOf(conv)
	lo := "-"
	if !q.After.IsZero() {
		lo = strconv.FormatInt(q.After.UnixMilli(), 10)
	}
	if !floor.IsZero() && (q.After.IsZero() || floor.Compare(ID{MS: uint64(q.After.UnixMilli())}) >= 0) {
		lo = "(" + floor.String()
	}
	hi := cursor.exclusive("+")
	if cursor.IsZero() && !q.Before.IsZero() {
		hi = "(" + strconv.FormatInt(q.Before.UnixMilli(), 10)
	}
	var flags string
	if q.HasLink {
		flags += "l"
	}
	if q.HasFile {
		flags += "f"
	}
	if q.IsThread {
		flags += "t"
	}
	run := c.scripts.queue(ctx, pipe, searchScript, []string{stream, stateKey(stream)}, hi, strings.Join(q.Terms, "\n"), limit, SearchScan, searchChunk,
		c.hist.valueLimit(), q.From, lo, flags)
	return queuedSearch{c: c, conv: conv, q: run}
}

// result reads the call's page.
func (s queuedSearch) result(ctx context.Context) (SearchPage, error) {
	res, err := s.q.result(ctx).Slice()
	if err != nil {
		return SearchPage{}, CleanRedisError(err)
	}
	if len(res) != 7 {
		return SearchPage{}, errors.New("unexpected reply")
	}
	raw, _ := res[0].([]any)
	last, _ := res[1].(string)
	done, _ := res[2].(int64)
	scanned, _ := res[3].(int64)
	next, _ := parseID(last)
	page := SearchPage{Next: next, Done: done == 1 || next.IsZero(), Scanned: int(scanned)}
	states, _ := res[4].([]any)
	changes, _ := res[5].([]any)
	if odd := oddKeys(res[6]); odd != nil {
		s.c.opts.Logger.Warn("searched without some keys", "channel", s.conv, "err", odd)
	}
	for _, m := range scriptMessages(s.conv, raw, states, changes, false) {
		if m.State != nil && m.State.Deleted != nil {
			continue // its author took it back
		}
		page.Hits = append(page.Hits, m)
	}
	return page, nil
}

// scriptMessages decodes the entries of conv a script returned, each with
// the state and the changes at the same index of states and changes
// (none where they are missing or nil), skipping what is not a stream entry. With reverse the entries are
// a reverse range (newest first) and are read from the last, so that the
// messages come oldest first.
func scriptMessages(conv string, entries, states, changes []any, reverse bool) []Message {
	msgs := make([]Message, 0, len(entries))
	for k := range entries {
		i := k
		if reverse {
			i = len(entries) - 1 - k
		}
		id, values, ok := scriptEntry(entries[i])
		if !ok {
			continue
		}
		m := decodeEntry(conv, id, values)
		var state, change string
		if i < len(states) {
			state, _ = states[i].(string)
		}
		if i < len(changes) {
			change, _ = changes[i].(string)
		}
		m.State = decodeState(&m, state, change)
		msgs = append(msgs, m)
	}
	return msgs
}

// scriptEntry reads one stream entry as a script returns it: {id, {f, v, …}}.
func scriptEntry(v any) (string, map[string]any, bool) {
	e, ok := v.([]any)
	if !ok || len(e) != 2 {
		return "", nil, false
	}
	id, _ := e[0].(string)
	fields, _ := e[1].([]any)
	values := make(map[string]any, len(fields)/2)
	for i := 0; i+1 < len(fields); i += 2 {
		if k, ok := fields[i].(string); ok {
			values[k] = fields[i+1]
		}
	}
	return id, values, id != ""
}

// Around returns the messages of channel around stream id id: up to n
// before it, the entry itself, and up to n after it, oldest first, each
// with its State (only messages shown as lines count towards n).
func (c *Client) Around(ctx context.Context, channel string, id ID, n int64) ([]Message, error) {
	if err := ValidateConv(channel); err != nil {
		return nil, err
	}
	if id.IsZero() {
		return nil, fmt.Errorf("read around in %q: no stream id", channel)
	}
	key := c.hist.streamOf(channel)
	res, err := c.scripts.run(ctx, aroundScript, []string{key, stateKey(key)}, id.String(), n, pageScan, c.hist.valueLimit()).Slice()
	if err != nil {
		return nil, fmt.Errorf("read around %s in %q: %w", id, channel, CleanRedisError(err))
	}
	if len(res) != 4 {
		return nil, fmt.Errorf("read around %s in %q: unexpected reply", id, channel)
	}
	entries, _ := res[0].([]any)
	states, _ := res[1].([]any)
	changes, _ := res[2].([]any)
	if odd := oddKeys(res[3]); odd != nil {
		c.opts.Logger.Warn("read around a message without some keys", "channel", channel, "err", odd)
	}
	msgs := scriptMessages(channel, entries, states, changes, false)
	c.verify.rememberAll(msgs)
	return msgs, nil
}
