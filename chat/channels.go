package chat

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// ChannelManager creates, updates, deletes and lists channels (the seed's
// "channel manager" role). Channel info lives in a Hash per channel; the set
// of names in one index Set. It is safe for concurrent use.
type ChannelManager struct {
	rdb  redis.UniversalClient
	keys Keys
}

// NewChannelManager returns a ChannelManager on rdb with the given key schema.
func NewChannelManager(rdb redis.UniversalClient, keys Keys) *ChannelManager {
	return &ChannelManager{rdb: rdb, keys: keys}
}

// createScript creates a channel's hash unless it exists; it returns 1 when
// it created the channel. All its keys share the channel's hash tag.
var createScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'id', ARGV[1], 'name', ARGV[2], 'description', ARGV[3], 'created_by', ARGV[4], 'created_at', ARGV[5])
return 1
`)

// Create makes channel name with a description, created by user. It is
// idempotent: creating an existing channel changes nothing and returns it
// with created false.
func (m *ChannelManager) Create(ctx context.Context, name, description, user string) (ch Channel, created bool, err error) {
	if err := ValidateName(name); err != nil {
		return Channel{}, false, err
	}
	now := time.Now()
	n, err := createScript.Run(ctx, m.rdb, []string{m.keys.Channel(name)},
		newID(), name, description, user, strconv.FormatInt(now.UnixMilli(), 10)).Int()
	if err != nil {
		return Channel{}, false, fmt.Errorf("create channel %q: %w", name, err)
	}
	// The index lives in another slot; adding to it is idempotent, so a
	// crash between the two steps heals on the next Create.
	if err := m.rdb.SAdd(ctx, m.keys.ChannelIndex(), name).Err(); err != nil {
		return Channel{}, false, fmt.Errorf("index channel %q: %w", name, err)
	}
	if n == 1 {
		m.announce(ctx)
	}
	ch, err = m.Get(ctx, name)
	return ch, n == 1, err
}

// Get returns channel name with its member count, or an error wrapping
// ErrNoSuchChannel.
func (m *ChannelManager) Get(ctx context.Context, name string) (Channel, error) {
	if err := ValidateName(name); err != nil {
		return Channel{}, err
	}
	pipe := m.rdb.Pipeline()
	h := pipe.HGetAll(ctx, m.keys.Channel(name))
	n := pipe.SCard(ctx, m.keys.Members(name))
	if _, err := pipe.Exec(ctx); err != nil {
		return Channel{}, fmt.Errorf("read channel %q: %w", name, err)
	}
	if len(h.Val()) == 0 {
		return Channel{}, fmt.Errorf("channel %q: %w", name, ErrNoSuchChannel)
	}
	ch := channelFromHash(name, h.Val())
	ch.Members = n.Val()
	return ch, nil
}

// UpdateDescription sets the description of an existing channel.
func (m *ChannelManager) UpdateDescription(ctx context.Context, name, description string) error {
	if err := ValidateName(name); err != nil {
		return err
	}
	ok, err := updateScript.Run(ctx, m.rdb, []string{m.keys.Channel(name)}, description).Int()
	if err != nil {
		return fmt.Errorf("update channel %q: %w", name, err)
	}
	if ok == 0 {
		return fmt.Errorf("update channel %q: %w", name, ErrNoSuchChannel)
	}
	m.announce(ctx)
	return nil
}

var updateScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'description', ARGV[1])
return 1
`)

// Delete removes channel name — its hash, its stream and its member set —
// when user created it; otherwise the error wraps ErrNotOwner. Members'
// own channel sets are cleaned lazily by List and Channels.
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
	pipe.SRem(ctx, m.keys.ChannelIndex(), name)
	for _, u := range members {
		pipe.SRem(ctx, m.keys.UserChannels(u), name)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("delete channel %q: unindex: %w", name, err)
	}
	m.announce(ctx)
	return nil
}

// List returns every channel, sorted by name, with member counts. Index
// entries whose hash is gone are skipped (and removed).
func (m *ChannelManager) List(ctx context.Context) ([]Channel, error) {
	names, err := m.rdb.SMembers(ctx, m.keys.ChannelIndex()).Result()
	if err != nil {
		return nil, fmt.Errorf("list channels: %w", err)
	}
	sort.Strings(names)
	pipe := m.rdb.Pipeline()
	hashes := make([]*redis.MapStringStringCmd, len(names))
	counts := make([]*redis.IntCmd, len(names))
	for i, n := range names {
		hashes[i] = pipe.HGetAll(ctx, m.keys.Channel(n))
		counts[i] = pipe.SCard(ctx, m.keys.Members(n))
	}
	if len(names) > 0 {
		if _, err := pipe.Exec(ctx); err != nil {
			return nil, fmt.Errorf("list channels: %w", err)
		}
	}
	out := make([]Channel, 0, len(names))
	var gone []any
	for i, n := range names {
		if len(hashes[i].Val()) == 0 {
			gone = append(gone, n)
			continue
		}
		ch := channelFromHash(n, hashes[i].Val())
		ch.Members = counts[i].Val()
		out = append(out, ch)
	}
	if len(gone) > 0 {
		_ = m.rdb.SRem(ctx, m.keys.ChannelIndex(), gone...).Err()
	}
	return out, nil
}

// announce tells every client that the channel list changed. It is best
// effort: a lost announcement only delays a list refresh.
func (m *ChannelManager) announce(ctx context.Context) {
	_ = m.rdb.Publish(ctx, m.keys.ChannelEvents(), "changed").Err()
}

func channelFromHash(name string, h map[string]string) Channel {
	ch := Channel{ID: h["id"], Name: name, Description: h["description"], CreatedBy: h["created_by"]}
	if ms, err := strconv.ParseInt(h["created_at"], 10, 64); err == nil {
		ch.Created = time.UnixMilli(ms)
	}
	return ch
}

// newID returns a random 128-bit id in hex, used for channel, user and
// message ids made by the client.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails since Go 1.24
	return hex.EncodeToString(b[:])
}
