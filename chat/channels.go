package chat

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// ChannelManager creates, updates, deletes and lists channels (the original
// request's "channel manager" role). Channel info lives in a Hash per channel; the set
// of names in one index Set. It is safe for concurrent use.
type ChannelManager struct {
	rdb     redis.UniversalClient
	keys    Keys
	scripts *scripts
}

// NewChannelManager returns a ChannelManager on rdb with the given key schema.
func NewChannelManager(rdb redis.UniversalClient, keys Keys) *ChannelManager {
	return &ChannelManager{rdb: rdb, keys: keys, scripts: newScripts(rdb, ScriptsAuto)}
}

// LegacyPrivateField is where rtchat before the PrivateClaim key marked
// a private channel's name, in the public channel's hash, which accounts
// may write. rtchat admin install moves it to the claim key.
const LegacyPrivateField = "private"

// createScriptSource creates a channel's hash (KEYS[1]) unless it exists
// (or the name is a private channel's, KEYS[2] exists: PRIVATENAME), and
// gives a hash without an id (written by another tool) the id it is
// offered; it returns 1 when it created the channel. A key of another
// type is refused (see luaCommon).
const createScriptSource = `
if KEYS[2] ~= KEYS[1] .. ':private' then
  return redis.error_reply('ERR the second key must be the first one\'s claim (' .. KEYS[1] .. ':private)')
end
if redis.call('EXISTS', KEYS[2]) == 1 then
  return redis.error_reply('PRIVATENAME a private channel has this name')
end
if need(KEYS[1], 'hash') == 'hash' then
  redis.call('HSETNX', KEYS[1], 'id', ARGV[1])
  return 0
end
redis.call('HSET', KEYS[1], 'id', ARGV[1], 'name', ARGV[2], 'description', ARGV[3], 'created_by', ARGV[4], 'created_at', ARGV[5])
return 1
`

// Create makes channel name with a description, created by user. It is
// idempotent: creating an existing channel changes nothing and returns it
// with created false. A new channel's id is the next number of a counter,
// so the id every message carries costs a byte or two.
func (m *ChannelManager) Create(ctx context.Context, name, description, user string) (ch Channel, created bool, err error) {
	if err := ValidateName(name); err != nil {
		return Channel{}, false, err
	}
	// One round trip for a channel that exists (the common case): its
	// hash, its member count, and the index entry (idempotent; it heals a
	// crash between the steps of an earlier Create).
	pipe := m.rdb.Pipeline()
	h := pipe.HGetAll(ctx, m.keys.Channel(name))
	claimed := pipe.Exists(ctx, m.keys.PrivateClaim(name))
	n := pipe.SCard(ctx, m.keys.Members(name))
	pipe.SAdd(ctx, m.keys.ChannelIndex(), name)
	if _, err := pipe.Exec(ctx); err != nil {
		return Channel{}, false, fmt.Errorf("create channel %q: %w", name, err)
	}
	if claimed.Val() == 1 {
		// Reserved by an admin's private channel: not listed, not made.
		_ = m.rdb.SRem(ctx, m.keys.ChannelIndex(), name).Err()
		return Channel{}, false, fmt.Errorf("#%s: %w", name, ErrPrivateName)
	}
	if h.Val()["id"] != "" {
		ch = channelFromHash(name, h.Val())
		ch.Members = n.Val()
		return ch, false, nil
	}
	seq, err := m.rdb.Incr(ctx, m.keys.ChannelSeq()).Result()
	if err != nil {
		return Channel{}, false, fmt.Errorf("create channel %q: %w", name, err)
	}
	made, err := m.scripts.run(ctx, createScript, []string{m.keys.Channel(name), m.keys.PrivateClaim(name)},
		strconv.FormatInt(seq, 10), name, description, user, strconv.FormatInt(time.Now().UnixMilli(), 10)).Int()
	if redis.HasErrorPrefix(err, "PRIVATENAME") {
		return Channel{}, false, fmt.Errorf("#%s: %w", name, ErrPrivateName)
	}
	if err != nil {
		return Channel{}, false, fmt.Errorf("create channel %q: %w", name, CleanRedisError(err))
	}
	if made == 1 {
		m.announce(ctx)
	}
	ch, err = m.Get(ctx, name)
	return ch, made == 1, err
}

// Get returns channel name with its member count, or an error wrapping
// ErrNoSuchChannel.
func (m *ChannelManager) Get(ctx context.Context, name string) (Channel, error) {
	if err := ValidateName(name); err != nil {
		return Channel{}, err
	}
	pipe := m.rdb.Pipeline()
	r := m.queuePublic(ctx, pipe, name)
	_, _ = pipe.Exec(ctx) // checked in result
	return r.result()
}

