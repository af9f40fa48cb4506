package chat

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// The mentions inbox is where others' sends tell a person what calls on
// them: a message that mentions them by @name, every direct message, a
// reply to their message (or in the thread of one), a reaction to one.
// As with direct conversations' inbox (docs/DESIGN.md, "Conversations"),
// anyone may add to it (ZADD) and only its owner may read it; each notice
// is signed by its sender and names its recipient, and the reader shows
// it only with the message it points at, read from its conversation (so
// a notice of a conversation the reader may not read shows nothing):
//
//	user:{alice}:mentions  ZSet  signed notices, by time (ms)
//	user:{alice}:read      Hash  "/mentions" → the newest notice read (ms)

// The kinds of mention.
const (
	MentionName  = "mention" // @name in the text
	MentionDM    = "dm"      // a direct message
	MentionReply = "reply"   // a reply to one's message, or in its thread
	MentionReact = "react"   // a reaction to one's message
)

// MentionsInbox is user's inbox of mentions.
func (k Keys) MentionsInbox(user string) string { return k.UserPrefix + tag(user) + ":mentions" }

// maxNotice is the longest notice read (a real one is a few hundred
// bytes; anyone may add one).
const maxNotice = 2048

// mentionsMark is the read-marker field of the inbox.
const mentionsMark = "/mentions"

// mentionsKeep is how many notices an owner's client keeps (the oldest go).
const mentionsKeep = 1000

// mentionNotice is one notice as stored.
type mentionNotice struct {
	To   string `json:"to"`
	Conv string `json:"conv"` // as the recipient names it
	ID   string `json:"id"`
	Kind string `json:"kind"`
	// Reaction is the emoji of a MentionReact.
	Reaction string `json:"reaction,omitempty"`
	From     string `json:"from"`
	// By is who signed it when not From: the recipient's own terminal,
	// for what only it can tell calls on them (see RememberMention).
	By  string `json:"by,omitempty"`
	TS  int64  `json:"ts"`
	Key string `json:"key"`
	Sig []byte `json:"sig"`
}

func (n *mentionNotice) signed() []byte {
	return []byte(strings.Join([]string{"rtchat mention 1", n.To, n.Conv, n.ID, n.Kind, n.Reaction, n.From, n.By, strconv.FormatInt(n.TS, 10)}, "\x00"))
}

// signer is whose key signs n.
func (n *mentionNotice) signer() string {
	if n.By != "" {
		return n.By
	}
	return n.From
}

// Mention is one entry of the inbox, with the message it is about.
type Mention struct {
	Kind     string
	Reaction string // a MentionReact's emoji
	From     string
	Time     time.Time
	// Message is the message that calls on the user (for a reaction: the
	// user's message reacted to), with its Channel as the user names it.
	Message Message
	// Unread is set for a notice newer than the user last looked.
	Unread bool
}

// mentionsOf lists who a stored message calls on (recipient → kind):
// the peer of a direct message, each account named with @, and the
// author of the message it answers or reacts to (about, when known).
func (c *Client) mentionsOf(d Draft, aboutAuthor string) map[string]string {
	me := c.opts.User
	out := map[string]string{}
	if d.Kind == KindEdit || d.Kind == KindDelete {
		return out // an edit says nothing new
	}
	if d.Kind == KindText || d.Kind == KindAction {
		for _, w := range strings.FieldsFunc(d.Text, func(r rune) bool { return r > 127 || !nameByte(lowerByte(byte(r))) && r != '@' }) {
			if name, ok := strings.CutPrefix(w, "@"); ok && validName(asciiLower(name)) && asciiLower(name) != me {
				name = asciiLower(name)
				out[name] = MentionName
			}
		}
	}
	if aboutAuthor != "" && aboutAuthor != me && validName(aboutAuthor) {
		if d.Kind == KindReact {
			out[aboutAuthor] = MentionReact
		} else if d.Kind == KindText || d.Kind == KindAction {
			out[aboutAuthor] = MentionReply
		}
	}
	if peer, dm := PeerOf(d.Channel); dm {
		for who := range out {
			if who != peer {
				delete(out, who) // nobody else may read the conversation
			}
		}
		if _, ok := out[peer]; !ok && d.Kind != KindReact {
			out[peer] = MentionDM
		}
	}
	return out
}

