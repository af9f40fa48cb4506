package chat

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"
)

// A conversation is named by a string everywhere a channel goes (Join,
// Send, History, events, read markers):
//
//	general   a public channel: every account may list, read and write it
//	+secret   a private channel: only its members (set by an admin) may
//	@bob      the direct conversation between the user and bob
//
// Their keys are apart (docs/DESIGN.md, "Accounts"), so that Redis ACL
// patterns can give each account its own DMs and private channels and
// nothing else of them.
const (
	dmMark      = "@"
	privateMark = "+"
)

// DM returns the name of the direct conversation with peer ("@peer").
func DM(peer string) string { return dmMark + peer }

// Private returns the name of private channel name ("+name").
func Private(name string) string { return privateMark + name }

// PeerOf returns the other person of a direct conversation ("@bob" →
// "bob"); ok is false for anything else.
func PeerOf(conv string) (string, bool) { return strings.CutPrefix(conv, dmMark) }

// PrivateName returns the name of a private channel ("+secret" →
// "secret"); ok is false for anything else.
func PrivateName(conv string) (string, bool) { return strings.CutPrefix(conv, privateMark) }

// ValidateConv checks a conversation name: a channel name, or one after
// "+" or "@" (see ValidateName).
func ValidateConv(conv string) error {
	if name, ok := PeerOf(conv); ok {
		if _, bot := IntegrationName(name); bot {
			return ErrBotDM
		}
		return ValidateName(name)
	}
	if name, ok := PrivateName(conv); ok {
		return ValidateName(name)
	}
	return ValidateName(conv)
}

// Display is how people see a conversation's name: "#general", "#secret",
// "@bob".
func Display(conv string) string {
	if _, ok := PeerOf(conv); ok {
		return conv
	}
	if name, ok := PrivateName(conv); ok {
		return "#" + name
	}
	return "#" + conv
}

// dmTag is the hash tag of the conversation between a and b: both names,
// sorted, so that both sides name the same keys and the conversation is
// one slot of a cluster.
func dmTag(a, b string) string {
	if b < a {
		a, b = b, a
	}
	return a + "," + b
}

// DMStream is the Stream (and the Pub/Sub topic) of the direct
// conversation between a and b.
func (k Keys) DMStream(a, b string) string { return k.dm() + tag(dmTag(a, b)) }

// DMList is the Set of the people user has direct conversations with;
// only user writes it.
func (k Keys) DMList(user string) string { return k.dm() + tag(user) + ":with" }

// DMInbox is the Sorted Set where others tell user that they opened a
// conversation with them: signed notices, which anyone may add (ZADD)
// and only user may read (docs/DESIGN.md, "Conversations").
func (k Keys) DMInbox(user string) string { return k.dm() + tag(user) + ":inbox" }

// PrivateChannel is the Hash of private channel name (id, name, …).
func (k Keys) PrivateChannel(name string) string { return k.private() + tag(name) }

// PrivateChannels is the SCAN pattern that matches every private
// channel's Hash (and none of the keys beside it).
func (k Keys) PrivateChannels() string { return k.private() + "{*}" }

// PrivateName is the name of the private channel whose Hash is key, and
// false when key is not one.
func (k Keys) PrivateName(key string) (string, bool) {
	name, ok := strings.CutPrefix(key, k.private()+"{")
	if name, ok2 := strings.CutSuffix(name, "}"); ok && ok2 && ValidateName(name) == nil {
		return name, true
	}
	return "", false
}

// PrivateMembers is the Set of private channel name's members.
func (k Keys) PrivateMembers(name string) string { return k.private() + tag(name) + ":members" }

// PrivateStream is the Stream (and the topic) of private channel name.
func (k Keys) PrivateStream(name string) string { return k.privmsg() + tag(name) }

// UserPrivate is the Set of the private channels user belongs to.
func (k Keys) UserPrivate(user string) string { return k.UserPrefix + tag(user) + ":private" }

func (k Keys) dm() string      { return or(k.DMPrefix, "dm:") }
func (k Keys) private() string { return or(k.PrivatePrefix, "private:") }
func (k Keys) privmsg() string { return or(k.PrivateMessagePrefix, "privmsg:") }

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// streamOf returns the Stream (and topic) of conv as this client's user
// sees it.
func (h *history) streamOf(conv string) string {
	if peer, ok := PeerOf(conv); ok {
		return h.c.keys.DMStream(h.c.opts.User, peer)
	}
	if name, ok := PrivateName(conv); ok {
		return h.c.keys.PrivateStream(name)
	}
	return h.c.keys.Stream(conv)
}

