package chat

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/redis/go-redis/v9"
)

// Searching everywhere: every conversation the user may read — every
// public channel, the private channels they belong to (by the admin's
// record of both sides: their list and the channel's members), their
// direct conversations — scanned on the server a bounded call each,
// all of a round in one round trip, the hits merged newest first.
//
// A hit is handed out only once every conversation still being scanned
// has gone past it in time, so the order across conversations is right
// whatever their sizes; the others wait in the cursor for the next
// page.
//
// With an Index (a local archive), the part of a conversation it holds
// whole is read from it instead: the server scans only what lies above
// and below that part, and the index is one more source in the same
// merge. Its hits are read again from the server, one round trip for
// all of them, so that what is shown is what the server holds now (its
// edit, its reactions, its signature to check) and a conversation the
// user may no longer read shows nothing; a hit the server no longer
// has (trimmed by retention) is shown as the archive kept it. When the
// server does not answer at all, the index alone is searched and the
// results say so (Offline).

// An Index is a local copy of the user's conversations: what this client
// saw and read of them. Its methods must be safe for concurrent use.
type Index interface {
	// Holds says which part of conv's stream the index holds whole: every
	// message from stream id from to through, both included (from zero:
	// from the stream's first entry); ok is false when it holds none.
	Holds(conv string) (from, through ID, ok bool)
	// Conversations lists the conversations it holds messages of.
	Conversations() []string
	// Search returns up to limit messages of convs matching q (q.In is
	// ignored: convs says where), newest first, each after below in that
	// order (the zero IndexMark: from the newest).
	Search(ctx context.Context, q Query, convs []string, below IndexMark, limit int) ([]Message, error)
}

// IndexMark is a place in an index's order: newest first by stream id,
// then by conversation name, last first.
type IndexMark struct {
	ID   ID
	Conv string
}

// MarkOf is the place of m in an index's order.
func MarkOf(m Message) IndexMark { return IndexMark{ID: m.ID, Conv: m.Channel} }

// SearchCursor is where a search everywhere goes on from; its zero value
// starts one. It is a value: keep the one each page returns.
type SearchCursor struct {
	started bool
	offline bool
	convs   []searchConv
	local   *localSearch
	held    []Message // found, not yet handed out (newest first)
}

// searchConv is the server's scan of one conversation: from next down
// to floor (excluded; zero: to its start or the query's after: day),
// then, when resume is set, on from resume down (the index holds what
// lies between).
type searchConv struct {
	conv          string
	next          ID
	floor, resume ID
	done          bool
}

// localSearch is the index's part of a search: the conversations it
// holds, and how far it has handed out.
type localSearch struct {
	convs []string
	below IndexMark
	done  bool
}

// SearchResults is one page of a search everywhere.
type SearchResults struct {
	// Hits are newest first, each with its Channel.
	Hits []Message
	Next SearchCursor
	// Done is set once every conversation was searched to its start (or
	// to the query's after: day) and every hit handed out.
	Done bool
	// Scanned counts the entries this page looked at on the server;
	// Local the hits that came from the index; Conversations how many are
	// searched.
	Scanned, Local, Conversations int
	// Offline is set when the server did not answer and only the index
	// was searched.
	Offline bool
}

// SearchEverywhere returns the next page of up to limit hits of q across
// the conversations the user may read (q.In narrows them), newest first.
func (c *Client) SearchEverywhere(ctx context.Context, q Query, cur SearchCursor, limit int) (SearchResults, error) {
	if limit <= 0 {
		limit = 50
	}
	if !cur.started {
		var err error
		if cur, err = c.startSearch(ctx, q); err != nil {
			return SearchResults{}, err
		}
	} else {
		cur.convs = slices.Clone(cur.convs)
		cur.held = slices.Clone(cur.held)
		if cur.local != nil {
			l := *cur.local
			cur.local = &l
		}
	}
	res := SearchResults{Conversations: len(cur.convs), Offline: cur.offline}
	if cur.offline {
		res.Conversations = len(cur.local.convs)
	}
	for {
		// Hand out what no source still read can come before: each one's
		// next hits come before its cursor.
		var frontier ID
		open := false
		for _, s := range cur.convs {
			if !s.done {
				frontier, open = maxID(frontier, s.next), true
			}
		}
		if l := cur.local; l != nil && !l.done {
			frontier, open = maxID(frontier, l.below.ID), true
		}
		n := 0
		for n < len(cur.held) && len(res.Hits) < limit && (!open || cur.held[n].ID.Compare(frontier) >= 0) {
			res.Hits = append(res.Hits, cur.held[n])
			n++
		}
		cur.held = cur.held[n:]
		if len(res.Hits) >= limit || !open {
			res.Next = cur
			res.Done = !open && len(cur.held) == 0
			return res, nil
		}
		if err := c.searchRound(ctx, q, &cur, limit, &res); err != nil {
			return SearchResults{}, err
		}
		slices.SortStableFunc(cur.held, func(a, b Message) int { return b.ID.Compare(a.ID) })
		if ctx.Err() != nil {
			return SearchResults{}, ctx.Err()
		}
	}
}

