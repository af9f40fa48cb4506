package chat

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/redis/go-redis/v9"
)

// Errors of structure, for errors.Is.
var (
	// ErrNoSuchMessage: the message an edit, delete, reaction or thread
	// reply is about is not there (or is not a message).
	ErrNoSuchMessage = errors.New("no such message")
	// ErrNotAuthor: only a message's author may edit or delete it.
	ErrNotAuthor = errors.New("only its author may change a message")
	// ErrBadReaction: a reaction is one emoji or :shortcode:, nothing else.
	ErrBadReaction = errors.New("a reaction is one emoji")
)

// maxReaction bounds a reaction's bytes (a flag or a family emoji is
// about 25).
const maxReaction = 64

// stateKey is the state Hash of the conversation whose stream is stream.
func stateKey(stream string) string { return stream + ":state" }

// threadKey is the stream of the thread whose root is root.
func threadKey(stream string, root ID) string { return stream + ":thread:" + root.String() }

// change says what the send script must do besides adding m: the change
// ("" none), the message it changes, and the thread's stream suffix.
func change(m *Message) (op, target string, thread ID) {
	switch {
	case m.Kind == KindEdit || m.Kind == KindDelete || m.Kind == KindReact:
		return string(m.Kind), m.Ref.String(), ID{}
	case !m.Thread.IsZero():
		return "thread", m.Thread.String(), m.Thread
	}
	return "", "", ID{}
}

// cleanDraft checks d and returns its text as it will be stored.
func cleanDraft(d Draft, max int) (string, error) {
	switch d.Kind {
	case KindText, KindAction:
		if !d.Ref.IsZero() {
			return "", fmt.Errorf("a message refers to another with ReplyTo or Thread, not Ref")
		}
		if !d.Thread.IsZero() && d.Kind != KindText && d.Kind != KindAction {
			return "", fmt.Errorf("only a message goes into a thread")
		}
		return CleanText(d.Text, max)
	case KindEdit:
		if d.Ref.IsZero() {
			return "", fmt.Errorf("edit: %w", ErrNoSuchMessage)
		}
		return CleanText(d.Text, max)
	case KindDelete:
		if d.Ref.IsZero() {
			return "", fmt.Errorf("delete: %w", ErrNoSuchMessage)
		}
		return "", nil
	case KindReact:
		if d.Ref.IsZero() {
			return "", fmt.Errorf("react: %w", ErrNoSuchMessage)
		}
		return cleanReaction(d.Text)
	}
	return "", fmt.Errorf("unknown kind %q", d.Kind)
}

// cleanReaction checks a reaction: one emoji, or a :shortcode: that names
// one (see Emoji); it returns the emoji.
func cleanReaction(r string) (string, error) {
	r = strings.TrimSpace(r)
	if e, ok := Emoji(r); ok {
		return e, nil
	}
	if r == "" || len(r) > maxReaction || !utf8.ValidString(r) {
		return "", fmt.Errorf("%w: give an emoji or a :shortcode: like :+1:", ErrBadReaction)
	}
	for _, c := range r {
		if unicode.IsSpace(c) || unicode.IsControl(c) || c < 0x80 && !strings.ContainsRune("#*0123456789", c) {
			return "", fmt.Errorf("%w: give an emoji or a :shortcode: like :+1:", ErrBadReaction)
		}
	}
	return r, nil
}

// Edit queues a new text for the user's message id of conv (see Send).
func (c *Client) Edit(conv string, id ID, text string) (string, error) {
	return c.Send(Draft{Channel: conv, Kind: KindEdit, Ref: id, Text: text})
}

// Delete queues the deletion of the user's message id of conv.
func (c *Client) Delete(conv string, id ID) (string, error) {
	return c.Send(Draft{Channel: conv, Kind: KindDelete, Ref: id})
}

// React queues the user's reaction emoji to message id of conv; reacting
// again with the same emoji takes it back.
func (c *Client) React(conv string, id ID, emoji string) (string, error) {
	return c.Send(Draft{Channel: conv, Kind: KindReact, Ref: id, Text: emoji})
}

// structureError turns the send script's refusals into errors callers can
// branch on.
func structureError(err error) (error, bool) {
	switch {
	case redis.HasErrorPrefix(err, "NOMESSAGE"):
		return fmt.Errorf("%w: %s", ErrNoSuchMessage, strings.TrimPrefix(CleanRedisError(err).Error(), "NOMESSAGE ")), true
	case redis.HasErrorPrefix(err, "NOTYOURS"):
		return ErrNotAuthor, true
	}
	return err, false
}

