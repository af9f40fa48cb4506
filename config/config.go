// Package config loads rtchat's configuration in layers — defaults, TOML
// file, environment, flags — and validates the result. Loading never
// panics: every problem is an error that names where the bad value came
// from (file and key, variable, or flag) and why it is bad.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/user"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/rtchat/rtchat/chat"
	"github.com/rtchat/rtchat/keymap"
)

// Secret is a string that never prints: fmt, %v, %#v, slog and JSON all see
// "[redacted]" (or nothing when empty). Reveal returns the value.
type Secret string

// Reveal returns the secret's value, for the one place that needs it.
func (s Secret) Reveal() string { return string(s) }

// String implements fmt.Stringer without revealing the value.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "[redacted]"
}

// GoString implements fmt.GoStringer without revealing the value.
func (s Secret) GoString() string { return strconv.Quote(s.String()) }

// MarshalText keeps the value out of any encoded form of the config.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads the value from a config file.
func (s *Secret) UnmarshalText(b []byte) error { *s = Secret(b); return nil }

// URL is a Redis URL that never prints its password: fmt, slog and JSON
// see it with the password replaced. Reveal returns it whole.
type URL string

// Reveal returns the URL with its password, for the one place that needs it.
func (u URL) Reveal() string { return string(u) }

// String implements fmt.Stringer, hiding the password.
func (u URL) String() string {
	p, err := url.Parse(string(u))
	if err != nil {
		return "(unparsable URL)"
	}
	if _, has := p.User.Password(); has {
		p.User = url.UserPassword(p.User.Username(), "redacted")
	}
	return p.String()
}

// GoString implements fmt.GoStringer, hiding the password.
func (u URL) GoString() string { return strconv.Quote(u.String()) }

// MarshalText keeps the password out of any encoded form of the config.
func (u URL) MarshalText() ([]byte, error) { return []byte(u.String()), nil }

// UnmarshalText reads the URL from a config file.
func (u *URL) UnmarshalText(b []byte) error { *u = URL(b); return nil }

// Redis says how to reach Redis.
type Redis struct {
	// URL is redis://[user:pass@]host:port[/db] or rediss:// for TLS; it
	// wins over Host/Port/DB when set.
	URL URL `toml:"url"`
	// Addrs lists cluster node addresses (host:port); several select the
	// cluster client.
	Addrs    []string `toml:"addrs"`
	Host     string   `toml:"host"`
	Port     int      `toml:"port"`
	DB       int      `toml:"db"`
	Username string   `toml:"username"`
	Password Secret   `toml:"password"`
	// Cluster forces the cluster client even with one address.
	Cluster bool `toml:"cluster"`
	// ReplicaSubscribe takes live messages from replicas on a cluster.
	ReplicaSubscribe bool `toml:"replica_subscribe"`
	// TLS turns on TLS (rediss:// does too); CAFile adds a CA to trust.
	TLS    bool   `toml:"tls"`
	CAFile string `toml:"ca_file"`
	// InsecureSkipVerify turns certificate checks off; only by explicit choice.
	InsecureSkipVerify bool `toml:"insecure_skip_verify"`
}

