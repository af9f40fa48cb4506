package config_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rtchat/rtchat/config"
	"github.com/rtchat/rtchat/keymap"
)

// env returns a Source with exactly these variables and login name "tester".
func env(vars map[string]string) config.Source {
	return config.Source{
		Getenv:    func(k string) (string, bool) { v, ok := vars[k]; return v, ok },
		LoginName: func() string { return "Tester.Name" },
	}
}

func writeFile(t *testing.T, body string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(p, []byte(body), mode); err != nil {
		t.Fatal(err)
	}
	return p
}

func ptr[T any](v T) *T { return &v }

func TestDefaults(t *testing.T) {
	c, err := config.Load(config.Flags{}, env(map[string]string{"HOME": t.TempDir()}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Redis.Host != "localhost" || c.Redis.Port != 6379 || c.Redis.DB != 0 || c.ChannelPrefix != "channel:" || c.MessagePrefix != "message:" {
		t.Fatalf("defaults = %+v", c)
	}
	if c.User != "tester-name" {
		t.Fatalf("user from login name = %q", c.User)
	}
	if c.AddressSet {
		t.Fatal("no layer named an address, yet AddressSet is true")
	}
	if !c.Archive || c.ArchiveMaxBytes != config.DefaultArchiveMaxBytes {
		t.Fatalf("archive %v, archive_max_bytes %d: want it kept, bounded by default", c.Archive, c.ArchiveMaxBytes)
	}
	if !strings.HasSuffix(c.LogFile, filepath.Join(".local", "state", "rtchat", "rtchat.log")) {
		t.Fatalf("default log file = %q", c.LogFile)
	}
}

func TestLayersFieldByField(t *testing.T) {
	file := writeFile(t, `
user = "fromfile"
theme = "dark"
[redis]
host = "filehost"
port = 7000
db = 2
`, 0o600)
	c, err := config.Load(config.Flags{ConfigPath: &file, Theme: ptr("light")}, env(map[string]string{
		"REDIS_PORT": "7001", "RTCHAT_USER": "fromenv", "CHANNEL_PREFIX": "ch:",
	}))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, got, want string }{
		{"host from file", c.Redis.Host, "filehost"},
		{"port from env over file", fmt.Sprint(c.Redis.Port), "7001"},
		{"db from file", fmt.Sprint(c.Redis.DB), "2"},
		{"user from env over file", c.User, "fromenv"},
		{"theme from flag over file", c.Theme, "light"},
		{"prefix from env", c.ChannelPrefix, "ch:"},
		{"message prefix default", c.MessagePrefix, "message:"},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, tc.got, tc.want)
		}
	}
	if !c.AddressSet || c.File != file {
		t.Errorf("AddressSet=%v File=%q", c.AddressSet, c.File)
	}
}

func TestURLTakesPasswordFromEnvironment(t *testing.T) {
	c, err := config.Load(config.Flags{Redis: ptr("redis://127.0.0.1:6390/3")}, env(map[string]string{"REDIS_PASSWORD": "s3cret", "REDIS_USERNAME": "chat"}))
	if err != nil {
		t.Fatal(err)
	}
	o, err := c.RedisOptions()
	if err != nil {
		t.Fatal(err)
	}
	if o.Addrs[0] != "127.0.0.1:6390" || o.DB != 3 || o.Password != "s3cret" || o.Username != "chat" || o.IsClusterMode {
		t.Fatalf("options = %+v", o)
	}
	c2, _ := config.Load(config.Flags{Redis: ptr("redis://:inurl@127.0.0.1:6390")}, env(map[string]string{"REDIS_PASSWORD": "env"}))
	if o2, _ := c2.RedisOptions(); o2.Password != "inurl" {
		t.Fatalf("a URL's own password must win, got %q", o2.Password)
	}
	c3, _ := config.Load(config.Flags{Redis: ptr("127.0.0.1:7000,127.0.0.1:7001")}, env(nil))
	if o3, _ := c3.RedisOptions(); !o3.IsClusterMode || len(o3.Addrs) != 2 {
		t.Fatalf("address list = %+v", o3)
	}
	c5, _ := config.Load(config.Flags{}, env(map[string]string{"REDIS_URL": "redis://127.0.0.1:7000, 127.0.0.1:7001"}))
	if o5, _ := c5.RedisOptions(); !o5.IsClusterMode || len(o5.Addrs) != 2 || o5.Addrs[0] != "127.0.0.1:7000" {
		t.Fatalf("REDIS_URL list = %+v", o5)
	}
	c4, _ := config.Load(config.Flags{Redis: ptr("rediss://127.0.0.1:6390")}, env(nil))
	if o4, _ := c4.RedisOptions(); o4.TLSConfig == nil || o4.TLSConfig.InsecureSkipVerify {
		t.Fatalf("rediss:// must turn on verified TLS: %+v", o4.TLSConfig)
	}
}