// rereadScan is how many entries before a hit reread looks through for a
// message shown as a line.
const rereadScan = 20

// errOffline is the server not answering: the client is reconnecting.
var errOffline = errors.New("the server does not answer")

func maxID(a, b ID) ID {
	if b.After(a) {
		return b
	}
	return a
}

// startSearch lists the conversations to search and what the index
// holds of them; when the server does not answer, the index's own.
func (c *Client) startSearch(ctx context.Context, q Query) (SearchCursor, error) {
	cur := SearchCursor{started: true}
	var convs []string
	err := errOffline
	if c.opts.Index == nil || c.State().State != StateReconnecting {
		convs, err = c.searchable(ctx, q.In)
	}
	var reply redis.Error
	switch {
	case err != nil && c.opts.Index != nil && !errors.Is(err, ErrBadQuery) && !errors.As(err, &reply) && ctx.Err() == nil:
		// No answer: the archive alone, for what it holds.
		cur.offline = true
		cur.local = &localSearch{convs: c.offlineConvs(q.In)}
		cur.local.done = len(cur.local.convs) == 0
		return cur, nil
	case err != nil:
		return SearchCursor{}, err
	}
	var local []string
	for _, conv := range convs {
		s := searchConv{conv: conv}
		if c.opts.Index != nil {
			if from, through, ok := c.opts.Index.Holds(conv); ok {
				s.floor, s.resume = through, from
				local = append(local, conv)
				if from.IsZero() {
					s.resume = ID{}
				}
			}
		}
		cur.convs = append(cur.convs, s)
	}
	if len(local) > 0 {
		cur.local = &localSearch{convs: local}
	}
	return cur, nil
}

// offlineConvs is what the index holds of in (all it holds when in is
// empty).
func (c *Client) offlineConvs(in []string) []string { return Narrow(c.opts.Index.Conversations(), in) }

// Narrow is the conversations of convs that in names (see Among), each
// once; all of them when in is empty.
func Narrow(convs, in []string) []string {
	if len(in) == 0 {
		return convs
	}
	var out []string
	for _, want := range in {
		if conv, ok := Among(convs, want); ok && !slices.Contains(out, conv) {
			out = append(out, conv)
		}
	}
	return out
}

// Among is the conversation of convs that name (as a person types it: a
// channel "ops", a private one "ops" or "+ops", "@bob") stands for.
func Among(convs []string, name string) (string, bool) {
	found := ""
	for _, conv := range convs {
		if conv == name || (!isDM(name) && conv == Private(strings.TrimPrefix(name, privateMark))) {
			found = conv
		}
	}
	return found, found != ""
}

// searchRound reads once more from every source still open: a bounded
// scan of each conversation on the server and a page of the index, in
// one round trip (and one more to read the index's hits again).
func (c *Client) searchRound(ctx context.Context, q Query, cur *SearchCursor, limit int, res *SearchResults) error {
	calls := map[int]queuedSearch{}
	if !cur.offline {
		pipe := c.rdb.Pipeline()
		for i, s := range cur.convs {
			if !s.done {
				calls[i] = c.searchCall(ctx, pipe, s.conv, q, s.next, s.floor, limit)
			}
		}
		if len(calls) > 0 {
			_, _ = pipe.Exec(ctx) // each reply is read below
		}
	}
	for i, call := range calls {
		page, err := call.result(ctx)
		if err != nil {
			return fmt.Errorf("search %s: %w", Display(cur.convs[i].conv), err)
		}
		res.Scanned += page.Scanned
		s := &cur.convs[i]
		s.next, s.done = page.Next, page.Done
		if s.done && !s.resume.IsZero() {
			// Above the index's part: on below it.
			s.next, s.floor, s.resume, s.done = s.resume, ID{}, ID{}, false
		}
		cur.held = append(cur.held, page.Hits...)
	}
	if l := cur.local; l != nil && !l.done {
		hits, err := c.opts.Index.Search(ctx, q, l.convs, l.below, limit)
		if err != nil {
			return fmt.Errorf("search the local archive: %w", err)
		}
		if len(hits) < limit {
			l.done = true
		} else {
			l.below = MarkOf(hits[len(hits)-1])
		}
		if !cur.offline {
			if hits, err = c.reread(ctx, hits); err != nil {
				return err
			}
		}
		res.Local += len(hits)
		cur.held = append(cur.held, hits...)
	}
	return nil
}

