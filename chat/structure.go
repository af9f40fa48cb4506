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

// changesKey is the Hash of user's edits and deletes in the conversation
// whose stream is stream: message id → JSON. With accounts only user may
// write it (docs/DESIGN.md, "Structure").
func changesKey(stream, user string) string { return stream + ":by:" + user }

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
		if d.file != nil && strings.TrimSpace(d.Text) == "" {
			return "", nil // a file needs no caption
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

// pageScan bounds the entries one page read scans: a page of 200 lines
// among at most 4800 changes.
const pageScan = 5000

// Page is a page of a conversation's messages, oldest first.
type Page struct {
	Messages []Message
	// More is true when older messages remain (read the page before the
	// first of Messages).
	More bool
	// Trimmed is true when no older messages remain because retention
	// removed them (the conversation began before its oldest message).
	// It is a hint the send script keeps in the shared state Hash, which
	// every writer of the conversation may set.
	Trimmed bool
}

// pageReply is pageScript's reply: the page, the newest entry scanned,
// and, when not nil, an *OddKeysError naming the keys the page was read
// without.
type pageReply struct {
	Page
	top ID
	odd error
}

// readPage runs pageScript for conv before (exclusive; zero: from the
// newest). Keys it went on without come back as an *OddKeysError beside
// the page.
func (h *history) readPage(ctx context.Context, conv string, before ID, n int64) (pageReply, error) {
	stream := h.streamOf(conv)
	res, err := h.c.scripts.run(ctx, pageScript, []string{stream, stateKey(stream)}, before.exclusive("+"), n, pageScan, h.valueLimit()).Slice()
	if err != nil {
		return pageReply{}, fmt.Errorf("read history of %q: %w", conv, CleanRedisError(err))
	}
	r := h.decodePage(conv, res)
	return r, r.odd
}

// queueNewestPage queues the read of the newest n lines of conv on pipe.
func (h *history) queueNewestPage(ctx context.Context, pipe redis.Pipeliner, conv string, n int64) queuedScript {
	stream := h.streamOf(conv)
	return h.c.scripts.queue(ctx, pipe, pageScript, []string{stream, stateKey(stream)}, "+", max(n, 1), pageScan, h.valueLimit())
}

// decodePage reads pageScript's reply.
func (h *history) decodePage(conv string, res []any) pageReply {
	if len(res) != 8 {
		return pageReply{}
	}
	entries, _ := res[0].([]any)
	states, _ := res[1].([]any)
	changes, _ := res[2].([]any)
	quoted, _ := res[3].([]any)
	quotes := map[ID]*Message{}
	for _, q := range quoted {
		if id, values, ok := scriptEntry(q); ok {
			m := decodeEntry(conv, id, values)
			quotes[m.ID] = &m
		}
	}
	page := scriptMessages(conv, entries, states, changes, true)
	byID := make(map[ID]*Message, len(page))
	for i := range page {
		byID[page[i].ID] = &page[i]
	}
	for i := range page {
		if r := page[i].ReplyTo; !r.IsZero() && byID[r] == nil {
			page[i].Quote = quotes[r]
		}
	}
	more, _ := res[4].(int64)
	t, _ := res[5].(string)
	top, _ := parseID(t)
	trimmed, _ := res[7].(int64)
	return pageReply{Page: Page{Messages: page, More: more == 1, Trimmed: trimmed == 1}, top: top, odd: oddKeys(res[6])}
}

// oddKeys reads the keys a reading program went on without: nil when
// there are none, else an *OddKeysError naming them.
func oddKeys(v any) error {
	list, _ := v.([]any)
	var odd OddKeysError
	for _, k := range list {
		if s, ok := k.(string); ok {
			odd.Keys = append(odd.Keys, s)
		}
	}
	if len(odd.Keys) == 0 {
		return nil
	}
	return &odd
}

// ThreadReplies is how many of a thread's newest replies Thread reads.
const ThreadReplies = 1000

// Thread returns the thread of message root of conv: the root and up to
// ThreadReplies of its newest replies, oldest first, each with its
// State. The error wraps ErrNoSuchMessage when root is not there.
func (c *Client) Thread(ctx context.Context, conv string, root ID) (Message, []Message, error) {
	if err := ValidateConv(conv); err != nil {
		return Message{}, nil, err
	}
	stream := c.hist.streamOf(conv)
	res, err := c.scripts.run(ctx, threadScript, []string{stream, stateKey(stream), threadKey(stream, root)}, root.String(), ThreadReplies, c.hist.valueLimit()).Slice()
	if err != nil {
		return Message{}, nil, fmt.Errorf("read the thread of %s in %q: %w", root, conv, CleanRedisError(err))
	}
	if len(res) != 5 {
		return Message{}, nil, fmt.Errorf("read the thread of %s in %q: unexpected reply", root, conv)
	}
	roots, _ := res[0].([]any)
	entries, _ := res[1].([]any)
	states, _ := res[2].([]any) // the root's, then its replies'
	changes, _ := res[3].([]any)
	if odd := oddKeys(res[4]); odd != nil {
		c.opts.Logger.Warn("read a thread without some keys", "channel", conv, "err", odd)
	}
	rootState, rootChanges := states, changes
	if len(roots) > 0 && len(states) > 0 && len(changes) > 0 {
		rootState, states = states[:1], states[1:]
		rootChanges, changes = changes[:1], changes[1:]
	}
	rs := scriptMessages(conv, roots, rootState, rootChanges, false)
	if len(rs) == 0 {
		return Message{}, nil, fmt.Errorf("thread of %s in %q: %w", root, conv, ErrNoSuchMessage)
	}
	r := rs[0]
	replies := scriptMessages(conv, entries, states, changes, true)
	c.verify.remember(r)
	c.verify.rememberAll(replies)
	return r, replies, nil
}