func TestPasswordNeverPrinted(t *testing.T) {
	file := writeFile(t, "[redis]\npassword = \"hunter2-file\"\n", 0o600)
	c, err := config.Load(config.Flags{ConfigPath: &file, Redis: ptr("redis://u:hunter2-url@127.0.0.1:1")}, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "%v %+v %#v %s %v", c, c, c, c.Server(), c.Redis)
	js, _ := json.Marshal(c)
	sb.Write(js)
	slog.New(slog.NewTextHandler(&sb, nil)).Info("cfg", "config", c, "redis", c.Redis)
	for _, secret := range []string{"hunter2-file", "hunter2-url"} {
		if strings.Contains(sb.String(), secret) {
			t.Fatalf("password %q printed in: %s", secret, sb.String())
		}
	}
	if c.Redis.Password.Reveal() != "hunter2-file" {
		t.Fatal("Reveal lost the password")
	}
}

func TestWorldReadablePasswordFileWarns(t *testing.T) {
	file := writeFile(t, "[redis]\npassword = \"x\"\n", 0o644)
	c, err := config.Load(config.Flags{ConfigPath: &file}, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0], "chmod 600") {
		t.Fatalf("warnings = %v", c.Warnings)
	}
	file2 := writeFile(t, "[redis]\npassword = \"x\"\n", 0o600)
	if c2, _ := config.Load(config.Flags{ConfigPath: &file2}, env(nil)); len(c2.Warnings) != 0 {
		t.Fatalf("a private file warned: %v", c2.Warnings)
	}
	// A password inside the URL counts too; a URL without one does not.
	file3 := writeFile(t, "[redis]\nurl = \"redis://:inurl@127.0.0.1:6390\"\n", 0o644)
	if c3, err := config.Load(config.Flags{ConfigPath: &file3}, env(nil)); err != nil || len(c3.Warnings) != 1 || strings.Contains(c3.Warnings[0], "inurl") {
		t.Fatalf("a readable file with a password in redis.url: %v %v", c3.Warnings, err)
	}
	file4 := writeFile(t, "[redis]\nurl = \"redis://127.0.0.1:6390\"\n", 0o644)
	if c4, _ := config.Load(config.Flags{ConfigPath: &file4}, env(nil)); len(c4.Warnings) != 0 {
		t.Fatalf("a URL without a password warned: %v", c4.Warnings)
	}
}

func TestCredentialsInAddressListsRefused(t *testing.T) {
	for _, v := range []string{":s3cret@127.0.0.1:7002,127.0.0.1:7001", "redis://u:s3cret@127.0.0.1:7002,127.0.0.1:7001"} {
		_, err := config.Load(config.Flags{Redis: ptr(v)}, env(nil))
		if err == nil || strings.Contains(err.Error(), "s3cret") || !strings.Contains(err.Error(), "REDIS_PASSWORD") {
			t.Fatalf("%q: %v", v, err)
		}
	}
	file := writeFile(t, "[redis]\naddrs = [\"u:s3cret@127.0.0.1:7000\"]\n", 0o600)
	if _, err := config.Load(config.Flags{ConfigPath: &file}, env(nil)); err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("addrs in a file: %v", err)
	}
	if _, err := config.Load(config.Flags{User: ptr("")}, env(nil)); err == nil || !strings.Contains(err.Error(), "--user is empty") {
		t.Fatalf("--user '': %v", err)
	}
}