// tellMentioned adds a notice of sent (d, stored) to the inbox of each
// person it calls on. It is best effort: a notice lost only leaves the
// inbox without it (the window's live notification still came).
func (c *Client) tellMentioned(ctx context.Context, d Draft, sent Sent) {
	if c.opts.Signer == nil || sent.Duplicate || sent.ID.IsZero() {
		return
	}
	about := d.Ref
	if d.Kind == KindText || d.Kind == KindAction {
		about = d.ReplyTo
		if about.IsZero() {
			about = d.Thread
		}
	}
	author := ""
	if !about.IsZero() {
		xs, err := c.rdb.XRange(ctx, c.hist.streamOf(d.Channel), about.String(), about.String()).Result()
		if err == nil && len(xs) == 1 {
			author, _ = xs[0].Values[fieldUser].(string)
		}
	}
	whom := c.mentionsOf(d, author)
	if len(whom) == 0 {
		return
	}
	pipe := c.rdb.Pipeline()
	for to, kind := range whom {
		conv := d.Channel
		if _, dm := PeerOf(conv); dm {
			conv = DM(c.opts.User) // as the recipient names it
		}
		id := sent.ID
		if kind == MentionReact {
			id = d.Ref // the recipient's own message
		}
		n := mentionNotice{To: to, Conv: conv, ID: id.String(), Kind: kind, From: c.opts.User, TS: int64(sent.ID.MS), Key: c.opts.Signer.KeyID()}
		if kind == MentionReact {
			n.Reaction = d.Text
		}
		n.Sig = ed25519.Sign(c.opts.Signer.priv, n.signed())
		raw, _ := json.Marshal(n)
		pipe.ZAdd(ctx, c.keys.MentionsInbox(to), redis.Z{Score: float64(n.TS), Member: raw})
	}
	if _, err := pipe.Exec(ctx); err != nil {
		c.opts.Logger.Debug("tell the mentioned", "channel", d.Channel, "err", err)
	}
}

// MentionInbox returns the newest limit entries of the user's mentions
// inbox, newest first: each notice checked (signed by its sender, for
// this user) and shown only with its message, read from a conversation
// the user may read. It keeps the inbox to its newest mentionsKeep notices.
func (c *Client) MentionInbox(ctx context.Context, limit int) ([]Mention, error) {
	if limit <= 0 {
		limit = 50
	}
	me, inbox := c.opts.User, c.keys.MentionsInbox(c.opts.User)
	pipe := c.rdb.Pipeline()
	// Anyone may add, so more than asked for are read (a flood of junk
	// does not hide the real ones), none dated in the future, and what
	// does not hold is taken out.
	now := strconv.FormatInt(time.Now().Add(time.Minute).UnixMilli(), 10)
	list := pipe.ZRangeArgs(ctx, redis.ZRangeArgs{Key: inbox, Start: now, Stop: "-inf", ByScore: true, Rev: true, Count: int64(max(limit*4, 200))})
	mark := pipe.HGet(ctx, c.keys.ReadMarks(me), mentionsMark)
	oldest := pipe.ZRangeArgsWithScores(ctx, redis.ZRangeArgs{Key: inbox, Start: mentionsKeep, Stop: mentionsKeep, Rev: true})
	_, _ = pipe.Exec(ctx)
	if err := list.Err(); err != nil {
		return nil, fmt.Errorf("read your mentions: %w", CleanRedisError(err))
	}
	if o := oldest.Val(); len(o) == 1 {
		_ = c.rdb.ZRemRangeByScore(ctx, inbox, "-inf", strconv.FormatFloat(o[0].Score, 'f', -1, 64)).Err()
	}
	seen, _ := strconv.ParseInt(strings.TrimPrefix(mark.Val(), "t"), 10, 64)
	var notes []mentionNotice
	var raws, junk []any
	for _, raw := range list.Val() {
		if n, ok := parseNotice(raw, me); ok {
			notes, raws = append(notes, n), append(raws, raw)
		} else {
			junk = append(junk, raw)
		}
	}
	// The senders' keys and the messages, in one round trip.
	pipe = c.rdb.Pipeline()
	keys := make([]*redis.StringCmd, len(notes))
	msgs := make([]*redis.XMessageSliceCmd, len(notes))
	for i, n := range notes {
		keys[i] = pipe.HGet(ctx, c.keys.SigningKeys(n.signer()), n.Key)
		msgs[i] = pipe.XRange(ctx, c.hist.streamOf(n.Conv), n.ID, n.ID)
	}
	if len(notes) > 0 {
		_, _ = pipe.Exec(ctx)
	}
	var out []Mention
	shown := map[string]bool{} // conversation and id: one entry a message
	for i, n := range notes {
		pub, ok := parsePublicKey(n.Key, keys[i].Val())
		if err := keys[i].Err(); (err == nil || errors.Is(err, redis.Nil)) && (!ok || !ed25519.Verify(pub, n.signed(), n.Sig)) {
			junk = append(junk, raws[i]) // not its sender's
			continue
		}
		if !ok || len(out) >= limit {
			continue
		}
		xs, err := msgs[i].Result()
		if err != nil || len(xs) != 1 {
			continue // gone, or not the user's to read
		}
		if _, private := PrivateName(n.Conv); private && !c.mayRead(ctx, n.Conv) {
			continue
		}
		m := decodeEntry(n.Conv, xs[0].ID, xs[0].Values)
		switch {
		case n.Kind == MentionReact && m.User != me:
			continue // a reaction is to one's own message
		case n.Kind != MentionReact && m.User != n.From:
			continue // the notice's sender wrote the message
		case n.Kind == MentionName && n.By == "" && !Mentions(m.Text, me):
			continue // and it does mention the user (one's own terminal tells what else does)
		case shown[n.Conv+" "+n.ID+" "+n.Kind+n.Reaction]:
			continue
		}
		shown[n.Conv+" "+n.ID+" "+n.Kind+n.Reaction] = true
		out = append(out, Mention{Kind: n.Kind, Reaction: n.Reaction, From: n.From, Time: time.UnixMilli(n.TS), Message: m, Unread: n.TS > seen})
	}
	if len(junk) > 0 {
		_ = c.rdb.ZRem(ctx, inbox, junk...).Err()
	}
	return out, nil
}