// readChannel reads the channel called name from its record (the Hash at
// key hash) and its member count (the Set at key members) in one round
// trip. A channel whose keys the user may not read (a private channel of
// others: NOPERM) does not exist, to them.
func readChannel(ctx context.Context, rdb redis.Cmdable, name, hash, members string) (Channel, error) {
	pipe := rdb.Pipeline()
	r := queueChannel(ctx, pipe, name, hash, members)
	_, _ = pipe.Exec(ctx) // checked in result
	return r.result()
}

// channelRead is readChannel's commands queued on a pipeline, for a
// caller that reads many channels in one round trip.
type channelRead struct {
	name  string
	hash  *redis.MapStringStringCmd
	count *redis.IntCmd
	// claim, for a public channel, says a private channel has the name.
	claim *redis.IntCmd
}

func queueChannel(ctx context.Context, pipe redis.Pipeliner, name, hash, members string) channelRead {
	return channelRead{name: name, hash: pipe.HGetAll(ctx, hash), count: pipe.SCard(ctx, members)}
}

// queuePublic queues the read of public channel name, with the check
// that no private channel has the name.
func (m *ChannelManager) queuePublic(ctx context.Context, pipe redis.Pipeliner, name string) channelRead {
	r := queueChannel(ctx, pipe, name, m.keys.Channel(name), m.keys.Members(name))
	r.claim = pipe.Exists(ctx, m.keys.PrivateClaim(name))
	return r
}

// result answers as readChannel does, once the pipeline ran.
func (r channelRead) result() (Channel, error) {
	err := r.hash.Err()
	if err == nil {
		err = r.count.Err()
	}
	if err == nil && r.claim != nil {
		err = r.claim.Err()
	}
	switch {
	case redis.HasErrorPrefix(err, "NOPERM"):
		return Channel{}, fmt.Errorf("channel %q: %w", r.name, ErrNoSuchChannel)
	case err != nil:
		return Channel{}, fmt.Errorf("read channel %q: %w", r.name, CleanRedisError(err))
	case len(r.hash.Val()) == 0, r.claim != nil && r.claim.Val() == 1,
		r.hash.Val()["id"] == "" && r.hash.Val()[LegacyPrivateField] != "":
		// None, or the name is a private channel's (claimed, or by an
		// older rtchat's claim until admin install moves it).
		return Channel{}, fmt.Errorf("channel %q: %w", r.name, ErrNoSuchChannel)
	}
	ch := channelFromHash(r.name, r.hash.Val())
	ch.Members = r.count.Val()
	return ch, nil
}

// UpdateDescription sets the description of an existing channel.
func (m *ChannelManager) UpdateDescription(ctx context.Context, name, description string) error {
	if err := ValidateName(name); err != nil {
		return err
	}
	ok, err := m.scripts.run(ctx, topicScript, []string{m.keys.Channel(name)}, description).Int()
	if err != nil {
		return fmt.Errorf("update channel %q: %w", name, CleanRedisError(err))
	}
	if ok == 0 {
		return fmt.Errorf("update channel %q: %w", name, ErrNoSuchChannel)
	}
	m.announce(ctx)
	return nil
}

// topicScriptSource sets the description of the channel whose Hash is
// KEYS[1] to ARGV[1]; it returns 0 when there is no such channel.
const topicScriptSource = `
if need(KEYS[1], 'hash') == 'none' then return 0 end
redis.call('HSET', KEYS[1], 'description', ARGV[1])
return 1
`

// Delete removes channel name — its hash, its stream and its member set,
// then its entries in the index and in its members' channel sets — when
// user created it; otherwise the error wraps ErrNotOwner.
func (m *ChannelManager) Delete(ctx context.Context, name, user string) error {
	ch, err := m.Get(ctx, name)
	if err != nil {
		return fmt.Errorf("delete channel: %w", err)
	}
	if ch.CreatedBy != user {
		return fmt.Errorf("delete channel %q (created by %s): %w", name, ch.CreatedBy, ErrNotOwner)
	}
	members, err := m.rdb.SMembers(ctx, m.keys.Members(name)).Result()
	if err != nil {
		return fmt.Errorf("delete channel %q: read members: %w", name, err)
	}
	_, err = m.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Del(ctx, m.keys.Channel(name), m.keys.Stream(name), m.keys.Members(name))
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete channel %q: %w", name, err)
	}
	pipe := m.rdb.Pipeline()
	unindex := pipe.SRem(ctx, m.keys.ChannelIndex(), name)
	for _, u := range members {
		// Best effort: with accounts, only each member may write their
		// own list (their clients forget a channel that is gone).
		pipe.SRem(ctx, m.keys.UserChannels(u), name)
	}
	_, _ = pipe.Exec(ctx)
	if err := unindex.Err(); err != nil {
		return fmt.Errorf("delete channel %q: unindex: %w", name, CleanRedisError(err))
	}
	m.announce(ctx)
	return nil
}