// hashOf returns the Hash of conv, or "" for a direct conversation.
func (h *history) hashOf(conv string) string {
	if _, ok := PeerOf(conv); ok {
		return ""
	}
	if name, ok := PrivateName(conv); ok {
		return h.c.keys.PrivateChannel(name)
	}
	return h.c.keys.Channel(conv)
}

// convOfTopic returns the conversation a live topic carries, if it is one
// (and its name is valid).
func (h *history) convOfTopic(topic string) (string, bool) {
	conv, ok := h.topicConv(topic)
	return conv, ok && ValidateConv(conv) == nil
}

func (h *history) topicConv(topic string) (string, bool) {
	if name, ok := h.c.keys.channelFromTopic(topic); ok {
		return name, true
	}
	if rest, ok := strings.CutPrefix(topic, h.c.keys.privmsg()+"{"); ok && strings.HasSuffix(rest, "}") {
		return Private(strings.TrimSuffix(rest, "}")), true
	}
	if rest, ok := strings.CutPrefix(topic, h.c.keys.dm()+"{"); ok && strings.HasSuffix(rest, "}") {
		a, b, ok := strings.Cut(strings.TrimSuffix(rest, "}"), ",")
		switch {
		case !ok || !validName(a) || !validName(b):
			return "", false
		case a == h.c.opts.User:
			return DM(b), true
		case b == h.c.opts.User:
			return DM(a), true
		}
	}
	return "", false
}

// dmPatterns are the Pub/Sub patterns of the user's direct conversations.
func (k Keys) dmPatterns(user string) []string {
	return []string{k.dm() + "{" + user + ",*}", k.dm() + "{*," + user + "}"}
}

// Resolve turns a name as a person types it into a conversation: "@bob"
// and "+secret" as they are, and a channel name into "+name" when the user
// belongs to a private channel of that name.
func (c *Client) Resolve(ctx context.Context, name string) (string, error) {
	name = strings.TrimPrefix(name, "#")
	if err := ValidateConv(name); err != nil {
		return "", err
	}
	if _, ok := PeerOf(name); ok {
		return name, nil
	}
	if _, ok := PrivateName(name); ok {
		return name, nil
	}
	mine, err := c.rdb.SIsMember(ctx, c.keys.UserPrivate(c.opts.User), name).Result()
	if err != nil {
		return "", fmt.Errorf("look up %q: %w", name, CleanRedisError(err))
	}
	if mine {
		return Private(name), nil
	}
	return name, nil
}

// Prepared is a conversation made ready for a send (see Prepare).
type Prepared struct {
	// Conv is the conversation, as names go ("+ops" for a private #ops).
	Conv string
	// Created is set when the public channel did not exist and was made.
	Created bool
}

// Prepare readies conversation name (as typed) for a send in one round
// trip where it can: the signing key registered, the name resolved (see
// Resolve) and, with create, a public channel created when it is new
// (see Open). It returns the conversation. A new channel, a private one
// or a direct conversation cost what Open costs on top.
func (c *Client) Prepare(ctx context.Context, name string, create bool) (Prepared, error) {
	return ownPipeline(ctx, c.rdb, func(pipe redis.Pipeliner) func(context.Context) (Prepared, error) {
		return c.QueuePrepare(ctx, pipe, name, create)
	})
}

