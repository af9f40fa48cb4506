// Package themes holds rtchat's colour themes: the shipped ones, embedded
// from the .toml files beside this file, and the code that parses and
// validates a theme file. A theme is plain data; the UI turns it into
// styles. Nothing here mutates global state.
package themes

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"
	"github.com/gdamore/tcell/v2"
)

//go:embed *.toml
var shipped embed.FS

// Color is a theme colour: "#rgb", "#rrggbb", a colour name tcell knows
// ("white", "darkcyan", …) or "default" for the terminal's own colour.
type Color struct {
	tcell.Color
	text string
}

// UnmarshalText parses a colour, rejecting anything tcell cannot show.
func (c *Color) UnmarshalText(b []byte) error {
	s := strings.ToLower(strings.TrimSpace(string(b)))
	switch {
	case s == "default":
		c.Color, c.text = tcell.ColorDefault, s
		return nil
	case len(s) == 4 && s[0] == '#' && isHex(s[1:]):
		s = "#" + strings.Repeat(s[1:2], 2) + strings.Repeat(s[2:3], 2) + strings.Repeat(s[3:4], 2)
	}
	if len(s) == 7 && s[0] == '#' && !isHex(s[1:]) {
		return fmt.Errorf("%q is not a colour: use #rgb, #rrggbb, a colour name or \"default\"", string(b))
	}
	col := tcell.GetColor(s)
	if col == tcell.ColorDefault {
		return fmt.Errorf("%q is not a colour: use #rgb, #rrggbb, a colour name or \"default\"", string(b))
	}
	c.Color, c.text = col, string(b)
	return nil
}

// MarshalText writes the colour as it was given.
func (c Color) MarshalText() ([]byte, error) { return []byte(c.text), nil }

// String returns the colour as written in the theme.
func (c Color) String() string { return c.text }

func isHex(s string) bool {
	for _, r := range s {
		if !strings.ContainsRune("0123456789abcdef", r) {
			return false
		}
	}
	return s != ""
}

// Pair is a background and a foreground.
type Pair struct {
	Background Color `toml:"background"`
	Foreground Color `toml:"foreground"`
}

// Theme colours every part of the screen. See default.toml for the meaning
// of each key; a theme file may leave keys out, which then keep the default
// theme's values.
type Theme struct {
	Name     string `toml:"name"`
	Header   Pair   `toml:"header"`
	Channels struct {
		Pair
		SelectedBackground Color `toml:"selected_background"`
		SelectedForeground Color `toml:"selected_foreground"`
		Joined             Color `toml:"joined"`
		Unread             Color `toml:"unread"`
		Mention            Color `toml:"mention"`
	} `toml:"channels"`
	Log struct {
		Pair
		Timestamp Color `toml:"timestamp"`
		Own       Color `toml:"own"`
		System    Color `toml:"system"`
		Error     Color `toml:"error"`
		Pending   Color `toml:"pending"`
		Separator Color `toml:"separator"`
		Mention   Color `toml:"mention"`
	} `toml:"log"`
	Input struct {
		Pair
		Placeholder Color `toml:"placeholder"`
	} `toml:"input"`
	Status Pair `toml:"status"`
	Users  struct {
		// Colors are the per-user name colours, picked by a hash of the name.
		Colors []Color `toml:"colors"`
	} `toml:"users"`
	// File is where the theme came from ("" for a shipped theme).
	File string `toml:"-"`
}

// Names lists the shipped themes.
func Names() []string {
	entries, _ := fs.ReadDir(shipped, ".")
	var out []string
	for _, e := range entries {
		out = append(out, strings.TrimSuffix(e.Name(), ".toml"))
	}
	sort.Strings(out)
	return out
}

// Load returns a shipped theme by name, or the theme in the file at a path
// (anything containing a slash or ending in .toml).
func Load(nameOrPath string) (Theme, error) {
	if strings.ContainsRune(nameOrPath, filepath.Separator) || strings.HasSuffix(nameOrPath, ".toml") {
		data, err := os.ReadFile(nameOrPath)
		if err != nil {
			return Theme{}, fmt.Errorf("read theme file %s: %w", nameOrPath, err)
		}
		t, err := Parse(nameOrPath, data)
		t.File = nameOrPath
		return t, err
	}
	data, err := shipped.ReadFile(nameOrPath + ".toml")
	if err != nil {
		return Theme{}, fmt.Errorf("no theme named %q; choose one of %s, or give a theme file's path", nameOrPath, strings.Join(Names(), ", "))
	}
	return Parse(nameOrPath+".toml", data)
}

// Default returns the default theme (the documented greys: header #333,
// list #666, input #999, log #CCC, status bar #666).
func Default() Theme {
	t, err := parseStrict("default.toml", mustShipped("default.toml"), Theme{})
	if err != nil {
		// The shipped file is checked by the tests; fail loudly but safely.
		return Theme{Name: "broken default: " + err.Error()}
	}
	return t
}

func mustShipped(name string) []byte {
	b, _ := shipped.ReadFile(name)
	return b
}

// Parse decodes a theme file strictly over the default theme: an unknown
// key or a colour tcell cannot show is an error naming the file, the key
// and the value.
func Parse(file string, data []byte) (Theme, error) {
	return parseStrict(file, data, Default())
}

func parseStrict(file string, data []byte, base Theme) (Theme, error) {
	t := base
	t.Name = ""
	md, err := toml.Decode(string(data), &t)
	if err != nil {
		var perr toml.ParseError
		if errors.As(err, &perr) {
			key := perr.LastKey
			return Theme{}, fmt.Errorf("theme %s: line %d: key %s: %s", file, perr.Position.Line, key, perr.Message)
		}
		return Theme{}, fmt.Errorf("theme %s: %w", file, err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		keys := make([]string, len(und))
		for i, k := range und {
			keys[i] = k.String()
		}
		return Theme{}, fmt.Errorf("theme %s: unknown key %s (see the README's theme format)", file, strings.Join(keys, ", "))
	}
	if len(t.Users.Colors) == 0 {
		return Theme{}, fmt.Errorf("theme %s: users.colors is empty; give at least one colour", file)
	}
	if t.Name == "" {
		t.Name = strings.TrimSuffix(filepath.Base(file), ".toml")
	}
	return t, nil
}
