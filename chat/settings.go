package chat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/redis/go-redis/v9"
)

// A person's attention settings — how each conversation notifies them,
// which are pinned, their highlight words, do-not-disturb — are kept in
// Redis (user:{u}:settings, a Hash), so every terminal of theirs and the
// next start agree; a change is announced on the user's events topic, as
// read markers are, and every terminal reads the settings again. Away is
// kept in the user's record (user:{u}, field "away"), which everyone may
// read, and announced on the presence topic ("~alice").

// Level is how much a conversation notifies its reader.
type Level string

// Notification levels.
const (
	// LevelAll notifies every message.
	LevelAll Level = "all"
	// LevelMentions notifies mentions, highlight words and direct
	// messages (the default).
	LevelMentions Level = "mentions"
	// LevelNone notifies nothing (unread still counts).
	LevelNone Level = "none"
	// LevelMute notifies nothing and hides the unread count.
	LevelMute Level = "mute"
)

// ParseLevel reads a level as a person types it.
func ParseLevel(s string) (Level, error) {
	switch l := Level(strings.ToLower(strings.TrimSpace(s))); l {
	case LevelAll, LevelMentions, LevelNone, LevelMute:
		return l, nil
	}
	return "", fmt.Errorf("%q is not a level: use all, mentions, none or mute", s)
}

// Settings are a person's attention settings.
type Settings struct {
	// Levels by conversation; one not listed is LevelMentions.
	Levels map[string]Level
	// Pinned conversations come first in the channel list.
	Pinned map[string]bool
	// Highlights are words that count as mentions.
	Highlights []string
	// DNDUntil holds notifications until then (zero: none).
	DNDUntil time.Time
}

// Level is conv's level.
func (s Settings) Level(conv string) Level {
	if l, ok := s.Levels[conv]; ok {
		return l
	}
	return LevelMentions
}

// DND reports whether notifications are held now.
func (s Settings) DND(now time.Time) bool { return now.Before(s.DNDUntil) }

// SettingsEvent says the user's settings changed (in this terminal or
// another); they are as given.
type SettingsEvent struct{ Settings Settings }

// AwayEvent says that User is away (Message, which may be empty) or back
// (Away false).
type AwayEvent struct {
	User    string
	Away    bool
	Message string
}

func (SettingsEvent) isEvent() {}
func (AwayEvent) isEvent()     {}

// Settings hash fields.
const (
	settingLevel     = "notify:"
	settingPin       = "pin:"
	settingHighlight = "highlights"
	settingDND       = "dnd_until"
	// settingsChanged is the notice on the user's events topic.
	settingsChanged = "settings"
	// fieldAway is the user record's away message.
	fieldAway = "away"
)

// Limits on what a person stores.
const (
	maxHighlights    = 50
	maxHighlightLen  = 64
	maxAwayMessage   = 200
	awayNoticePrefix = "~"
)

// ErrBadSetting: a level, word or duration that cannot be stored.
var ErrBadSetting = errors.New("bad setting")

// prefs is the client's part that keeps the user's settings and read
// markers (readmarks.go) and answers the notices about them. It has no
// state of its own: what it keeps is in Redis.
type prefs struct{ c *Client }

// UserSettings is the Hash of user's settings.
func (k Keys) UserSettings(user string) string { return k.UserPrefix + tag(user) + ":settings" }

// Settings reads the user's settings.
func (c *Client) Settings(ctx context.Context) (Settings, error) {
	pipe := c.rdb.Pipeline()
	read := c.prefs.queueSettings(ctx, pipe)
	_, _ = pipe.Exec(ctx) // checked in read
	return read()
}

// queueSettings queues the read of the settings on pipe; read decodes
// it once pipe ran.
func (ps *prefs) queueSettings(ctx context.Context, pipe redis.Pipeliner) (read func() (Settings, error)) {
	cmd := pipe.HGetAll(ctx, ps.c.keys.UserSettings(ps.c.opts.User))
	return func() (Settings, error) {
		h, err := cmd.Result()
		if err != nil && !isNotFound(err) {
			return Settings{}, fmt.Errorf("read your settings: %w", CleanRedisError(err))
		}
		return decodeSettings(h), nil
	}
}

