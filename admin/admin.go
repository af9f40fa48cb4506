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
	"maps"
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
	if isHooksAccount(name) {
		return nil
	}
	if err := chat.ValidateAccount(name); err != nil {
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
	// The account's rules let it run rtchat's functions, not Lua of its
	// own: they must be there.
	if err := chat.LoadLibrary(ctx, a.rdb); err != nil {
		return a.wrap("load rtchat's functions", err)
	}
	// One ACL SETUSER: the account never exists half made.
	if err := a.renew(ctx, name, "reset", "on", ">"+pw); err != nil {
		return err
	}
	if isHooksAccount(name) {
		return nil // a server, not someone to write to
	}
	// Recorded as a person at once, so that others may write to them
	// before they first start rtchat.
	if _, err := chat.NewSubscriptionManager(a.rdb, a.keys).RegisterUser(ctx, name); err != nil {
		return a.wrap("record "+name, err)
	}
	return nil
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
	// The public name is the private channel's from now on: nobody may
	// make a public #name beside it.
	pub := a.keys.Channel(name)
	if id, err := a.rdb.HGet(ctx, pub, "id").Result(); err == nil && id != "" {
		return fmt.Errorf("a public #%s exists; pick another name for the private channel (or delete #%s first)", name, name)
	}
	if err := a.rdb.Set(ctx, a.keys.PrivateClaim(name), "1", 0).Err(); err != nil {
		return a.wrap("make #"+name, err)
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
		if err := chat.ValidateAccount(m); err != nil {
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
	args := append(first, "resetkeys", "resetchannels", "-@all", "clearselectors")
	if isHooksAccount(name) {
		for _, r := range HooksRules(a.keys) {
			args = append(args, r)
		}
		return a.setUser(ctx, name, args...)
	}
	private, err := a.privateOf(ctx, name)
	if err != nil {
		return err
	}
	for _, r := range Rules(a.keys, name, private) {
		args = append(args, r)
	}
	return a.setUser(ctx, name, args...)
}

// Rights are the rights of account name, member of the private channels
// private (chat.Keys.AccountRights): what rtchat does, and the embedded
// server's marker to read.
func Rights(keys chat.Keys, name string, private []string) []chat.Right {
	return keys.AccountRights(name, private, embedded.MarkerKey)
}

// Rules are the ACL rules of account name, member of the private
// channels private (see Rights). The README's recipe is
// "ACL SETUSER alice reset on >PASSWORD" and these.
func Rules(keys chat.Keys, name string, private []string) []string {
	return chat.AccountRules(Rights(keys, name, private))
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

// DryRun asks Redis whether account name may run cmd (ACL DRYRUN): "OK",
// or Redis's reason why not.
func (a *Admin) DryRun(ctx context.Context, name string, cmd ...any) (string, error) {
	res, err := a.rdb.Do(ctx, append([]any{"ACL", "DRYRUN", name}, cmd...)...).Text()
	if err != nil {
		return "", a.wrap("ask Redis about "+name, err)
	}
	return res, nil
}

// Installed is what Install did.
type Installed struct {
	// Library is the function library now loaded.
	Library string
	// Moved counts the messages whose edits and deletes moved from the
	// shared state to their authors' changes.
	Moved int
	// Renewed are the accounts given this rtchat's rules.
	Renewed []string
	// Pruned are the older rtchat libraries removed (with prune).
	Pruned []string
	// Claimed are the private channels whose names were not yet kept
	// from public channels (made by an rtchat before that rule).
	Claimed []string
	// Clashes are private channels beside a public channel of the same
	// name (made before the rule); an admin renames or deletes one.
	Clashes []string
}

// Install brings a server up to this rtchat: it loads its function
// library on every master (accounts may run only these functions), moves
// the edits and deletes older versions kept in shared state to their
// authors' changes, and gives every account this rtchat's rules. With
// prune it removes older rtchat libraries (clients of older versions
// still running then stop sending until they are upgraded). Running it
// again changes nothing.
func (a *Admin) Install(ctx context.Context, prune bool) (Installed, error) {
	var out Installed
	out.Library, _ = chat.Library()
	if err := chat.LoadLibrary(ctx, a.rdb); err != nil {
		return out, a.wrap("load rtchat's functions", err)
	}
	moved, err := chat.MoveLegacyChanges(ctx, a.rdb, a.keys)
	out.Moved = moved
	if err != nil {
		return out, a.wrap("move edits and deletes to their authors", err)
	}
	users, err := a.Users(ctx)
	if err != nil {
		return out, err
	}
	for _, u := range users {
		if checkName(u) != nil {
			continue // not an account rtchat made
		}
		if err := a.renew(ctx, u); err != nil {
			return out, err
		}
		out.Renewed = append(out.Renewed, u)
	}
	if out.Claimed, out.Clashes, err = a.claimPrivateNames(ctx); err != nil {
		return out, err
	}
	if prune {
		out.Pruned, err = a.pruneLibraries(ctx, out.Library)
	}
	return out, err
}

// claimPrivateNames keeps the public name of every private channel from
// public channels (the chat.PrivateClaim key), as MakePrivate does for a
// new one, so that a private channel made by an older rtchat cannot be
// shadowed by a public channel of its name; the older claim, a field of
// the public hash that accounts may write, is removed. Where a public
// channel exists already it is left alone and reported.
func (a *Admin) claimPrivateNames(ctx context.Context) (claimed, clashes []string, err error) {
	var mu sync.Mutex
	var names []string
	err = a.everyMaster(ctx, func(ctx context.Context, n *redis.Client) error {
		iter := n.Scan(ctx, 0, a.keys.PrivateChannels(), 500).Iterator()
		for iter.Next(ctx) {
			if name, ok := a.keys.PrivateName(iter.Val()); ok {
				mu.Lock()
				names = append(names, name)
				mu.Unlock()
			}
		}
		return iter.Err()
	})
	if err != nil {
		return nil, nil, err
	}
	slices.Sort(names)
	// One round trip reads every name's public record and claim, one
	// more claims.
	pipe := a.rdb.Pipeline()
	public := make([]*redis.SliceCmd, len(names))
	has := make([]*redis.IntCmd, len(names))
	for i, name := range names {
		public[i] = pipe.HMGet(ctx, a.keys.Channel(name), "id")
		has[i] = pipe.Exists(ctx, a.keys.PrivateClaim(name))
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, nil, a.wrap("read the public channels beside the private ones", err)
	}
	claim := a.rdb.Pipeline()
	for i, name := range names {
		// An older rtchat's claim goes in every case (HDEL of the last
		// field removes the hash it alone made).
		claim.HDel(ctx, a.keys.Channel(name), chat.LegacyPrivateField)
		switch id := public[i].Val()[0]; {
		case id != nil && id != "":
			clashes = append(clashes, name)
		case has[i].Val() == 0:
			claim.Set(ctx, a.keys.PrivateClaim(name), "1", 0)
			claimed = append(claimed, name)
		}
	}
	if len(names) > 0 {
		if _, err := claim.Exec(ctx); err != nil {
			return nil, clashes, a.wrap("keep the names of the private channels "+strings.Join(claimed, ", "), err)
		}
	}
	return claimed, clashes, nil
}

// pruneLibraries deletes the rtchat libraries other than keep on every
// master.
func (a *Admin) pruneLibraries(ctx context.Context, keep string) ([]string, error) {
	var mu sync.Mutex
	seen := map[string]bool{}
	err := a.everyMaster(ctx, func(ctx context.Context, n *redis.Client) error {
		libs, err := n.FunctionList(ctx, redis.FunctionListQuery{LibraryNamePattern: chat.LibraryPrefix + "*"}).Result()
		if err != nil {
			return err
		}
		for _, l := range libs {
			if l.Name == keep || !strings.HasPrefix(l.Name, chat.LibraryPrefix) {
				continue
			}
			if err := n.FunctionDelete(ctx, l.Name).Err(); err != nil {
				return err
			}
			mu.Lock()
			seen[l.Name] = true
			mu.Unlock()
		}
		return nil
	})
	return slices.Sorted(maps.Keys(seen)), err
}

// everyMaster runs f on every master of a cluster, or on the one server.
func (a *Admin) everyMaster(ctx context.Context, f func(context.Context, *redis.Client) error) error {
	var err error
	switch c := a.rdb.(type) {
	case *redis.ClusterClient:
		err = c.ForEachMaster(ctx, f)
	case *redis.Client:
		err = f(ctx, c)
	default:
		return fmt.Errorf("manage the server: unsupported connection %T", a.rdb)
	}
	if err != nil {
		return a.wrap("change the server", err)
	}
	return nil
}

// DeleteChannel deletes public channel name with everything kept beside
// it (its state, its authors' changes, its threads' copies), takes it
// off the list and its members' lists, and tells every client. With
// accounts only an admin may: no account may delete a key that others
// write.
func (a *Admin) DeleteChannel(ctx context.Context, name string) error {
	if err := chat.ValidateName(name); err != nil {
		return fmt.Errorf("channel name: %w", err)
	}
	n, err := a.rdb.Exists(ctx, a.keys.Channel(name)).Result()
	if err != nil {
		return a.wrap("read #"+name, err)
	}
	if n == 0 {
		return fmt.Errorf("#%s: %w; 'rtchat channels' lists them", name, chat.ErrNoSuchChannel)
	}
	members, err := a.rdb.SMembers(ctx, a.keys.Members(name)).Result()
	if err != nil {
		return a.wrap("read the members of #"+name, err)
	}
	stream := a.keys.Stream(name)
	doomed := []string{a.keys.Channel(name), a.keys.Members(name), stream}
	// Every key of the conversation shares its hash tag: one node.
	err = a.everyMaster(ctx, func(ctx context.Context, n *redis.Client) error {
		iter := n.Scan(ctx, 0, stream+":*", 500).Iterator()
		for iter.Next(ctx) {
			if err := n.Del(ctx, iter.Val()).Err(); err != nil {
				return err
			}
		}
		return iter.Err()
	})
	if err != nil {
		return err
	}
	pipe := a.rdb.Pipeline()
	for _, k := range doomed {
		pipe.Del(ctx, k)
	}
	pipe.SRem(ctx, a.keys.ChannelIndex(), name)
	for _, m := range members {
		pipe.SRem(ctx, a.keys.UserChannels(m), name)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return a.wrap("delete #"+name, err)
	}
	chat.TellChannelListChanged(ctx, a.rdb, a.keys)
	return nil
}