// pageScript reads a page of a conversation's messages, newest first:
// the entries shown as lines (messages, not changes, not thread replies),
// the state of each, and the messages the page's replies answer that lie
// outside it — in one call, however many changes lie between them.
//
//	KEYS: 1 stream, 2 state Hash
//	ARGV: 1 upper end ("+" or "(" id), 2 lines wanted, 3 entries to scan
//	      at most
//
// It returns {entries, states (aligned, false when none), quoted entries,
// 1 when older entries remain, the newest entry scanned ("" when none)}.
var pageScript = redis.NewScript(`
local hi, want, budget = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local out, scanned, top, more, replies = {}, 0, '', 0, false
while scanned < budget do
  local n = math.min(want + 20, budget - scanned)
  local batch = redis.call('XREVRANGE', KEYS[1], hi, '-', 'COUNT', n)
  if top == '' and batch[1] then top = batch[1][1] end
  for _, e in ipairs(batch) do
    if #out >= want then more = 1 break end
    scanned = scanned + 1
    local f = e[2]
    -- A message as rtchat writes it: its 5 fields (channel_id last),
    -- and the signature's 2 when signed.
    local shown = f[9] == 'channel_id' and (#f == 10 or (#f == 14 and f[11] == 'key'))
    if not shown then
      shown = true
      for j = 1, #f, 2 do
        if (f[j] == 'kind' and f[j + 1] ~= '' and f[j + 1] ~= 'action') or f[j] == 'thread' then shown = false
        elseif f[j] == 'reply' then replies = true end
      end
    end
    if shown then out[#out + 1] = e end
  end
  if more == 1 or #batch < n then break end
  hi = '(' .. batch[#batch][1]
  if scanned >= budget then more = 1 end
end
local ids, seen = {}, {}
for k, e in ipairs(out) do ids[k] = e[1] seen[e[1]] = true end
local states = {}
if #ids > 0 then states = redis.call('HMGET', KEYS[2], unpack(ids)) end
local quoted = {}
if replies then
  for _, e in ipairs(out) do
    local f = e[2]
    for i = 1, #f, 2 do
      if f[i] == 'reply' and not seen[f[i + 1]] and #quoted < 50 then
        seen[f[i + 1]] = true
        local q = redis.call('XRANGE', KEYS[1], f[i + 1], f[i + 1])
        if q[1] then quoted[#quoted + 1] = q[1] end
      end
    end
  end
end
return {out, states, quoted, more, top}
`)

// pageScan bounds the entries one page read scans: a page of 200 lines
// among at most 4800 changes.
const pageScan = 5000

// readPage runs pageScript for conv before (exclusive; zero: from the
// newest) and returns the page oldest first, whether older entries
// remain, and the newest entry scanned.
func (c *Client) readPage(ctx context.Context, rdb redis.Scripter, conv string, before ID, n int64) (page []Message, more bool, top ID, err error) {
	stream := c.streamOf(conv)
	res, err := pageScript.Run(ctx, rdb, []string{stream, stateKey(stream)}, before.exclusive("+"), n, pageScan).Slice()
	if err != nil {
		return nil, false, ID{}, fmt.Errorf("read history of %q: %w", conv, CleanRedisError(err))
	}
	page, more, top = c.decodePage(conv, res)
	return page, more, top, nil
}

// queuedPage is the newest page of a conversation queued on a pipeline
// (EVALSHA: the script's text does not travel); reply reads it.
type queuedPage struct {
	cmd  *redis.Cmd
	keys []string
	args []any
}

// queueNewestPage queues the read of the newest n lines of conv on pipe.
func (c *Client) queueNewestPage(ctx context.Context, pipe redis.Pipeliner, conv string, n int64) queuedPage {
	stream := c.streamOf(conv)
	q := queuedPage{keys: []string{stream, stateKey(stream)}, args: []any{"+", max(n, 1), pageScan}}
	q.cmd = pageScript.EvalSha(ctx, pipe, q.keys, q.args...)
	return q
}

// reply returns the page's reply once the pipeline ran; on a server that
// has not seen the script yet it runs it again, loading it.
func (q queuedPage) reply(ctx context.Context, rdb redis.Scripter) ([]any, error) {
	res, err := q.cmd.Slice()
	if redis.HasErrorPrefix(err, "NOSCRIPT") {
		res, err = pageScript.Run(ctx, rdb, q.keys, q.args...).Slice()
	}
	return res, err
}