// List returns every channel, sorted by name, with member counts. Index
// entries without a hash are skipped (a channel being created, or one a
// crash left half made; Create completes it). A channel whose
// keys hold values of the wrong type (written by another tool) is skipped
// too: the channels that could be read come back with an *OddKeysError
// naming the others.
func (m *ChannelManager) List(ctx context.Context) ([]Channel, error) {
	names, err := m.rdb.SMembers(ctx, m.keys.ChannelIndex()).Result()
	if err != nil {
		return nil, fmt.Errorf("list channels: %w", CleanRedisError(err))
	}
	return m.describe(ctx, names, nil)
}

// describe reads channels names (see List); more adds commands of the
// caller's to the same round trip, whose replies it reads once describe
// returns.
func (m *ChannelManager) describe(ctx context.Context, names []string, more func(redis.Pipeliner)) ([]Channel, error) {
	sort.Strings(names)
	pipe := m.rdb.Pipeline()
	reads := make([]channelRead, len(names))
	for i, n := range names {
		reads[i] = m.queuePublic(ctx, pipe, n)
	}
	if more != nil {
		more(pipe)
	}
	if pipe.Len() > 0 {
		_, _ = pipe.Exec(ctx) // each reply is checked below
	}
	out := make([]Channel, 0, len(names))
	var odd OddKeysError
	for _, r := range reads {
		if err := odd.check(m.keys.Channel(r.name), r.hash.Err()); err != nil {
			return nil, fmt.Errorf("list channels: %w", err)
		}
		if err := odd.check(m.keys.Members(r.name), r.count.Err()); err != nil {
			return nil, fmt.Errorf("list channels: %w", err)
		}
		if ch, err := r.result(); err == nil { // not odd, not gone
			out = append(out, ch)
		}
	}
	if len(odd.Keys) > 0 {
		return out, &odd
	}
	return out, nil
}

// OddKeysError says that keys rtchat reads hold values of another type
// (written by another tool); what could be read was read without them.
type OddKeysError struct{ Keys []string }

func (e *OddKeysError) Error() string {
	return fmt.Sprintf("skipped %s: %s a value of the wrong type (written by another tool?); delete or rename %s",
		strings.Join(e.Keys, ", "), map[bool]string{true: "it holds", false: "they hold"}[len(e.Keys) == 1],
		map[bool]string{true: "it", false: "them"}[len(e.Keys) == 1])
}

// check records key as odd when err is a WRONGTYPE reply; any other error
// is returned.
func (e *OddKeysError) check(key string, err error) error {
	switch {
	case err == nil, err == redis.Nil:
		return nil
	case redis.HasErrorPrefix(err, "WRONGTYPE"):
		e.Keys = append(e.Keys, key)
		return nil
	}
	return CleanRedisError(err)
}

// announce tells every client that the channel list changed. It is best
// effort: a lost announcement only delays a list refresh.
func (m *ChannelManager) announce(ctx context.Context) { TellChannelListChanged(ctx, m.rdb, m.keys) }

// TellChannelListChanged tells every client that the list of channels
// changed (a channel was made or deleted).
func TellChannelListChanged(ctx context.Context, rdb redis.UniversalClient, keys Keys) {
	_ = rdb.Publish(ctx, keys.ChannelEvents(), "changed").Err()
}

// membersChanged starts the notice, on the channel-list topic, that a
// channel's members changed: "members:" + channel.
const membersChanged = "members:"

// channelsChanged is the notice, on a user's own events topic, that an
// admin changed the private channels the user belongs to.
const channelsChanged = "channels"

// TellChannelsChanged tells user's clients that an admin changed the
// private channels they belong to (best effort: they also read them at
// their next start).
func TellChannelsChanged(ctx context.Context, rdb redis.UniversalClient, keys Keys, user string) {
	_ = rdb.Publish(ctx, keys.UserEvents(user), channelsChanged).Err()
}

func channelFromHash(name string, h map[string]string) Channel {
	ch := Channel{ID: h["id"], Name: name, Description: h["description"], CreatedBy: h["created_by"]}
	if ms, err := strconv.ParseInt(h["created_at"], 10, 64); err == nil {
		ch.Created = time.UnixMilli(ms)
	}
	return ch
}

// newID returns a random 128-bit id in hex, used for user and session ids.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails since Go 1.24
	return hex.EncodeToString(b[:])
}

// newMsgID returns a client-made message id: 72 random bits in 12
// characters of base64url (every stored message carries one).
func newMsgID() string {
	var b [9]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}