// Config is rtchat's whole configuration. Load builds it; Validate checks it.
type Config struct {
	Redis Redis `toml:"redis"`
	// User is the user name (RTCHAT_USER, else the login name).
	User string `toml:"user"`
	// Theme is a shipped theme's name or a theme file's path.
	Theme string `toml:"theme"`
	// Layout is "sidebar" (default) or "stacked".
	Layout string `toml:"layout"`
	// Mouse enables mouse support in the full-screen client.
	Mouse bool `toml:"mouse"`
	// PageSize is how many messages one history page holds.
	PageSize int64 `toml:"page_size"`
	// Retention trims each channel's stream to about this many entries
	// (0 keeps everything; embedded mode defaults to EmbeddedRetention).
	Retention int64 `toml:"retention"`
	// MaxMessageBytes is the message size limit.
	MaxMessageBytes int `toml:"max_message_bytes"`
	// MaxFileBytes is the file size limit, for files sent and fetched.
	MaxFileBytes int64 `toml:"max_file_bytes"`
	// Images says how the window draws pictures: "auto" (default: the
	// terminal's graphics protocol where it answers that it has one,
	// else half-blocks), "blocks" (Unicode half-blocks, every terminal),
	// "off" (a line like any file's), or a protocol named outright:
	// "kitty", "iterm2", "sixel".
	Images string `toml:"images"`
	// Bidi says who lays right-to-left text out: "auto" (default: the
	// terminal when it is one known to do bidi itself, rtchat elsewhere,
	// tmux included), "app" (rtchat), "terminal" or "off" (neither:
	// drawn in logical order).
	Bidi string `toml:"bidi"`
	// Archive keeps a local copy of the person's conversations, which
	// search reads first (archive; default true); ArchiveMaxBytes bounds
	// it (archive_max_bytes; the oldest messages go first).
	Archive         bool  `toml:"archive"`
	ArchiveMaxBytes int64 `toml:"archive_max_bytes"`
	// DownloadDir is where saved files go (download_dir; default
	// $XDG_DOWNLOAD_DIR, else ~/Downloads).
	DownloadDir string `toml:"download_dir"`
	// MaxLines is how many lines the window keeps in memory per channel;
	// older ones load again from Redis on scroll-up.
	MaxLines int `toml:"max_lines"`
	// LogFile is where the application log goes; LogLevel how much it
	// says: "debug", "info" (default), "warn" or "error".
	LogFile  string `toml:"log_file"`
	LogLevel string `toml:"log_level"`
	// Bell rings the terminal bell when a new message mentions the user.
	Bell bool `toml:"bell"`
	// Highlights are words that count as mentions.
	Highlights []string `toml:"highlights"`
	// NotifyCommand is run for each notification with the title and the
	// body as two more arguments (never through a shell): e.g.
	// ["notify-send", "--app-name=rtchat"].
	NotifyCommand []string `toml:"notify_command"`
	// ShowJoins shows who joins and leaves channels in the log.
	ShowJoins bool `toml:"show_joins"`
	// TimestampFormat lays out the log's times (a Go time layout).
	TimestampFormat string `toml:"timestamp_format"`
	// Keys rebinds the window's keys: action → comma-separated keys (see
	// package keymap); Bindings gives the result.
	Keys map[string]string `toml:"keys"`
	// ChannelPrefix, MessagePrefix and UserPrefix start every key.
	ChannelPrefix string `toml:"channel_prefix"`
	MessagePrefix string `toml:"message_prefix"`
	UserPrefix    string `toml:"user_prefix"`
	// Embedded forces the embedded in-memory server.
	Embedded bool `toml:"embedded"`
	// KeyDir holds the device's signing keys (one file per user name,
	// readable by the owner only) and the keys pinned on servers without
	// accounts (default $XDG_CONFIG_HOME/rtchat/keys).
	KeyDir string `toml:"key_dir"`
	// StateDir is rtchat's state directory (drafts); not configurable.
	StateDir string `toml:"-"`

	// File is the config file that was read, if any.
	File string `toml:"-"`
	// Path is the config file rtchat reads (or would read: it may not
	// exist yet); "" without a home.
	Path string `toml:"-"`
	// UserSet is true when some layer named the user (file, RTCHAT_USER
	// or --user), not the login name.
	UserSet bool `toml:"-"`
	// AddressSet is true when some layer named a Redis address (URL, addrs,
	// host or port); without one rtchat may start the embedded server.
	AddressSet bool `toml:"-"`
	// RetentionSet is true when some layer set Retention.
	RetentionSet bool `toml:"-"`
	// Warnings are things the user should know but that do not stop rtchat.
	Warnings []string `toml:"-"`
}

// EmbeddedRetention is the default retention in embedded mode, where the
// in-memory server copies a whole stream on every history read.
const EmbeddedRetention = 10000

// DefaultMaxLines is how many lines the window keeps per channel unless
// configured (max_lines).
const DefaultMaxLines = 5000

// DefaultArchiveMaxBytes bounds the local archive (archive_max_bytes):
// 512 MiB, some three million messages.
const DefaultArchiveMaxBytes = 512 << 20

// Default returns the configuration before any file, variable or flag.
func Default() Config {
	return Config{
		Redis:           Redis{Host: "localhost", Port: 6379},
		Theme:           "default",
		Layout:          "sidebar",
		Mouse:           true,
		Bell:            true,
		ShowJoins:       true,
		TimestampFormat: "15:04",
		LogLevel:        "info",
		PageSize:        chat.DefaultPageSize,
		MaxMessageBytes: chat.DefaultMaxMessageBytes,
		MaxFileBytes:    chat.DefaultMaxFileBytes,
		Images:          "auto",
		Archive:         true,
		Bidi:            "auto",
		ArchiveMaxBytes: DefaultArchiveMaxBytes,
		MaxLines:        DefaultMaxLines,
		ChannelPrefix:   "channel:",
		MessagePrefix:   "message:",
		UserPrefix:      "user:",
	}
}