// parseNotice reads a stored notice for me and checks its form (not its
// signature).
func parseNotice(raw, me string) (mentionNotice, bool) {
	var n mentionNotice
	if len(raw) > maxNotice || json.Unmarshal([]byte(raw), &n) != nil || n.To != me || !validAuthor(n.From) || ValidateConv(n.Conv) != nil || len(n.Sig) != ed25519.SignatureSize {
		return n, false
	}
	if _, err := ParseID(n.ID); err != nil {
		return n, false
	}
	if peer, dm := PeerOf(n.Conv); dm && peer != n.From {
		return n, false // a direct message is from its peer
	}
	if n.By != "" && (n.By != me || n.Kind != MentionName) {
		return n, false // only one's own terminal signs for another
	}
	return n, true
}

// mayRead reports whether the user belongs to private channel conv (both
// records name them).
func (c *Client) mayRead(ctx context.Context, conv string) bool {
	name, _ := PrivateName(conv)
	pipe := c.rdb.Pipeline()
	mine := pipe.SIsMember(ctx, c.keys.UserPrivate(c.opts.User), name)
	member := pipe.SIsMember(ctx, c.keys.PrivateMembers(name), c.opts.User)
	_, _ = pipe.Exec(ctx)
	return mine.Val() && member.Val()
}

// RememberMention adds m to the user's own inbox: a message that calls on
// them in a way only their terminal can tell (a bare name, @here, a
// highlight word), which its sender's rtchat did not add. Signed by this
// terminal's key; every terminal that saw it may add it, and the inbox
// shows it once.
func (c *Client) RememberMention(ctx context.Context, m Message) error {
	me := c.opts.User
	if c.opts.Signer == nil || m.ID.IsZero() || m.User == me || ValidateConv(m.Channel) != nil {
		return nil
	}
	n := mentionNotice{To: me, Conv: m.Channel, ID: m.ID.String(), Kind: MentionName, From: m.User, By: me, TS: int64(m.ID.MS), Key: c.opts.Signer.KeyID()}
	n.Sig = ed25519.Sign(c.opts.Signer.priv, n.signed())
	raw, _ := json.Marshal(n)
	if err := c.rdb.ZAdd(ctx, c.keys.MentionsInbox(me), redis.Z{Score: float64(n.TS), Member: raw}).Err(); err != nil {
		return fmt.Errorf("keep a mention: %w", CleanRedisError(err))
	}
	return nil
}

// MarkMentionsRead records that the user has seen their mentions up to
// the time of upTo (every terminal of theirs then shows them read).
func (c *Client) MarkMentionsRead(ctx context.Context, upTo time.Time) error {
	// "t" + ms: no stream id, so that no reader of the markers takes it
	// for a conversation's.
	if err := c.rdb.HSet(ctx, c.keys.ReadMarks(c.opts.User), mentionsMark, "t"+strconv.FormatInt(upTo.UnixMilli(), 10)).Err(); err != nil {
		return fmt.Errorf("mark your mentions read: %w", CleanRedisError(err))
	}
	return nil
}
