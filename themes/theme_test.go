package themes_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gdamore/tcell/v2"
	"github.com/rtchat/rtchat/themes"
)

func TestShippedThemesLoad(t *testing.T) {
	names := themes.Names()
	for _, want := range []string{"default", "dark", "light", "terminal"} {
		if !strings.Contains(strings.Join(names, ","), want) {
			t.Fatalf("shipped themes %v lack %s", names, want)
		}
	}
	for _, n := range names {
		th, err := themes.Load(n)
		if err != nil {
			t.Fatalf("theme %s: %v", n, err)
		}
		if th.Name != n || len(th.Users.Colors) == 0 {
			t.Fatalf("theme %s = %+v", n, th)
		}
	}
}

func TestDefaultIsTheSeedGreys(t *testing.T) {
	th := themes.Default()
	for part, tc := range map[string]struct {
		got  tcell.Color
		want int32
	}{
		"header":   {th.Header.Background.Color, 0x333333},
		"channels": {th.Channels.Background.Color, 0x666666},
		"input":    {th.Input.Background.Color, 0x999999},
		"log":      {th.Log.Background.Color, 0xcccccc},
		"status":   {th.Status.Background.Color, 0x666666},
	} {
		if tc.got != tcell.NewHexColor(tc.want) {
			t.Errorf("%s background = %v, want #%06x", part, tc.got, tc.want)
		}
	}
}

func TestThemeFileErrorsNameFileKeyValue(t *testing.T) {
	for name, tc := range map[string]struct {
		body string
		want []string
	}{
		"unknown key":  {"[log]\nbackgroud = \"#000\"\n", []string{"my.toml", "log.backgroud"}},
		"bad colour":   {"[header]\nbackground = \"#12345z\"\n", []string{"my.toml", "header.background", "#12345z"}},
		"named colour": {"[status]\nforeground = \"notacolour\"\n", []string{"status.foreground", "notacolour"}},
		"wrong type":   {"[users]\ncolors = 7\n", []string{"my.toml", "users.colors"}},
		"no users":     {"[users]\ncolors = []\n", []string{"users.colors"}},
	} {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "my.toml")
			if err := os.WriteFile(p, []byte(tc.body), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := themes.Load(p)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestPartialThemeKeepsDefaults(t *testing.T) {
	p := filepath.Join(t.TempDir(), "mine.toml")
	if err := os.WriteFile(p, []byte("[log]\nbackground = \"#000\"\nforeground = \"default\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	th, err := themes.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if th.Log.Background.Color != tcell.NewHexColor(0) || th.Log.Foreground.Color != tcell.ColorDefault {
		t.Fatalf("log = %+v", th.Log.Pair)
	}
	if th.Header.Background.Color != tcell.NewHexColor(0x333333) || th.Name != "mine" || th.File != p {
		t.Fatalf("defaults not kept: %+v", th)
	}
	if _, err := themes.Load("nosuch"); err == nil || !strings.Contains(err.Error(), "default") {
		t.Fatalf("unknown name error = %v", err)
	}
}
