package chat

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// SubscriptionManager records who is subscribed to what (the original
// request's "subscription manager" role): a channel's members in one Set, a user's
// channels in another. Both writes are idempotent, so they need no
// cross-slot transaction. It is safe for concurrent use.
type SubscriptionManager struct {
	rdb  redis.UniversalClient
	keys Keys
}

// NewSubscriptionManager returns a SubscriptionManager on rdb.
func NewSubscriptionManager(rdb redis.UniversalClient, keys Keys) *SubscriptionManager {
	return &SubscriptionManager{rdb: rdb, keys: keys}
}

// Add subscribes user to channel and returns the channel's member count.
func (s *SubscriptionManager) Add(ctx context.Context, user, channel string) (int64, error) {
	if err := validateAuthor(user); err != nil {
		return 0, err
	}
	if err := ValidateName(channel); err != nil {
		return 0, err
	}
	// Both Sets are written idempotently, in one round trip (on a cluster
	// they may live on two nodes; no transaction is needed).
	pipe := s.rdb.Pipeline()
	mine := pipe.SAdd(ctx, s.keys.UserChannels(user), channel)
	added := pipe.SAdd(ctx, s.keys.Members(channel), user)
	n := pipe.SCard(ctx, s.keys.Members(channel))
	_, _ = pipe.Exec(ctx) // each reply is checked below
	for _, err := range []error{added.Err(), n.Err()} {
		if err != nil {
			return 0, fmt.Errorf("subscribe %s to %q: %w", user, channel, CleanRedisError(err))
		}
	}
	if added.Val() > 0 {
		s.announce(ctx, channel)
	}
	var odd OddKeysError
	if err := odd.check(s.keys.UserChannels(user), mine.Err()); err != nil {
		return 0, fmt.Errorf("subscribe %s to %q: %w", user, channel, err)
	}
	if len(odd.Keys) > 0 {
		// The membership stands; only the user's own list could not
		// record it (the channel will not reopen at the next start).
		return n.Val(), &odd
	}
	return n.Val(), nil
}

// announce tells the channel's followers that its members changed (best
// effort: they also re-read members when they reconnect).
func (s *SubscriptionManager) announce(ctx context.Context, channel string) {
	_ = s.rdb.Publish(ctx, s.keys.ChannelEvents(), membersChanged+channel).Err()
}

// Remove unsubscribes user from channel.
func (s *SubscriptionManager) Remove(ctx context.Context, user, channel string) error {
	removed, err := s.rdb.SRem(ctx, s.keys.Members(channel), user).Result()
	if err != nil {
		return fmt.Errorf("unsubscribe %s from %q: %w", user, channel, err)
	}
	if removed > 0 {
		s.announce(ctx, channel)
	}
	if err := s.rdb.SRem(ctx, s.keys.UserChannels(user), channel).Err(); err != nil {
		return fmt.Errorf("unsubscribe %s from %q: %w", user, channel, err)
	}
	return nil
}

// Members returns the users subscribed to channel, sorted.
func (s *SubscriptionManager) Members(ctx context.Context, channel string) ([]string, error) {
	m, err := s.rdb.SMembers(ctx, s.keys.Members(channel)).Result()
	if err != nil {
		return nil, fmt.Errorf("members of %q: %w", channel, err)
	}
	sort.Strings(m)
	return m, nil
}

// Channels returns the channels user is subscribed to, sorted.
func (s *SubscriptionManager) Channels(ctx context.Context, user string) ([]string, error) {
	c, err := s.rdb.SMembers(ctx, s.keys.UserChannels(user)).Result()
	if redis.HasErrorPrefix(err, "WRONGTYPE") {
		return nil, fmt.Errorf("channels of %s: %w", user, &OddKeysError{Keys: []string{s.keys.UserChannels(user)}})
	}
	if err != nil {
		return nil, fmt.Errorf("channels of %s: %w", user, err)
	}
	sort.Strings(c)
	return c, nil
}

// RegisterUser records user (idempotently) and returns it with its id.
func (s *SubscriptionManager) RegisterUser(ctx context.Context, name string) (User, error) {
	return s.registerUser(ctx, name, nil)
}

// registerUser is RegisterUser with more commands in the same round
// trip: also queues them, and returns those whose failure fails the
// registration (the others' replies are its caller's to read).
func (s *SubscriptionManager) registerUser(ctx context.Context, name string, also func(redis.Pipeliner) []redis.Cmder) (User, error) {
	if err := validateAuthor(name); err != nil {
		return User{}, fmt.Errorf("user name: %w", err)
	}
	key := s.keys.User(name)
	pipe := s.rdb.Pipeline()
	own := []redis.Cmder{
		pipe.HSetNX(ctx, key, "id", newMsgID()),
		pipe.HSetNX(ctx, key, "name", name),
		pipe.HSetNX(ctx, key, "created_at", strconv.FormatInt(time.Now().UnixMilli(), 10)),
	}
	h := pipe.HGetAll(ctx, key)
	own = append(own, h)
	if also != nil {
		own = append(own, also(pipe)...)
	}
	cmds, err := pipe.Exec(ctx)
	if err != nil && !slices.ContainsFunc(cmds, func(c redis.Cmder) bool { return c.Err() != nil }) {
		// Not a reply's error: the connection's (go-redis leaves the
		// replies unset then).
		return User{}, fmt.Errorf("register user %s: %w", name, CleanRedisError(err))
	}
	// What must hold is checked here; the rest is also's caller's.
	for _, cmd := range own {
		if err := cmd.Err(); err != nil {
			return User{}, fmt.Errorf("register user %s: %w", name, CleanRedisError(err))
		}
	}
	u := User{ID: h.Val()["id"], Name: name}
	if ms, err := strconv.ParseInt(h.Val()["created_at"], 10, 64); err == nil {
		u.Created = time.UnixMilli(ms)
	}
	return u, nil
}