// Flags holds the values given on the command line; nil means "not given".
type Flags struct {
	ConfigPath *string
	User       *string
	Redis      *string
	Theme      *string
	Embedded   *bool
	LogFile    *string
	LogLevel   *string
	// PasswordFile is a file whose first line is the Redis password.
	PasswordFile *string
}

// Source is where Load reads the environment and the user's home; tests
// pass their own.
type Source struct {
	// Getenv returns an environment variable; nil means os.LookupEnv.
	Getenv func(string) (string, bool)
	// LoginName returns the login name; nil means the OS's.
	LoginName func() string
}

// Load builds the configuration: defaults, then the config file
// (flags.ConfigPath, RTCHAT_CONFIG, else $XDG_CONFIG_HOME/rtchat/config.toml
// when it exists), then the environment, then flags; then Validate.
func Load(flags Flags, src Source) (Config, error) {
	if src.Getenv == nil {
		src.Getenv = os.LookupEnv
	}
	if src.LoginName == nil {
		src.LoginName = loginName
	}
	c := Default()
	path, explicit := configPath(flags, src.Getenv)
	c.Path = path
	if path != "" {
		if err := c.loadFile(path, explicit); err != nil {
			return Config{}, err
		}
	}
	if err := c.applyEnv(src.Getenv); err != nil {
		return Config{}, err
	}
	if err := c.applyFlags(flags); err != nil {
		return Config{}, err
	}
	c.UserSet = c.User != ""
	if c.User == "" {
		c.User = sanitizeLogin(src.LoginName())
	}
	if c.LogFile == "" {
		c.LogFile = defaultLogFile(src.Getenv)
	}
	c.StateDir = stateDir(src.Getenv)
	if c.DownloadDir == "" {
		c.DownloadDir = downloadDir(src.Getenv)
	}
	if c.KeyDir == "" {
		if dir := configDir(src.Getenv); dir != "" {
			c.KeyDir = filepath.Join(dir, "keys")
		}
	}
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

func configPath(flags Flags, getenv func(string) (string, bool)) (path string, explicit bool) {
	if flags.ConfigPath != nil && *flags.ConfigPath != "" {
		return *flags.ConfigPath, true
	}
	if p, ok := getenv("RTCHAT_CONFIG"); ok && p != "" {
		return p, true
	}
	dir := configDir(getenv)
	if dir == "" {
		return "", false
	}
	return filepath.Join(dir, "config.toml"), false
}

// downloadDir is where saved files go: $XDG_DOWNLOAD_DIR, else
// ~/Downloads ("" without a home).
func downloadDir(getenv func(string) (string, bool)) string {
	if dir, _ := getenv("XDG_DOWNLOAD_DIR"); dir != "" {
		return dir
	}
	if home, _ := getenv("HOME"); home != "" {
		return filepath.Join(home, "Downloads")
	}
	return ""
}

// configDir is rtchat's folder of the user's configuration
// ($XDG_CONFIG_HOME/rtchat, else ~/.config/rtchat; "" without a home).
func configDir(getenv func(string) (string, bool)) string {
	return xdgDir(getenv, "XDG_CONFIG_HOME", ".config")
}

// xdgDir is rtchat's folder in the XDG base directory named by variable,
// else in under (a path below the home directory); "" without either.
func xdgDir(getenv func(string) (string, bool), variable string, under ...string) string {
	dir, _ := getenv(variable)
	if dir == "" {
		home, _ := getenv("HOME")
		if home == "" {
			return ""
		}
		dir = filepath.Join(append([]string{home}, under...)...)
	}
	return filepath.Join(dir, "rtchat")
}

// KeyFile is the device's signing key of the user ("" without KeyDir).
func (c *Config) KeyFile() string {
	if c.KeyDir == "" {
		return ""
	}
	return filepath.Join(c.KeyDir, c.User+".key")
}

// PinFile is where the keys pinned on servers without accounts are kept.
func (c *Config) PinFile() string {
	if c.KeyDir == "" {
		return ""
	}
	return filepath.Join(c.KeyDir, "known_keys")
}

func (c *Config) applyEnv(getenv func(string) (string, bool)) error {
	str := func(name string, dst *string) bool {
		if v, ok := getenv(name); ok && v != "" {
			*dst = v
			return true
		}
		return false
	}
	num := func(name string, dst *int) (bool, error) {
		v, ok := getenv(name)
		if !ok || v == "" {
			return false, nil
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			return false, fmt.Errorf("environment variable %s=%q: not a whole number", name, v)
		}
		*dst = n
		return true, nil
	}
	var u string
	if str("REDIS_URL", &u) {
		c.setAddress(u)
	}
	if str("REDIS_HOST", &c.Redis.Host) {
		c.AddressSet = true
	}
	set, err := num("REDIS_PORT", &c.Redis.Port)
	if err != nil {
		return err
	}
	c.AddressSet = c.AddressSet || set
	if _, err := num("REDIS_DB", &c.Redis.DB); err != nil {
		return err
	}
	str("REDIS_USERNAME", &c.Redis.Username)
	var pw string
	if str("REDIS_PASSWORD", &pw) {
		c.Redis.Password = Secret(pw)
	}
	str("CHANNEL_PREFIX", &c.ChannelPrefix)
	str("MESSAGE_PREFIX", &c.MessagePrefix)
	str("RTCHAT_USER", &c.User)
	str("RTCHAT_THEME", &c.Theme)
	str("RTCHAT_LOG_FILE", &c.LogFile)
	str("RTCHAT_LOG_LEVEL", &c.LogLevel)
	return nil
}

func (c *Config) applyFlags(f Flags) error {
	if f.User != nil {
		if *f.User == "" {
			return errors.New("--user is empty; give a user name, or leave the flag out to use RTCHAT_USER or your login name")
		}
		c.User = *f.User
	}
	if f.Redis != nil && *f.Redis != "" {
		c.setAddress(*f.Redis)
		if strings.Contains(*f.Redis, "://") && urlHasPassword(URL(*f.Redis)) {
			c.Warnings = append(c.Warnings, "the password in --redis can be read by every user of this machine (ps, /proc); store it with 'rtchat login' or give --password-file FILE instead")
		}
	}
	if f.PasswordFile != nil && *f.PasswordFile != "" {
		pw, warn, err := ReadPasswordFile(*f.PasswordFile)
		if err != nil {
			return err
		}
		c.Redis.Password = Secret(pw)
		if warn != "" {
			c.Warnings = append(c.Warnings, warn)
		}
	}
	if f.Theme != nil && *f.Theme != "" {
		c.Theme = *f.Theme
	}
	if f.Embedded != nil && *f.Embedded {
		c.Embedded = true
	}
	if f.LogFile != nil && *f.LogFile != "" {
		c.LogFile = *f.LogFile
	}
	if f.LogLevel != nil && *f.LogLevel != "" {
		c.LogLevel = *f.LogLevel
	}
	return nil
}

// setAddress takes --redis or REDIS_URL: a URL, a host:port, or several
// comma-separated node addresses of a cluster.
func (c *Config) setAddress(v string) {
	c.AddressSet = true
	switch {
	case strings.Contains(v, ","):
		var addrs []string
		for _, a := range splitList(v) {
			// A credential in an address is kept as it is, so that
			// Validate refuses it (the cluster client takes one password
			// for every node, from REDIS_PASSWORD).
			if u, err := url.Parse(a); err == nil && u.Host != "" && strings.Contains(a, "://") && u.User == nil {
				a = u.Host
			}
			addrs = append(addrs, a)
		}
		c.Redis.URL, c.Redis.Addrs = "", addrs
	case strings.Contains(v, "://"):
		c.Redis.URL, c.Redis.Addrs = URL(v), nil
	default:
		c.Redis.URL, c.Redis.Addrs = URL("redis://"+v), nil
	}
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

var prefixRE = regexp.MustCompile(`^[^{}\s]{1,64}$`)

// Validate checks every field; the error names the key and the reason.
func (c *Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", key, fmt.Sprintf(format, args...)))
	}
	if err := chat.ValidateAccount(c.User); err != nil {
		bad("user", "%q is not a valid user name (%s); set RTCHAT_USER or --user", c.User, chat.NameHint)
	}
	c.validateRedis(bad)
	if c.Layout != "sidebar" && c.Layout != "stacked" {
		bad("layout", "%q is not \"sidebar\" or \"stacked\"", c.Layout)
	}
	if c.PageSize < 1 || c.PageSize > 10000 {
		bad("page_size", "%d is not between 1 and 10000", c.PageSize)
	}
	if c.Retention < 0 {
		bad("retention", "%d is negative (0 keeps everything)", c.Retention)
	}
	if c.MaxMessageBytes < 1 || c.MaxMessageBytes > 1<<20 {
		bad("max_message_bytes", "%d is not between 1 and 1048576", c.MaxMessageBytes)
	}
	if c.MaxFileBytes < 1 || c.MaxFileBytes > 1<<30 {
		bad("max_file_bytes", "%d is not between 1 and 1073741824", c.MaxFileBytes)
	}
	if c.ArchiveMaxBytes < 1<<20 || c.ArchiveMaxBytes > 1<<40 {
		bad("archive_max_bytes", "%d is not between 1048576 (1 MiB) and 1099511627776 (1 TiB)", c.ArchiveMaxBytes)
	}
	switch c.Bidi {
	case "auto", "app", "terminal", "off":
	default:
		bad("bidi", "%q is not auto, app, terminal or off", c.Bidi)
	}
	switch c.Images {
	case "auto", "blocks", "off", "kitty", "iterm2", "sixel":
	default:
		bad("images", "%q is not auto, blocks, off, kitty, iterm2 or sixel", c.Images)
	}
	if int64(c.MaxLines) < c.PageSize || c.MaxLines > 10_000_000 {
		bad("max_lines", "%d is not between page_size (%d) and 10000000", c.MaxLines, c.PageSize)
	}
	for _, p := range []struct{ key, value string }{{"channel_prefix", c.ChannelPrefix}, {"message_prefix", c.MessagePrefix}, {"user_prefix", c.UserPrefix}} {
		if !prefixRE.MatchString(p.value) {
			bad(p.key, "%q must be 1-64 characters without braces or spaces", p.value)
		}
	}
	if c.ChannelPrefix == c.MessagePrefix || c.ChannelPrefix == c.UserPrefix || c.MessagePrefix == c.UserPrefix {
		bad("channel_prefix", "channel, message and user prefixes must differ")
	}
	if c.Theme == "" {
		bad("theme", "is empty")
	}
	if _, err := c.SlogLevel(); err != nil {
		bad("log_level", "%v", err)
	}
	if _, err := keymap.Bindings(c.Keys); err != nil {
		errs = append(errs, err)
	}
	c.validateAttention(bad)
	if len(errs) == 0 {
		return nil
	}
	where := "configuration"
	if c.File != "" {
		where = c.File
	}
	return fmt.Errorf("%s: %w", where, errors.Join(errs...))
}

// validateRedis checks the keys that say how to reach Redis.
func (c *Config) validateRedis(bad func(key, format string, args ...any)) {
	if c.Redis.Port < 1 || c.Redis.Port > 65535 {
		bad("redis.port", "%d is not a TCP port (1-65535)", c.Redis.Port)
	}
	if c.Redis.DB < 0 {
		bad("redis.db", "%d is negative", c.Redis.DB)
	}
	if c.Redis.URL != "" {
		u, err := url.Parse(c.Redis.URL.Reveal())
		switch {
		case err != nil:
			bad("redis.url", "cannot be parsed as a URL")
		case u.Scheme != "redis" && u.Scheme != "rediss":
			bad("redis.url", "scheme %q is not redis:// or rediss://", u.Scheme)
		case u.Host == "":
			bad("redis.url", "has no host")
		}
	}
	for _, a := range c.Redis.Addrs {
		if strings.Contains(a, "@") {
			bad("redis.addrs", "an address holds a user name or password; give a cluster's with REDIS_PASSWORD (and REDIS_USERNAME) or redis.password (and redis.username), and the addresses as host:port")
			continue
		}
		if _, _, err := net.SplitHostPort(a); err != nil {
			bad("redis.addrs", "%q is not host:port", a)
		}
	}
	if c.Redis.CAFile != "" {
		if _, err := os.Stat(c.Redis.CAFile); err != nil {
			bad("redis.ca_file", "cannot read %s", c.Redis.CAFile)
		}
	}
}

// validateAttention checks the notification keys.
func (c *Config) validateAttention(bad func(key, format string, args ...any)) {
	if len(c.Highlights) > 50 {
		bad("highlights", "has %d words; at most 50", len(c.Highlights))
	}
	for i, w := range c.Highlights {
		w = strings.ToLower(strings.TrimSpace(w))
		if w == "" || len(w) > 64 || strings.ContainsAny(w, " \t\n") || chat.Printable(w) != w {
			bad("highlights", "%q is not one word of up to 64 bytes", c.Highlights[i])
		}
		c.Highlights[i] = w
	}
	if len(c.NotifyCommand) > 0 && strings.TrimSpace(c.NotifyCommand[0]) == "" {
		bad("notify_command", "the first element must name a program (e.g. [\"notify-send\"])")
	}
	if c.TimestampFormat == "" || len(c.TimestampFormat) > 40 || chat.Printable(c.TimestampFormat) != c.TimestampFormat || strings.Contains(c.TimestampFormat, "\n") {
		bad("timestamp_format", "%q is not a Go time layout of up to 40 characters like \"15:04\"", c.TimestampFormat)
	} else if sample := time.Date(2001, 2, 3, 9, 8, 7, 0, time.UTC).Format(c.TimestampFormat); sample == c.TimestampFormat {
		bad("timestamp_format", "%q shows no time; write it as Go does: \"15:04\", \"3:04PM\", \"15:04:05\"", c.TimestampFormat)
	}
}

// Bindings returns the window's keys: action → canonical key names.
func (c *Config) Bindings() map[string][]string {
	b, err := keymap.Bindings(c.Keys)
	if err != nil {
		// Validate refused such a configuration; fall back to the defaults.
		b, _ = keymap.Bindings(nil)
	}
	return b
}

// SlogLevel returns LogLevel as a slog level.
func (c *Config) SlogLevel() (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(c.LogLevel)); err != nil || strings.ContainsAny(c.LogLevel, "+-") {
		return 0, fmt.Errorf("%q is not debug, info, warn or error", c.LogLevel)
	}
	return l, nil
}

