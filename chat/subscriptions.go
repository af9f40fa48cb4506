package chat

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// SubscriptionManager records who is subscribed to what (the seed's
// "subscription manager" role): a channel's members in one Set, a user's
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
	if err := ValidateName(user); err != nil {
		return 0, err
	}
	if err := ValidateName(channel); err != nil {
		return 0, err
	}
	if err := s.rdb.SAdd(ctx, s.keys.UserChannels(user), channel).Err(); err != nil {
		return 0, fmt.Errorf("subscribe %s to %q: %w", user, channel, err)
	}
	pipe := s.rdb.Pipeline()
	pipe.SAdd(ctx, s.keys.Members(channel), user)
	n := pipe.SCard(ctx, s.keys.Members(channel))
	if _, err := pipe.Exec(ctx); err != nil {
		return 0, fmt.Errorf("subscribe %s to %q: %w", user, channel, err)
	}
	return n.Val(), nil
}

// Remove unsubscribes user from channel.
func (s *SubscriptionManager) Remove(ctx context.Context, user, channel string) error {
	if err := s.rdb.SRem(ctx, s.keys.Members(channel), user).Err(); err != nil {
		return fmt.Errorf("unsubscribe %s from %q: %w", user, channel, err)
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
	if err != nil {
		return nil, fmt.Errorf("channels of %s: %w", user, err)
	}
	sort.Strings(c)
	return c, nil
}

// RegisterUser records user (idempotently) and returns it with its id.
func (s *SubscriptionManager) RegisterUser(ctx context.Context, name string) (User, error) {
	if err := ValidateName(name); err != nil {
		return User{}, fmt.Errorf("user name: %w", err)
	}
	key := s.keys.User(name)
	pipe := s.rdb.Pipeline()
	pipe.HSetNX(ctx, key, "id", newID())
	pipe.HSetNX(ctx, key, "name", name)
	pipe.HSetNX(ctx, key, "created_at", strconv.FormatInt(time.Now().UnixMilli(), 10))
	h := pipe.HGetAll(ctx, key)
	if _, err := pipe.Exec(ctx); err != nil {
		return User{}, fmt.Errorf("register user %s: %w", name, err)
	}
	u := User{ID: h.Val()["id"], Name: name}
	if ms, err := strconv.ParseInt(h.Val()["created_at"], 10, 64); err == nil {
		u.Created = time.UnixMilli(ms)
	}
	return u, nil
}
