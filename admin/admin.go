// Package admin manages rtchat's accounts and private channels on a Redis
// server: accounts are Redis ACL users whose rules give each person the
// public channels, their own keys and direct conversations, and the
// private channels they belong to (chat.Keys.AccountRules). Every change is
// made on every node of a cluster, since ACL is per node.
package admin

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rtchat/rtchat/chat"
	"github.com/rtchat/rtchat/internal/embedded"
)

// Errors callers can test with errors.Is.
var (
	// ErrNotAdmin: the connection's Redis user may not manage ACL users.
	ErrNotAdmin = errors.New("this Redis user may not manage accounts")
	// ErrExists: an account or private channel of that name exists.
	ErrExists = errors.New("already exists")
	// ErrNoAccount: no account of that name.
	ErrNoAccount = errors.New("no such account")
	// ErrNoPrivate: no private channel of that name.
	ErrNoPrivate = errors.New("no such private channel")
)

// Commands are the Redis commands an account may run: what rtchat uses,
// nothing else.
var Commands = []string{
	"hello", "auth", "ping", "time", "get", "set", "incr", "exists", "del",
	"hget", "hmget", "hset", "hsetnx", "hdel", "hgetall", "sadd", "srem", "smembers", "scard", "sismember",
	"xadd", "xrange", "xrevrange", "xread",
	"zadd", "zrem", "zremrangebyscore", "zcount", "zmscore", "pexpire",
	"publish", "subscribe", "unsubscribe", "psubscribe", "punsubscribe",
	"spublish", "ssubscribe", "sunsubscribe",
	"multi", "exec", "eval", "evalsha",
	"acl|whoami", "cluster|slots", "cluster|shards", "readonly", "command",
}

// Admin changes accounts and private channels on one server or cluster.
type Admin struct {
	rdb  redis.UniversalClient
	keys chat.Keys
}

// New returns an Admin on rdb (connected as a Redis user allowed ACL)
// for the key schema keys.
func New(rdb redis.UniversalClient, keys chat.Keys) *Admin {
	if keys == (chat.Keys{}) {
		keys = chat.DefaultKeys()
	}
	return &Admin{rdb: rdb, keys: keys}
}

// GeneratePassword returns a new random password (32 characters).
func GeneratePassword() string { return rand.Text() + rand.Text()[:6] }

// checkName checks an account name: rtchat's naming rule, and not
// "default" (Redis's own user).
func checkName(name string) error {
	if err := chat.ValidateName(name); err != nil {
		return fmt.Errorf("account name: %w", err)
	}
	if name == "default" {
		return fmt.Errorf("account name: %w %q: it is Redis's own user", chat.ErrInvalidName, name)
	}
	return nil
}

// checkPassword refuses an empty password or one with a line break.
func checkPassword(pw string) error {
	if pw == "" || strings.ContainsAny(pw, "\r\n") {
		return errors.New("the password is empty or holds a line break; give one line")
	}
	return nil
}

// lookUp checks an account's name (and password, when given) and reports
// whether the account exists.
func (a *Admin) lookUp(ctx context.Context, name string, pw ...string) (bool, error) {
	if err := checkName(name); err != nil {
		return false, err
	}
	for _, p := range pw {
		if err := checkPassword(p); err != nil {
			return false, err
		}
	}
	return a.exists(ctx, name)
}

// AddUser makes account name with password pw and the rules of a person.
func (a *Admin) AddUser(ctx context.Context, name, pw string) error {
	if ok, err := a.lookUp(ctx, name, pw); err != nil {
		return err
	} else if ok {
		return fmt.Errorf("account %s %w; change its password with 'rtchat admin user passwd %s'", name, ErrExists, name)
	}
	// One ACL SETUSER: the account never exists half made.
	return a.renew(ctx, name, "reset", "on", ">"+pw)
}

// DeleteUser removes account name (Redis closes its connections) and its
// memberships of private channels. Its messages and keys stay.
func (a *Admin) DeleteUser(ctx context.Context, name string) error {
	if ok, err := a.lookUp(ctx, name); err != nil {
		return err
	} else if !ok {
		return fmt.Errorf("account %s: %w", name, ErrNoAccount)
	}
	private, err := a.privateOf(ctx, name)
	if err != nil {
		return err
	}
	for _, ch := range private {
		if err := a.rdb.SRem(ctx, a.keys.PrivateMembers(ch), name).Err(); err != nil {
			return fmt.Errorf("remove %s from #%s: %w", name, ch, chat.CleanRedisError(err))
		}
	}
	if err := a.rdb.Del(ctx, a.keys.UserPrivate(name)).Err(); err != nil {
		return fmt.Errorf("remove %s's private channels: %w", name, chat.CleanRedisError(err))
	}
	return a.everyNode(ctx, func(ctx context.Context, n *redis.Client) error {
		return n.Do(ctx, "ACL", "DELUSER", name).Err()
	})
}

