package chat

import (
	"context"
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

// SearchCursor is where a search everywhere goes on from; its zero value
// starts one. It is a value: keep the one each page returns.
type SearchCursor struct {
	started bool
	convs   []searchConv
	held    []Message // found, not yet handed out (newest first)
}

type searchConv struct {
	conv string
	next ID
	done bool
}

// SearchResults is one page of a search everywhere.
type SearchResults struct {
	// Hits are newest first, each with its Channel.
	Hits []Message
	Next SearchCursor
	// Done is set once every conversation was searched to its start (or
	// to the query's after: day) and every hit handed out.
	Done bool
	// Scanned counts the entries this page looked at; Conversations how
	// many are searched.
	Scanned, Conversations int
}

// SearchEverywhere returns the next page of up to limit hits of q across
// the conversations the user may read (q.In narrows them), newest first.
func (c *Client) SearchEverywhere(ctx context.Context, q Query, cur SearchCursor, limit int) (SearchResults, error) {
	if limit <= 0 {
		limit = 50
	}
	if !cur.started {
		convs, err := c.searchable(ctx, q.In)
		if err != nil {
			return SearchResults{}, err
		}
		cur = SearchCursor{started: true}
		for _, conv := range convs {
			cur.convs = append(cur.convs, searchConv{conv: conv})
		}
	} else {
		cur.convs = slices.Clone(cur.convs)
		cur.held = slices.Clone(cur.held)
	}
	res := SearchResults{Conversations: len(cur.convs)}
	for {
		// Hand out what no conversation still scanned can come before.
		frontier, open := uint64(0), false
		for _, s := range cur.convs {
			if !s.done {
				frontier, open = max(frontier, s.next.MS), true
			}
		}
		n := 0
		for n < len(cur.held) && len(res.Hits) < limit && (!open || cur.held[n].ID.MS >= frontier) {
			res.Hits = append(res.Hits, cur.held[n])
			n++
		}
		cur.held = cur.held[n:]
		if len(res.Hits) >= limit || !open {
			res.Next = cur
			res.Done = !open && len(cur.held) == 0
			return res, nil
		}
		// One round: a bounded scan of every open conversation, in one
		// round trip.
		pipe := c.rdb.Pipeline()
		calls := map[int]queuedSearch{}
		for i, s := range cur.convs {
			if !s.done {
				calls[i] = c.searchCall(ctx, pipe, s.conv, q, s.next, limit)
			}
		}
		_, _ = pipe.Exec(ctx) // each reply is read below
		for i, call := range calls {
			page, err := call.result(ctx)
			if err != nil {
				return SearchResults{}, fmt.Errorf("search %s: %w", Display(cur.convs[i].conv), err)
			}
			res.Scanned += page.Scanned
			cur.convs[i].next, cur.convs[i].done = page.Next, page.Done
			cur.held = append(cur.held, page.Hits...)
		}
		slices.SortStableFunc(cur.held, func(a, b Message) int { return b.ID.Compare(a.ID) })
		if ctx.Err() != nil {
			return SearchResults{}, ctx.Err()
		}
	}
}

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
		found := ""
		for _, conv := range convs {
			if conv == want || (!isDM(want) && conv == Private(strings.TrimPrefix(want, privateMark))) {
				found = conv
			}
		}
		if found == "" {
			return nil, fmt.Errorf("%w: you cannot search %s: no such channel, or not one of yours", ErrBadQuery, Display(want))
		}
		if !slices.Contains(out, found) {
			out = append(out, found)
		}
	}
	return out, nil
}