// QueuePrepare is Prepare for a caller that carries its commands in an
// exchange of its own: it queues them on pipe, and finish, once pipe ran,
// answers as Prepare does.
func (c *Client) QueuePrepare(ctx context.Context, pipe redis.Pipeliner, name string, create bool) (finish func(context.Context) (Prepared, error)) {
	name = strings.TrimPrefix(name, "#")
	if err := checkConvFor(c.opts.User, name); err != nil {
		return func(context.Context) (Prepared, error) { return Prepared{}, err }
	}
	_, dm := PeerOf(name)
	_, private := PrivateName(name)
	var must []redis.Cmder
	if s := c.opts.Signer; s != nil {
		must = append(must, pipe.HSet(ctx, c.keys.SigningKeys(c.opts.User), s.KeyID(), s.PublicKey()))
	}
	var mine *redis.BoolCmd
	var id *redis.StringCmd
	var claimed *redis.IntCmd
	if !dm && !private {
		mine = pipe.SIsMember(ctx, c.keys.UserPrivate(c.opts.User), name)
		id = pipe.HGet(ctx, c.keys.Channel(name), "id")
		claimed = pipe.Exists(ctx, c.keys.PrivateClaim(name))
		must = append(must, mine, claimed)
	}
	return func(ctx context.Context) (Prepared, error) {
		for _, cmd := range must {
			if err := cmd.Err(); err != nil {
				return Prepared{}, fmt.Errorf("get ready to send to %s: %w", Display(name), CleanRedisError(err))
			}
		}
		if id != nil && id.Err() != nil && !errors.Is(id.Err(), redis.Nil) {
			return Prepared{}, fmt.Errorf("get ready to send to %s: %w", Display(name), CleanRedisError(id.Err()))
		}
		conv := name
		switch {
		case mine != nil && mine.Val():
			conv = Private(name)
		case claimed != nil && claimed.Val() == 1:
			// Another's private channel has the name (whatever its public
			// hash, which any account may write, says).
			return Prepared{}, fmt.Errorf("#%s: %w", name, ErrPrivateName)
		case mine != nil && id.Val() != "":
			return Prepared{Conv: conv}, nil // a public channel that exists
		}
		if !create {
			return Prepared{Conv: conv}, nil
		}
		if mine != nil && conv == name {
			// A public channel not there yet: made here.
			_, made, err := c.channels.Create(ctx, conv, "", c.opts.User)
			return Prepared{Conv: conv, Created: made}, err
		}
		if _, err := c.Open(ctx, conv); err != nil {
			return Prepared{}, err
		}
		return Prepared{Conv: conv}, nil
	}
}

// syncPrivate brings the private channels the client follows in line
// with what an admin recorded: it stops following those the user no
// longer belongs to (a RemovedEvent each) and follows those the user was
// added to (a JoinedEvent each, with AutoJoin). It reports whether it dropped any (a
// subscription refused for lack of rights is then worth a retry).
func (fd *feed) syncPrivate(ctx context.Context) (dropped bool) {
	pipe := fd.c.rdb.Pipeline()
	mine := pipe.SMembers(ctx, fd.c.keys.UserPrivate(fd.c.opts.User))
	joined := pipe.SMembers(ctx, fd.c.keys.UserChannels(fd.c.opts.User))
	if _, err := pipe.Exec(ctx); err != nil {
		fd.c.opts.Logger.Debug("read the private channels", "err", err)
		return false
	}
	member := map[string]bool{}
	for _, n := range mine.Val() {
		member[Private(n)] = true
	}
	followed := map[string]bool{}
	for _, conv := range fd.followedNames() {
		followed[conv] = true
		if _, private := PrivateName(conv); !private || member[conv] {
			continue
		}
		fd.unfollow(ctx, conv)
		_ = fd.c.rdb.SRem(ctx, fd.c.keys.UserChannels(fd.c.opts.User), conv).Err()
		fd.c.emit(ctx, RemovedEvent{Channel: conv})
		dropped = true
	}
	for _, conv := range joined.Val() {
		if !fd.c.opts.AutoJoin || !member[conv] || followed[conv] {
			continue
		}
		ch, err := fd.c.Channel(ctx, conv)
		if err != nil {
			continue
		}
		fd.c.emit(ctx, JoinedEvent{Channel: ch})
		if err := fd.follow(ctx, conv, true, fd.c.opts.PageSize); err != nil {
			fd.c.opts.Logger.Debug("follow a private channel", "channel", conv, "err", err)
		}
	}
	return dropped
}

// neverUsed says that peer never used rtchat on the server; it wraps
// ErrNoSuchUser.
func neverUsed(peer string) error { return &noUserError{peer} }

type noUserError struct{ peer string }

func (e *noUserError) Error() string {
	return e.peer + " has never used rtchat on this server; they must start it once before you can write to them"
}

func (e *noUserError) Unwrap() error { return ErrNoSuchUser }