// SetPassword replaces account name's passwords with pw; its rules stay.
func (a *Admin) SetPassword(ctx context.Context, name, pw string) error {
	if ok, err := a.lookUp(ctx, name, pw); err != nil {
		return err
	} else if !ok {
		return fmt.Errorf("account %s: %w", name, ErrNoAccount)
	}
	return a.setUser(ctx, name, "resetpass", ">"+pw)
}

// Users returns the server's ACL users but "default", sorted.
func (a *Admin) Users(ctx context.Context) ([]string, error) {
	names, err := a.rdb.Do(ctx, "ACL", "USERS").StringSlice()
	if err != nil {
		return nil, a.wrap("list accounts", err)
	}
	names = slices.DeleteFunc(names, func(n string) bool { return n == "default" })
	slices.Sort(names)
	return names, nil
}

// MakePrivate makes private channel name with members, each an account.
func (a *Admin) MakePrivate(ctx context.Context, name, createdBy string, members []string) error {
	if err := chat.ValidateName(name); err != nil {
		return fmt.Errorf("channel name: %w", err)
	}
	if len(members) == 0 {
		return errors.New("a private channel needs members: give --members alice,bob")
	}
	if err := a.checkAccounts(ctx, members); err != nil {
		return err
	}
	id, err := a.rdb.Incr(ctx, a.keys.ChannelSeq()).Result()
	if err != nil {
		return a.wrap("make #"+name, err)
	}
	key := a.keys.PrivateChannel(name)
	made, err := a.rdb.HSetNX(ctx, key, "id", strconv.FormatInt(id, 10)).Result()
	if err != nil {
		return a.wrap("make #"+name, err)
	}
	if !made {
		return fmt.Errorf("private channel #%s %w; add people with 'rtchat admin channel add-member %s --members NAME'", name, ErrExists, name)
	}
	err = a.rdb.HSet(ctx, key, "name", name, "created_by", createdBy, "created_at", strconv.FormatInt(time.Now().UnixMilli(), 10)).Err()
	if err != nil {
		return a.wrap("make #"+name, err)
	}
	return a.changeMembers(ctx, name, members, true)
}

// AddMembers adds members (accounts) to private channel name.
func (a *Admin) AddMembers(ctx context.Context, name string, members []string) error {
	if err := a.checkPrivate(ctx, name); err != nil {
		return err
	}
	if err := a.checkAccounts(ctx, members); err != nil {
		return err
	}
	return a.changeMembers(ctx, name, members, true)
}

// RemoveMembers takes members out of private channel name: they no
// longer see, read or write it (Redis closes their subscriptions to it).
func (a *Admin) RemoveMembers(ctx context.Context, name string, members []string) error {
	if err := a.checkPrivate(ctx, name); err != nil {
		return err
	}
	for _, m := range members {
		if err := chat.ValidateName(m); err != nil {
			return fmt.Errorf("member name: %w", err)
		}
	}
	return a.changeMembers(ctx, name, members, false)
}

// changeMembers records the change, tells the members' clients, and then
// gives each member the rules of their private channels as they are now.
func (a *Admin) changeMembers(ctx context.Context, name string, members []string, add bool) error {
	pipe := a.rdb.Pipeline()
	for _, m := range members {
		if add {
			pipe.SAdd(ctx, a.keys.PrivateMembers(name), m)
			pipe.SAdd(ctx, a.keys.UserPrivate(m), name)
			// It opens in the member's window, as if they had joined.
			pipe.SAdd(ctx, a.keys.UserChannels(m), chat.Private(name))
		} else {
			pipe.SRem(ctx, a.keys.PrivateMembers(name), m)
			pipe.SRem(ctx, a.keys.UserPrivate(m), name)
		}
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return a.wrap("change the members of #"+name, err)
	}
	for _, m := range members {
		// A member taken out hears it first, so that their client lets
		// go of the channel before Redis closes a subscription it may no
		// longer hold (it would reconnect, losing nothing, but needlessly);
		// one added hears it once they may read it.
		if !add {
			chat.TellChannelsChanged(ctx, a.rdb, a.keys, m)
		}
		if ok, err := a.exists(ctx, m); err != nil {
			return err
		} else if ok { // an account deleted meanwhile has no rules to change
			if err := a.renew(ctx, m); err != nil {
				return err
			}
		}
		if add {
			chat.TellChannelsChanged(ctx, a.rdb, a.keys, m)
		}
	}
	return nil
}

// Renew gives account name the rules of this rtchat: its commands, and
// the keys and channels of its private channels as recorded (its
// password stays). Membership changes renew the members; run it for every
// account after an upgrade of rtchat that needs new rules.
func (a *Admin) Renew(ctx context.Context, name string) error {
	if ok, err := a.lookUp(ctx, name); err != nil {
		return err
	} else if !ok {
		return fmt.Errorf("account %s: %w", name, ErrNoAccount)
	}
	return a.renew(ctx, name)
}