func TestValidationErrorsInAStableOrder(t *testing.T) {
	bad := env(map[string]string{"CHANNEL_PREFIX": "c{", "MESSAGE_PREFIX": "m{", "REDIS_PORT": "0"})
	_, first := config.Load(config.Flags{}, bad)
	for range 20 {
		if _, err := config.Load(config.Flags{}, bad); err == nil || err.Error() != first.Error() {
			t.Fatalf("the errors changed order: %v, then %v", first, err)
		}
	}
}

func TestBadInputNamesWhereAndWhy(t *testing.T) {
	for name, tc := range map[string]struct {
		file  string
		env   map[string]string
		flags config.Flags
		want  []string
	}{
		"unknown key":       {file: "colour = 1\n", want: []string{"config.toml", "unknown key colour"}},
		"unknown table key": {file: "[redis]\nhots = \"x\"\n", want: []string{"unknown key redis.hots"}},
		"wrong type":        {file: "page_size = \"many\"\n", want: []string{"config.toml", "line 1: page_size: a whole number is wanted here, not a string"}},
		"mouse yes":         {file: "user = \"a\"\nmouse = \"yes\"\n", want: []string{"config.toml: line 2: mouse: true or false is wanted here, not a string", "config.example.toml"}},
		"syntax":            {file: "user = \n", want: []string{"config.toml", "line 1"}},
		"bad port":          {file: "[redis]\nport = 70000\n", want: []string{"config.toml", "redis.port", "70000"}},
		"bad layout":        {file: "layout = \"diagonal\"\n", want: []string{"layout", "diagonal"}},
		"bad user":          {env: map[string]string{"RTCHAT_USER": "Bad User"}, want: []string{"user", "Bad User"}},
		"env port":          {env: map[string]string{"REDIS_PORT": "abc"}, want: []string{"REDIS_PORT", "abc"}},
		"bad scheme":        {flags: config.Flags{Redis: ptr("http://x:1")}, want: []string{"redis.url", "http"}},
		"missing file":      {flags: config.Flags{ConfigPath: ptr("/nonexistent/rtchat.toml")}, want: []string{"/nonexistent/rtchat.toml"}},
		"bad prefix":        {env: map[string]string{"MESSAGE_PREFIX": "m{"}, want: []string{"message_prefix"}},
		"bad key":           {file: "[keys]\nhelp = \"Hyper+H\"\n", want: []string{"config.toml", "keys.help", "Hyper+H"}},
		"unknown action":    {file: "[keys]\nfly = \"F5\"\n", want: []string{"config.toml", "keys.fly", "unknown action"}},
		"key twice":         {file: "[keys]\nhelp = \"F5\"\nquit = \"F5\"\n", want: []string{"config.toml", "F5", "also given"}},
		"key not text":      {file: "[keys]\nhelp = 5\n", want: []string{"config.toml", "keys.help"}},
		"bad log level":     {file: "log_level = \"loud\"\n", want: []string{"config.toml", "log_level", "loud"}},
		"tiny archive":      {file: "archive_max_bytes = 1000\n", want: []string{"config.toml", "archive_max_bytes", "1000"}},
		"archive no":        {file: "archive = \"no\"\n", want: []string{"config.toml", "archive: true or false"}},
	} {
		t.Run(name, func(t *testing.T) {
			flags := tc.flags
			if tc.file != "" {
				p := writeFile(t, tc.file, 0o600)
				flags.ConfigPath = &p
			}
			_, err := config.Load(flags, env(tc.env))
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestXDGConfigFileIsRead(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "rtchat"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "rtchat", "config.toml"), []byte("user = \"xdg\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := config.Load(config.Flags{}, env(map[string]string{"XDG_CONFIG_HOME": dir}))
	if err != nil || c.User != "xdg" {
		t.Fatalf("user = %q, err = %v", c.User, err)
	}
}

func TestExampleConfigLoads(t *testing.T) {
	p := "../config.example.toml"
	c, err := config.Load(config.Flags{ConfigPath: &p}, env(nil))
	if err != nil {
		t.Fatalf("config.example.toml does not load: %v", err)
	}
	c.File, c.Keys = "", nil // the example spells out the default keys
	d, err := config.Load(config.Flags{}, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	d.File = ""
	if fmt.Sprintf("%+v", c) != fmt.Sprintf("%+v", d) {
		t.Fatalf("the example differs from the defaults:\n%+v\n%+v", c, d)
	}
	ex, _ := config.Load(config.Flags{ConfigPath: &p}, env(nil))
	for _, a := range append(slices.Clone(keymap.Actions), keymap.MessageActions...) {
		if _, ok := ex.Keys[a.Name]; !ok {
			t.Errorf("config.example.toml's [keys] does not show %s", a.Name)
		}
	}
	if fmt.Sprint(ex.Bindings()) != fmt.Sprint(d.Bindings()) {
		t.Fatalf("the example's keys differ from the defaults:\n%v\n%v", ex.Bindings(), d.Bindings())
	}
}

func TestKeysAndLogLevel(t *testing.T) {
	p := writeFile(t, "log_level = \"debug\"\nbell = false\n[keys]\nhelp = \"F12\"\nquick_switch = \"ctrl+g, alt+k\"\n", 0o600)
	c, err := config.Load(config.Flags{ConfigPath: &p}, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if lv, _ := c.SlogLevel(); lv != slog.LevelDebug || c.Bell {
		t.Fatalf("level %v bell %v", lv, c.Bell)
	}
	b := c.Bindings()
	if fmt.Sprint(b["help"]) != "[F12]" || fmt.Sprint(b["quick_switch"]) != "[Ctrl+G Alt+K]" || fmt.Sprint(b["next_unread"]) != "[Alt+A]" {
		t.Fatalf("bindings %v", b)
	}
	c, err = config.Load(config.Flags{ConfigPath: &p, LogLevel: ptr("warn")}, env(map[string]string{"RTCHAT_LOG_LEVEL": "error"}))
	if lv, _ := c.SlogLevel(); err != nil || lv != slog.LevelWarn {
		t.Fatalf("flag over env: %v %v", lv, err)
	}
}

func TestAttentionKeys(t *testing.T) {
	for content, want := range map[string]string{
		"highlights = [\"two words\"]\n":   "highlights",
		"highlights = [\"\\u001b[31m\"]\n": "highlights",
		"notify_command = [\"\"]\n":        "notify_command",
		"timestamp_format = \"hello\"\n":   "timestamp_format",
		"timestamp_format = \"\"\n":        "timestamp_format",
		"show_joins = \"no\"\n":            "show_joins",
	} {
		p := writeFile(t, content, 0o600)
		if _, err := config.Load(config.Flags{ConfigPath: &p}, env(nil)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want an error about %s", content, err, want)
		}
	}
	p := writeFile(t, "highlights = [\"Deploy\", \"oncall\"]\nnotify_command = [\"notify-send\", \"-a\", \"rtchat\"]\nshow_joins = false\ntimestamp_format = \"3:04PM\"\n", 0o600)
	c, err := config.Load(config.Flags{ConfigPath: &p}, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprintf("%v %v %v %v", c.Highlights, c.NotifyCommand, c.ShowJoins, c.TimestampFormat) != "[deploy oncall] [notify-send -a rtchat] false 3:04PM" {
		t.Fatalf("got %v %v %v %v", c.Highlights, c.NotifyCommand, c.ShowJoins, c.TimestampFormat)
	}
}

func TestWindowFileIsPerServerAndUserInTheStateDirectory(t *testing.T) {
	state := t.TempDir()
	c, err := config.Load(config.Flags{User: ptr("bob"), Redis: ptr("redis://chat.example:6380")}, env(map[string]string{"XDG_STATE_HOME": state}))
	if err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(state, "rtchat", "window")
	if got := c.WindowFile(); filepath.Dir(got) != want || !strings.Contains(filepath.Base(got), "bob") || !strings.Contains(filepath.Base(got), "6380") {
		t.Errorf("WindowFile = %q, want a file for bob on :6380 in %s", got, want)
	}
	other, err := config.Load(config.Flags{User: ptr("carol"), Redis: ptr("redis://chat.example:6380")}, env(map[string]string{"XDG_STATE_HOME": state}))
	if err != nil {
		t.Fatal(err)
	}
	if other.WindowFile() == c.WindowFile() {
		t.Errorf("bob and carol share the window file %s", c.WindowFile())
	}
	if none, _ := config.Load(config.Flags{User: ptr("bob")}, env(nil)); none.WindowFile() != "" {
		t.Errorf("without a home, WindowFile = %q, want none", none.WindowFile())
	}
}
