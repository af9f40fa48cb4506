// Package hooks lets a team's tools talk into rtchat the way they talk
// into Slack and Mattermost: incoming webhooks an admin makes, answered
// by an HTTP server (Server) that stores each POST as a signed message
// of the hook's own author, "hook:<name>" (see chat.HookAuthor).
//
// A hook's record lives in Redis where, with accounts, only an admin may
// read it (no account's rules cover "rtchat:hook:*"):
//
//	rtchat:hooks          Set   hook ids
//	rtchat:hook:<id>      Hash  name, channels, secret (its SHA-256), key (the hook's signing key), by, created
//	                            [out, triggers, token: an outgoing hook; command, out, token: a slash command]
//	rtchat:hook:<id>:seen:<sha256 of a body>  String  a POST stored in the last minute (its stream id)
//	rtchat:hook:<id>:rate:<unix second>       String  POSTs this second
package hooks

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rtchat/rtchat/chat"
)

const (
	indexKey   = "rtchat:hooks"
	hookPrefix = "rtchat:hook:"
)

// ErrNoHook: no hook has that id or name.
var ErrNoHook = errors.New("no such hook")

// Hook is an incoming webhook.
type Hook struct {
	// ID names the hook in its URL (16 hex digits).
	ID string
	// Name is who its messages are from ("grafana": shown as "grafana
	// (via hook)").
	Name string
	// Channels are where it may post; the first is where it posts when
	// a payload names none.
	Channels []string
	// By is the admin who made it, Created when.
	By      string
	Created time.Time

	// Outgoing hooks (Out set): a message in one of Channels whose first
	// word is one of Triggers is POSTed to URL, with Token.
	Out      bool
	Triggers []string
	Target   string
	Token    string

	// Slash commands (Command set, "/deploy"): typed in any conversation,
	// POSTed to Target with Token (Slack's fields). Channels is empty.
	Command string

	secretSum string // hex SHA-256 of the secret
	key       string // the signing key (chat.Signer.PrivateKey)
}

func recordKey(id string) string { return hookPrefix + id }

// newSecret makes a URL's secret: 24 random bytes, base64url.
func newSecret() string {
	var b [24]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func sum(secret string) string {
	s := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(s[:])
}

// Add makes hook name posting to channels (they must exist), made by
// admin by, and returns it with its secret: the URL's last part, shown
// once (Redis keeps only its SHA-256).
func Add(ctx context.Context, rdb redis.UniversalClient, name string, channels []string, by string) (*Hook, string, error) {
	return add(ctx, rdb, name, channels, by, nil, "")
}

// Outgoing says where an outgoing hook POSTs, and on which words.
type Outgoing struct {
	URL      string
	Triggers []string
}

// AddOutgoing makes outgoing hook name: a message in one of channels
// that starts with one of out.Triggers is POSTed to out.URL (as
// Mattermost's outgoing webhooks do), and the answer's text is posted in
// the message's thread. It returns the hook and the token its POSTs
// carry, for the receiver to check.
func AddOutgoing(ctx context.Context, rdb redis.UniversalClient, name string, channels []string, out Outgoing, by string) (*Hook, string, error) {
	if err := checkURL(out.URL); err != nil {
		return nil, "", err
	}
	var triggers []string
	for _, w := range out.Triggers {
		if w = strings.TrimSpace(w); w != "" {
			if strings.ContainsAny(w, " ,\t\n") {
				return nil, "", fmt.Errorf("trigger %q: a trigger is one word", w)
			}
			triggers = append(triggers, w)
		}
	}
	if len(triggers) == 0 {
		return nil, "", errors.New("an outgoing hook needs --trigger WORD[,WORD…]")
	}
	out.Triggers = triggers
	return add(ctx, rdb, name, channels, by, &out, "")
}

// checkURL checks a URL rtchat POSTs to.
func checkURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("--url %q is not an http:// or https:// address", raw)
	}
	return nil
}

func add(ctx context.Context, rdb redis.UniversalClient, name string, channels []string, by string, out *Outgoing, command string) (*Hook, string, error) {
	if err := chat.ValidateName(name); err != nil {
		return nil, "", fmt.Errorf("hook name: %w", err)
	}
	if len(channels) == 0 && command == "" {
		return nil, "", errors.New("a hook needs a channel to post to")
	}
	for i, c := range channels {
		c = strings.TrimPrefix(c, "#")
		if err := chat.ValidateConv(c); err != nil {
			return nil, "", fmt.Errorf("channel: %w", err)
		}
		if _, dm := chat.PeerOf(c); dm {
			return nil, "", fmt.Errorf("a hook posts to channels, not to %s", c)
		}
		channels[i] = c
	}
	hooks, err := List(ctx, rdb)
	if err != nil {
		return nil, "", err
	}
	for _, h := range hooks {
		if h.Name == name {
			return nil, "", fmt.Errorf("a hook called %s exists already (id %s); pick another name (--name), or rotate its secret", name, h.ID)
		}
		if command != "" && h.Command == command {
			return nil, "", fmt.Errorf("the command %s exists already (hook %s); remove it first with 'rtchat admin command del %s'", command, h.Name, command)
		}
	}
	var idb [8]byte
	_, _ = rand.Read(idb[:])
	secret := newSecret()
	h := &Hook{ID: hex.EncodeToString(idb[:]), Name: name, Channels: channels, By: by, Created: time.Now().UTC().Truncate(time.Second),
		secretSum: sum(secret), key: chat.NewSigner().PrivateKey()}
	fields := []any{"name", h.Name, "channels", strings.Join(h.Channels, ","), "secret", h.secretSum,
		"key", h.key, "by", h.By, "created", h.Created.Format(time.RFC3339)}
	if out != nil && command == "" {
		h.Out, h.Target, h.Triggers, h.Token = true, out.URL, out.Triggers, newSecret()
		fields = append(fields, "out", h.Target, "triggers", strings.Join(h.Triggers, ","), "token", h.Token)
		secret = h.Token
	}
	if command != "" { // its URL is out.URL; its secret, the token
		h.Command, h.Target, h.Token = command, out.URL, newSecret()
		fields = append(fields, "command", h.Command, "out", h.Target, "token", h.Token)
		secret = h.Token
	}
	pipe := rdb.TxPipeline()
	pipe.HSet(ctx, recordKey(h.ID), fields...)
	pipe.SAdd(ctx, indexKey, h.ID)
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, "", fmt.Errorf("store the hook: %w", chat.CleanRedisError(err))
	}
	return h, secret, nil
}