func loginName() string {
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return os.Getenv("USER")
}

// sanitizeLogin turns a login name into a valid user name: lower case,
// other characters replaced by '-'.
func sanitizeLogin(s string) string {
	s = strings.ToLower(s)
	var b strings.Builder
	for _, r := range s {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') || r == '_' || r == '-' {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	out := strings.TrimLeft(b.String(), "-_")
	if len(out) > 64 {
		out = out[:64]
	}
	return out
}

func defaultLogFile(getenv func(string) (string, bool)) string {
	dir := stateDir(getenv)
	if dir == "" {
		return filepath.Join(os.TempDir(), "rtchat.log")
	}
	return filepath.Join(dir, "rtchat.log")
}

// stateDir is rtchat's state directory ($XDG_STATE_HOME/rtchat, else
// ~/.local/state/rtchat; "" without a home).
func stateDir(getenv func(string) (string, bool)) string {
	return xdgDir(getenv, "XDG_STATE_HOME", ".local", "state")
}

// WindowFile is where the window keeps, for this user on this server,
// what it brings back on a restart: the unsent drafts, the conversation
// that was open and where it was scrolled ("" without a state directory).
func (c Config) WindowFile() string {
	if c.StateDir == "" {
		return ""
	}
	return filepath.Join(c.StateDir, "window", sanitizeLogin(c.Server())+"-"+c.User+".json")
}

// String describes the configuration for logs, without the password.
func (c Config) String() string {
	return fmt.Sprintf("user=%s server=%s theme=%s layout=%s page_size=%d retention=%d max_message_bytes=%d log_file=%s log_level=%s",
		c.User, c.Server(), c.Theme, c.Layout, c.PageSize, c.Retention, c.MaxMessageBytes, c.LogFile, c.LogLevel)
}

// Server describes where rtchat connects, without credentials.
func (c Config) Server() string {
	switch {
	case len(c.Redis.Addrs) > 0:
		addrs := make([]string, len(c.Redis.Addrs))
		for i, a := range c.Redis.Addrs {
			if at := strings.LastIndex(a, "@"); at >= 0 {
				a = a[at+1:] // never print a credential
			}
			addrs[i] = a
		}
		return "cluster " + strings.Join(addrs, ",")
	case c.Redis.URL != "":
		u, err := url.Parse(c.Redis.URL.Reveal())
		if err != nil {
			return "(unparsable URL)"
		}
		u.User = nil
		return u.String()
	default:
		return net.JoinHostPort(c.Redis.Host, strconv.Itoa(c.Redis.Port))
	}
}