// decodeSettings reads the settings Hash; what does not decode is left
// out (another tool may have written it).
func decodeSettings(h map[string]string) Settings {
	s := Settings{Levels: map[string]Level{}, Pinned: map[string]bool{}}
	for f, v := range h {
		switch {
		case strings.HasPrefix(f, settingLevel):
			conv := f[len(settingLevel):]
			if l, err := ParseLevel(v); err == nil && ValidateConv(conv) == nil {
				s.Levels[conv] = l
			}
		case strings.HasPrefix(f, settingPin):
			if conv := f[len(settingPin):]; ValidateConv(conv) == nil && v == "1" {
				s.Pinned[conv] = true
			}
		case f == settingHighlight:
			var words []string
			if json.Unmarshal([]byte(v), &words) == nil {
				for _, w := range words {
					if w, err := cleanHighlight(w); err == nil && !slices.Contains(s.Highlights, w) && len(s.Highlights) < maxHighlights {
						s.Highlights = append(s.Highlights, w)
					}
				}
			}
		case f == settingDND:
			if ms, err := strconv.ParseInt(v, 10, 64); err == nil && ms > 0 && ms <= maxTimestamp {
				s.DNDUntil = time.UnixMilli(ms)
			}
		}
	}
	return s
}

// cleanHighlight checks a highlight word: printable, no spaces, not too
// long; it is kept in lower case (highlights match in any case).
func cleanHighlight(w string) (string, error) {
	w = strings.ToLower(strings.TrimSpace(w))
	if w == "" || len(w) > maxHighlightLen || !utf8.ValidString(w) || Printable(w) != w || strings.ContainsAny(w, " \t\n") {
		return "", fmt.Errorf("%w: a highlight is one word of up to %d bytes", ErrBadSetting, maxHighlightLen)
	}
	return w, nil
}

// A SettingsChange is one change to the user's settings: SetLevel,
// SetPinned, SetHighlights or SetDND.
type SettingsChange interface {
	// change checks the change and returns what it does (for errors) and
	// how it writes the settings Hash at key.
	change() (what string, write func(ctx context.Context, pipe redis.Pipeliner, key string), err error)
}

// SetLevel sets Conv's notification level.
type SetLevel struct {
	Conv  string
	Level Level
}

// SetPinned pins Conv to the top of the channel list, or unpins it.
type SetPinned struct {
	Conv   string
	Pinned bool
}

// SetHighlights replaces the user's highlight words (each checked).
type SetHighlights struct{ Words []string }

// SetDND holds notifications until Until (the zero time ends it).
type SetDND struct{ Until time.Time }

// ChangeSettings applies ch to the user's settings, and tells every
// terminal of the user (a SettingsEvent). A change that cannot be stored
// wraps ErrBadSetting and writes nothing.
func (c *Client) ChangeSettings(ctx context.Context, ch SettingsChange) error {
	what, write, err := ch.change()
	if err != nil {
		return err
	}
	pipe := c.rdb.Pipeline()
	write(ctx, pipe, c.keys.UserSettings(c.opts.User))
	pipe.Publish(ctx, c.keys.UserEvents(c.opts.User), settingsChanged)
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("%s: %w", what, CleanRedisError(err))
	}
	return nil
}

func (s SetLevel) change() (string, func(context.Context, redis.Pipeliner, string), error) {
	if err := ValidateConv(s.Conv); err != nil {
		return "", nil, err
	}
	if _, err := ParseLevel(string(s.Level)); err != nil {
		return "", nil, fmt.Errorf("%w: %w", ErrBadSetting, err)
	}
	return "set the level of " + Display(s.Conv), func(ctx context.Context, pipe redis.Pipeliner, key string) {
		if s.Level == LevelMentions {
			pipe.HDel(ctx, key, settingLevel+s.Conv)
		} else {
			pipe.HSet(ctx, key, settingLevel+s.Conv, string(s.Level))
		}
	}, nil
}

