package chat

import (
	"context"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"
)

// Search limits: one call scans at most SearchScan entries inside Redis
// (a few milliseconds of its time) and returns at most its limit of hits,
// so a search of a long stream is many short calls, never one long one,
// and the client holds only the hits.
const (
	SearchScan  = 2000
	searchChunk = 500
)

// searchScript scans a stream backwards from a cursor and returns the
// entries whose text contains the needle (ASCII letters compared in lower
// case).
//
//	KEYS: 1 stream, 2 state Hash
//	ARGV: 1 upper end of the scan ("+" or "(" id), 2 needle (lower case),
//	      3 hits wanted, 4 entries to scan at most, 5 chunk size
//
// Only messages are searched (thread replies too; not edits, deletes,
// reactions). It returns {hits (entries as XREVRANGE gives them), id of
// the last entry scanned, 1 when the start of the stream was reached,
// entries scanned, the hits' states}.
var searchScript = redis.NewScript(`
local function states(r)
  local ids = {}
  for _, e in ipairs(r[1]) do ids[#ids + 1] = e[1] end
  r[5] = #ids > 0 and redis.call('HMGET', KEYS[2], unpack(ids)) or {}
  return r
end
local want, budget, chunk = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local hi, hits, scanned, last = ARGV[1], {}, 0, ''
while scanned < budget do
  local n = math.min(chunk, budget - scanned)
  local batch = redis.call('XREVRANGE', KEYS[1], hi, '-', 'COUNT', n)
  for _, e in ipairs(batch) do
    scanned = scanned + 1
    last = e[1]
    local f, text, shown = e[2], nil, true
    for i = 1, #f, 2 do
      if f[i] == 'text' then text = f[i + 1]
      elseif f[i] == 'kind' and f[i + 1] ~= '' and f[i + 1] ~= 'action' then shown = false end
    end
    if shown and text and string.find(string.lower(text), ARGV[2], 1, true) then
      hits[#hits + 1] = e
    end
    if #hits >= want then return states({hits, last, 0, scanned}) end
  end
  if #batch < n then return states({hits, last, 1, scanned}) end
  hi = '(' .. last
end
return states({hits, last, 0, scanned})
`)

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

// Search looks for query in the text of channel's messages, newest first,
// on the server: it returns up to limit hits found in the next SearchScan
// entries before cursor (the zero ID starts at the newest entry). A page
// may hold fewer hits and still not be Done; ask again with its Next.
func (c *Client) Search(ctx context.Context, channel, query string, cursor ID, limit int) (SearchPage, error) {
	if err := ValidateConv(channel); err != nil {
		return SearchPage{}, err
	}
	needle := asciiLower(strings.TrimSpace(query))
	if needle == "" {
		return SearchPage{}, fmt.Errorf("search %q: %w", channel, ErrEmptyMessage)
	}
	if limit <= 0 {
		limit = 50
	}
	stream := c.streamOf(channel)
	res, err := searchScript.Run(ctx, c.rdb, []string{stream, stateKey(stream)}, cursor.exclusive("+"), needle, limit, SearchScan, searchChunk).Slice()
	if err != nil {
		return SearchPage{}, fmt.Errorf("search %q: %w", channel, CleanRedisError(err))
	}
	if len(res) != 5 {
		return SearchPage{}, fmt.Errorf("search %q: unexpected reply", channel)
	}
	raw, _ := res[0].([]any)
	last, _ := res[1].(string)
	done, _ := res[2].(int64)
	scanned, _ := res[3].(int64)
	next, _ := parseID(last)
	page := SearchPage{Next: next, Done: done == 1 || next.IsZero(), Scanned: int(scanned)}
	states, _ := res[4].([]any)
	for _, m := range scriptMessages(channel, raw, states, false) {
		if m.State != nil && m.State.Deleted != nil {
			continue // its author took it back
		}
		page.Hits = append(page.Hits, m)
	}
	return page, nil
}

// scriptMessages decodes the entries of conv a script returned, each with
// the state at the same index of states (none where that is missing or
// nil), skipping what is not a stream entry. With reverse the entries are
// a reverse range (newest first) and are read from the last, so that the
// messages come oldest first.
func scriptMessages(conv string, entries, states []any, reverse bool) []Message {
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
		if i < len(states) {
			if raw, ok := states[i].(string); ok {
				m.State = decodeState(&m, raw)
			}
		}
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
	key := c.streamOf(channel)
	res, err := aroundScript.Run(ctx, c.rdb, []string{key, stateKey(key)}, id.String(), n, pageScan).Slice()
	if err != nil {
		return nil, fmt.Errorf("read around %s in %q: %w", id, channel, CleanRedisError(err))
	}
	if len(res) != 2 {
		return nil, fmt.Errorf("read around %s in %q: unexpected reply", id, channel)
	}
	entries, _ := res[0].([]any)
	states, _ := res[1].([]any)
	msgs := scriptMessages(channel, entries, states, false)
	c.verify.rememberAll(msgs)
	return msgs, nil
}