// reread reads msgs again from the server, as it holds them now, in one
// round trip: a message it no longer has because retention trimmed it
// (nothing older is left) stays as it was; one deleted since, one the
// stream never held (a live payload someone made up), or one of a
// conversation the user may no longer read, is left out.
func (c *Client) reread(ctx context.Context, msgs []Message) ([]Message, error) {
	if len(msgs) == 0 {
		return msgs, nil
	}
	pipe := c.rdb.Pipeline()
	calls := make([]queuedScript, len(msgs))
	for i, m := range msgs {
		key := c.hist.streamOf(m.Channel)
		// The message with one before it, if any: that tells trimmed from
		// never there.
		calls[i] = c.scripts.queue(ctx, pipe, aroundScript, []string{key, stateKey(key)}, m.ID.String(), 1, rereadScan, c.hist.valueLimit())
	}
	_, _ = pipe.Exec(ctx) // each reply is read below
	out := make([]Message, 0, len(msgs))
	for i, m := range msgs {
		r, err := calls[i].result(ctx).Slice()
		switch {
		case redis.IsPermissionError(err):
			continue // no longer theirs to read
		case err != nil:
			return nil, fmt.Errorf("read a search hit again: %w", CleanRedisError(err))
		case len(r) != 4:
			return nil, errors.New("read a search hit again: unexpected reply")
		}
		entries, _ := r[0].([]any)
		states, _ := r[1].([]any)
		changes, _ := r[2].([]any)
		now := scriptMessages(m.Channel, entries, states, changes, false)
		at := slices.IndexFunc(now, func(n Message) bool { return n.ID == m.ID })
		switch {
		case at >= 0 && now[at].State != nil && now[at].State.Deleted != nil:
		case at >= 0:
			out = append(out, now[at])
		case len(now) > 0 && m.ID.After(now[0].ID):
			// An older entry is still there: the stream never held it.
		default:
			out = append(out, m) // trimmed (or all of it lost): the archive's copy
		}
	}
	c.verify.rememberAll(out)
	return out, nil
}

// Readable lists the conversations the user may read now, sorted: every
// public channel, the private channels both sides say they belong to,
// their direct conversations.
func (c *Client) Readable(ctx context.Context) ([]string, error) { return c.searchable(ctx, nil) }

// searchable lists the conversations the user may read, sorted: every
// public channel, each private channel both the user's list and its
// members name them in, and their direct conversations; only those of
// in when it names some (each must be one of them).
func (c *Client) searchable(ctx context.Context, in []string) ([]string, error) {
	pipe := c.rdb.Pipeline()
	public := pipe.SMembers(ctx, c.keys.ChannelIndex())
	private := pipe.SMembers(ctx, c.keys.UserPrivate(c.opts.User))
	dms := pipe.SMembers(ctx, c.keys.DMList(c.opts.User))
	_, _ = pipe.Exec(ctx)
	for _, cmd := range []*redis.StringSliceCmd{public, private, dms} {
		if err := cmd.Err(); err != nil {
			return nil, fmt.Errorf("list the conversations to search: %w", CleanRedisError(err))
		}
	}
	var convs []string
	for _, n := range public.Val() {
		if validName(n) {
			convs = append(convs, n)
		}
	}
	// A private channel counts only when its members say so too: without
	// accounts, anyone may write their own list.
	pipe = c.rdb.Pipeline()
	checks := map[string]*redis.BoolCmd{}
	for _, n := range private.Val() {
		if validName(n) {
			checks[n] = pipe.SIsMember(ctx, c.keys.PrivateMembers(n), c.opts.User)
		}
	}
	if len(checks) > 0 {
		_, _ = pipe.Exec(ctx)
	}
	for n, member := range checks {
		if member.Err() != nil && !redis.IsPermissionError(member.Err()) {
			return nil, fmt.Errorf("list the conversations to search: %w", CleanRedisError(member.Err()))
		}
		if member.Val() {
			convs = append(convs, Private(n))
		}
	}
	for _, p := range dms.Val() {
		if validName(p) {
			convs = append(convs, DM(p))
		}
	}
	slices.Sort(convs)
	if len(in) == 0 {
		return convs, nil
	}
	var out []string
	for _, want := range in {
		found, ok := Among(convs, want)
		if !ok {
			return nil, fmt.Errorf("%w: you cannot search %s: no such channel, or not one of yours", ErrBadQuery, Display(want))
		}
		if !slices.Contains(out, found) {
			out = append(out, found)
		}
	}
	return out, nil
}