func (a *Admin) renew(ctx context.Context, name string, first ...any) error {
	private, err := a.privateOf(ctx, name)
	if err != nil {
		return err
	}
	args := append(first, "resetkeys", "resetchannels", "-@all")
	for _, r := range Rules(a.keys, name, private) {
		args = append(args, r)
	}
	return a.setUser(ctx, name, args...)
}

// Rules are the ACL rules of account name, member of the private
// channels private: its key and Pub/Sub patterns (chat.Keys.AccountRules)
// and the commands rtchat uses. The README's recipe is
// "ACL SETUSER alice reset on >PASSWORD" and these.
func Rules(keys chat.Keys, name string, private []string) []string {
	// rtchat asks every server whether it is an embedded one.
	r := append(keys.AccountRules(name, private), "%R~"+embedded.MarkerKey)
	for _, c := range Commands {
		r = append(r, "+"+c)
	}
	return r
}

// privateOf returns the private channels account name belongs to.
func (a *Admin) privateOf(ctx context.Context, name string) ([]string, error) {
	private, err := a.rdb.SMembers(ctx, a.keys.UserPrivate(name)).Result()
	if err != nil {
		return nil, a.wrap("read "+name+"'s private channels", err)
	}
	slices.Sort(private)
	return private, nil
}

func (a *Admin) checkPrivate(ctx context.Context, name string) error {
	if err := chat.ValidateName(name); err != nil {
		return fmt.Errorf("channel name: %w", err)
	}
	n, err := a.rdb.Exists(ctx, a.keys.PrivateChannel(name)).Result()
	if err != nil {
		return a.wrap("read #"+name, err)
	}
	if n == 0 {
		return fmt.Errorf("#%s: %w; make it with 'rtchat admin channel private %s --members NAMES'", name, ErrNoPrivate, name)
	}
	return nil
}

// checkAccounts says which of names is not an account.
func (a *Admin) checkAccounts(ctx context.Context, names []string) error {
	for _, m := range names {
		if err := checkName(m); err != nil {
			return err
		}
		ok, err := a.exists(ctx, m)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("%s has no account here (a private channel is kept by Redis's ACL); make one with 'rtchat admin user add %s': %w", m, m, ErrNoAccount)
		}
	}
	return nil
}

// exists reports whether ACL user name exists.
func (a *Admin) exists(ctx context.Context, name string) (bool, error) {
	err := a.rdb.Do(ctx, "ACL", "GETUSER", name).Err()
	switch {
	case err == redis.Nil:
		return false, nil
	case err != nil:
		return false, a.wrap("look up account "+name, err)
	}
	return true, nil
}

// setUser runs ACL SETUSER name args on every node.
func (a *Admin) setUser(ctx context.Context, name string, args ...any) error {
	full := append([]any{"ACL", "SETUSER", name}, args...)
	return a.everyNode(ctx, func(ctx context.Context, n *redis.Client) error {
		return n.Do(ctx, full...).Err()
	})
}

// everyNode runs f on every node (masters and replicas of a cluster; the
// one server otherwise), at once.
func (a *Admin) everyNode(ctx context.Context, f func(context.Context, *redis.Client) error) error {
	var err error
	switch c := a.rdb.(type) {
	case *redis.ClusterClient:
		var mu sync.Mutex
		var errs []error
		err = c.ForEachShard(ctx, func(ctx context.Context, n *redis.Client) error {
			if e := f(ctx, n); e != nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("%s: %w", n.Options().Addr, e))
				mu.Unlock()
			}
			return nil
		})
		err = errors.Join(append(errs, err)...)
	case *redis.Client:
		err = f(ctx, c)
	default:
		return fmt.Errorf("manage accounts: unsupported connection %T", a.rdb)
	}
	if err != nil {
		return a.wrap("change accounts", err)
	}
	return nil
}

// Persist keeps the ACL users through restarts: ACL SAVE on every node
// that has an ACL file. It returns the nodes that have none (their users
// last until a restart unless kept with CONFIG REWRITE).
func (a *Admin) Persist(ctx context.Context) (unsaved []string, err error) {
	var mu sync.Mutex
	err = a.everyNode(ctx, func(ctx context.Context, n *redis.Client) error {
		cfg, err := n.ConfigGet(ctx, "aclfile").Result()
		if err != nil {
			return err
		}
		if cfg["aclfile"] == "" {
			mu.Lock()
			unsaved = append(unsaved, n.Options().Addr)
			mu.Unlock()
			return nil
		}
		return n.Do(ctx, "ACL", "SAVE").Err()
	})
	slices.Sort(unsaved)
	return unsaved, err
}

// wrap says what failed; a refusal of rights becomes ErrNotAdmin.
func (a *Admin) wrap(what string, err error) error {
	if redis.HasErrorPrefix(err, "NOPERM") || errors.Is(err, ErrNotAdmin) {
		return fmt.Errorf("%s: %w (run it as Redis's default user, or one allowed ACL: REDIS_USERNAME and REDIS_PASSWORD)", what, ErrNotAdmin)
	}
	return fmt.Errorf("%s: %w", what, chat.CleanRedisError(err))
}