// decodePage reads pageScript's reply.
func (c *Client) decodePage(conv string, res []any) (page []Message, more bool, top ID) {
	if len(res) != 5 {
		return nil, false, ID{}
	}
	entries, _ := res[0].([]any)
	states, _ := res[1].([]any)
	quoted, _ := res[2].([]any)
	quotes := map[ID]*Message{}
	for _, q := range quoted {
		if id, values, ok := scriptEntry(q); ok {
			m := decodeEntry(conv, id, values)
			quotes[m.ID] = &m
		}
	}
	page = scriptMessages(conv, entries, states, true)
	byID := make(map[ID]*Message, len(page))
	for i := range page {
		byID[page[i].ID] = &page[i]
	}
	for i := range page {
		if r := page[i].ReplyTo; !r.IsZero() && byID[r] == nil {
			page[i].Quote = quotes[r]
		}
	}
	m, _ := res[3].(int64)
	t, _ := res[4].(string)
	top, _ = parseID(t)
	return page, m == 1, top
}

// threadScript reads a thread: its root (with its state) and its newest
// replies (with theirs), in one call on the conversation's node.
//
//	KEYS: 1 stream, 2 state Hash, 3 the thread's stream
//	ARGV: 1 root id, 2 replies wanted
var threadScript = redis.NewScript(`
local root = redis.call('XRANGE', KEYS[1], ARGV[1], ARGV[1])
local replies = redis.call('XREVRANGE', KEYS[3], '+', '-', 'COUNT', tonumber(ARGV[2]))
local ids = {ARGV[1]}
for _, e in ipairs(replies) do ids[#ids + 1] = e[1] end
return {root, replies, redis.call('HMGET', KEYS[2], unpack(ids))}
`)

// ThreadReplies is how many of a thread's newest replies Thread reads.
const ThreadReplies = 1000

// Thread returns the thread of message root of conv: the root and up to
// ThreadReplies of its newest replies, oldest first, each with its
// State. The error wraps ErrNoSuchMessage when root is not there.
func (c *Client) Thread(ctx context.Context, conv string, root ID) (Message, []Message, error) {
	if err := ValidateConv(conv); err != nil {
		return Message{}, nil, err
	}
	stream := c.streamOf(conv)
	res, err := threadScript.Run(ctx, c.rdb, []string{stream, stateKey(stream), threadKey(stream, root)}, root.String(), ThreadReplies).Slice()
	if err != nil {
		return Message{}, nil, fmt.Errorf("read the thread of %s in %q: %w", root, conv, CleanRedisError(err))
	}
	if len(res) != 3 {
		return Message{}, nil, fmt.Errorf("read the thread of %s in %q: unexpected reply", root, conv)
	}
	roots, _ := res[0].([]any)
	entries, _ := res[1].([]any)
	states, _ := res[2].([]any) // the root's, then its replies'
	var rootState []any
	if len(states) > 0 {
		rootState, states = states[:1], states[1:]
	}
	rs := scriptMessages(conv, roots, rootState, false)
	if len(rs) == 0 {
		return Message{}, nil, fmt.Errorf("thread of %s in %q: %w", root, conv, ErrNoSuchMessage)
	}
	r := rs[0]
	replies := scriptMessages(conv, entries, states, true)
	c.verify.remember(r)
	c.verify.rememberAll(replies)
	return r, replies, nil
}

// aroundScript reads the messages shown as lines around an id: up to n
// before it, the entry itself and up to n after, with their states.
//
//	KEYS: 1 stream, 2 state Hash
//	ARGV: 1 id, 2 n, 3 entries to scan each way at most
var aroundScript = redis.NewScript(`
local function shown(e)
  local f = e[2]
  for i = 1, #f, 2 do
    if (f[i] == 'kind' and f[i + 1] ~= '' and f[i + 1] ~= 'action') or f[i] == 'thread' then return false end
  end
  return true
end
local n, scan, out, ids = tonumber(ARGV[2]), tonumber(ARGV[3]), {}, {}
local before = redis.call('XREVRANGE', KEYS[1], '(' .. ARGV[1], '-', 'COUNT', scan)
local b = {}
for _, e in ipairs(before) do
  if #b >= n then break end
  if shown(e) then b[#b + 1] = e end
end
for i = #b, 1, -1 do out[#out + 1] = b[i] end
for _, e in ipairs(redis.call('XRANGE', KEYS[1], ARGV[1], '+', 'COUNT', scan)) do
  if #out >= #b + n + 1 then break end
  if e[1] == ARGV[1] or shown(e) then out[#out + 1] = e end
end
for _, e in ipairs(out) do ids[#ids + 1] = e[1] end
local states = {}
if #ids > 0 then states = redis.call('HMGET', KEYS[2], unpack(ids)) end
return {out, states}
`)