func (s SetPinned) change() (string, func(context.Context, redis.Pipeliner, string), error) {
	if err := ValidateConv(s.Conv); err != nil {
		return "", nil, err
	}
	return "pin " + Display(s.Conv), func(ctx context.Context, pipe redis.Pipeliner, key string) {
		if s.Pinned {
			pipe.HSet(ctx, key, settingPin+s.Conv, "1")
		} else {
			pipe.HDel(ctx, key, settingPin+s.Conv)
		}
	}, nil
}

func (s SetHighlights) change() (string, func(context.Context, redis.Pipeliner, string), error) {
	var clean []string
	for _, w := range s.Words {
		w, err := cleanHighlight(w)
		if err != nil {
			return "", nil, err
		}
		if !slices.Contains(clean, w) {
			clean = append(clean, w)
		}
	}
	if len(clean) > maxHighlights {
		return "", nil, fmt.Errorf("%w: at most %d highlight words", ErrBadSetting, maxHighlights)
	}
	b, err := json.Marshal(clean)
	if err != nil {
		return "", nil, fmt.Errorf("%w: %w", ErrBadSetting, err)
	}
	return "store your highlight words", func(ctx context.Context, pipe redis.Pipeliner, key string) {
		pipe.HSet(ctx, key, settingHighlight, string(b))
	}, nil
}

func (s SetDND) change() (string, func(context.Context, redis.Pipeliner, string), error) {
	return "set do-not-disturb", func(ctx context.Context, pipe redis.Pipeliner, key string) {
		if s.Until.IsZero() {
			pipe.HDel(ctx, key, settingDND)
		} else {
			pipe.HSet(ctx, key, settingDND, strconv.FormatInt(s.Until.UnixMilli(), 10))
		}
	}, nil
}

// SetAway marks the user away with message (away false: back), for
// everyone.
func (c *Client) SetAway(ctx context.Context, away bool, message string) error {
	message = strings.TrimSpace(Printable(strings.ReplaceAll(message, "\n", " ")))
	if len(message) > maxAwayMessage {
		return fmt.Errorf("%w: an away message is at most %d bytes", ErrBadSetting, maxAwayMessage)
	}
	pipe := c.rdb.Pipeline()
	if away {
		pipe.HSet(ctx, c.keys.User(c.opts.User), fieldAway, "1"+message)
	} else {
		pipe.HDel(ctx, c.keys.User(c.opts.User), fieldAway)
	}
	pipe.Publish(ctx, c.keys.PresenceEvents(), awayNoticePrefix+c.opts.User)
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("set away: %w", CleanRedisError(err))
	}
	return nil
}

// Away returns which of users are away, with their messages (one round
// trip).
func (c *Client) Away(ctx context.Context, users []string) (map[string]string, error) {
	pipe := c.rdb.Pipeline()
	cmds := make([]*redis.StringCmd, 0, len(users))
	var names []string
	for _, u := range users {
		if validName(u) {
			cmds = append(cmds, pipe.HGet(ctx, c.keys.User(u), fieldAway))
			names = append(names, u)
		}
	}
	if len(cmds) == 0 {
		return map[string]string{}, nil
	}
	_, _ = pipe.Exec(ctx) // each reply is checked below
	out := map[string]string{}
	for i, cmd := range cmds {
		v, err := cmd.Result()
		switch {
		case err == redis.Nil || redis.HasErrorPrefix(err, "WRONGTYPE"):
		case err != nil:
			return nil, fmt.Errorf("who is away: %w", CleanRedisError(err))
		case strings.HasPrefix(v, "1"):
			out[names[i]] = Printable(v[1:])
		}
	}
	return out, nil
}

// handleAway reads the away state of user after a notice, and emits it.
func (ps *prefs) handleAway(ctx context.Context, user string) {
	away, err := ps.c.Away(ctx, []string{user})
	if err != nil {
		ps.c.opts.Logger.Debug("read away", "user", user, "err", err)
		return
	}
	msg, ok := away[user]
	ps.c.emit(ctx, AwayEvent{User: user, Away: ok, Message: msg})
}

// handleSettings reads the settings after a notice, and emits them.
func (ps *prefs) handleSettings(ctx context.Context) {
	s, err := ps.c.Settings(ctx)
	if err != nil {
		ps.c.opts.Logger.Debug("read settings", "err", err)
		return
	}
	ps.c.emit(ctx, SettingsEvent{Settings: s})
}