// Get reads hook id.
func Get(ctx context.Context, rdb redis.UniversalClient, id string) (*Hook, error) {
	v, err := rdb.HGetAll(ctx, recordKey(id)).Result()
	if err != nil {
		return nil, fmt.Errorf("read hook %s: %w", id, chat.CleanRedisError(err))
	}
	return fromRecord(id, v)
}

// fromRecord reads hook id's record v.
func fromRecord(id string, v map[string]string) (*Hook, error) {
	if len(v) == 0 {
		return nil, ErrNoHook
	}
	created, _ := time.Parse(time.RFC3339, v["created"])
	h := &Hook{ID: id, Name: v["name"], By: v["by"], Created: created,
		secretSum: v["secret"], key: v["key"], Out: v["out"] != "" && v["command"] == "", Target: v["out"], Token: v["token"], Command: v["command"]}
	if v["channels"] != "" {
		h.Channels = strings.Split(v["channels"], ",")
	}
	if v["triggers"] != "" {
		h.Triggers = strings.Split(v["triggers"], ",")
	}
	damaged := h.secretSum == "" || h.key == "" || (h.Out && (len(h.Triggers) == 0 || h.Token == "")) ||
		(h.Command != "" && (chat.ValidateCommand(h.Command) != nil || h.Token == "" || h.Target == "")) || (h.Command == "" && len(h.Channels) == 0)
	if _, ok := chat.HookName(chat.HookAuthor(h.Name)); !ok || damaged {
		return nil, fmt.Errorf("hook %s: its record is damaged; delete it and make it again", id)
	}
	return h, nil
}

// List reads every hook, by name: the index, then every record in one
// round trip.
func List(ctx context.Context, rdb redis.UniversalClient) ([]*Hook, error) {
	ids, err := rdb.SMembers(ctx, indexKey).Result()
	if err != nil {
		return nil, fmt.Errorf("list hooks: %w", chat.CleanRedisError(err))
	}
	pipe := rdb.Pipeline()
	records := make([]*redis.MapStringStringCmd, len(ids))
	for i, id := range ids {
		records[i] = pipe.HGetAll(ctx, recordKey(id))
	}
	if len(ids) > 0 {
		if _, err := pipe.Exec(ctx); err != nil {
			return nil, fmt.Errorf("list hooks: %w", chat.CleanRedisError(err))
		}
	}
	var out []*Hook
	for i, id := range ids {
		h, err := fromRecord(id, records[i].Val())
		if errors.Is(err, ErrNoHook) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	slices.SortFunc(out, func(a, b *Hook) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// Find reads the hook with id or name which.
func Find(ctx context.Context, rdb redis.UniversalClient, which string) (*Hook, error) {
	hooks, err := List(ctx, rdb)
	if err != nil {
		return nil, err
	}
	for _, h := range hooks {
		if h.ID == which || h.Name == which || (h.Command != "" && h.Command == which) {
			return h, nil
		}
	}
	return nil, fmt.Errorf("%w %q; 'rtchat admin hook list' lists them", ErrNoHook, which)
}

// Delete removes hook which (id or name; a slash command by its name
// too, "/deploy"): its URL stops working at once, and a command leaves
// every window (keys: the schema its list is kept in). Its messages stay,
// signed.
func Delete(ctx context.Context, rdb redis.UniversalClient, keys chat.Keys, which string) (*Hook, error) {
	h, err := Find(ctx, rdb, which)
	if err != nil {
		return nil, err
	}
	if h.Command != "" {
		if err := chat.DeleteCommand(ctx, rdb, keys, h.Command); err != nil {
			return nil, err
		}
	}
	pipe := rdb.TxPipeline()
	pipe.Del(ctx, recordKey(h.ID))
	pipe.SRem(ctx, indexKey, h.ID)
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, fmt.Errorf("delete the hook: %w", chat.CleanRedisError(err))
	}
	return h, nil
}

// Rotate gives hook which a new secret (the old URL stops working; an
// outgoing hook's POSTs carry a new token) and returns it.
func Rotate(ctx context.Context, rdb redis.UniversalClient, which string) (*Hook, string, error) {
	h, err := Find(ctx, rdb, which)
	if err != nil {
		return nil, "", err
	}
	secret := newSecret()
	field, value := "secret", sum(secret)
	if h.Out || h.Command != "" { // an outgoing hook's secret is the token its POSTs carry
		field, value, h.Token = "token", secret, secret
	}
	if err := rdb.HSet(ctx, recordKey(h.ID), field, value).Err(); err != nil {
		return nil, "", fmt.Errorf("rotate the secret: %w", chat.CleanRedisError(err))
	}
	return h, secret, nil
}

// URL is hook h's address on a server at base (http://host:8065).
func (h *Hook) URL(base, secret string) string {
	return strings.TrimSuffix(base, "/") + "/hooks/" + h.ID + "/" + secret
}
