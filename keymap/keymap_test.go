package keymap_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/rtchat/rtchat/keymap"
)

func TestCanonical(t *testing.T) {
	for in, want := range map[string]string{
		"ctrl+k": "Ctrl+K", "Ctrl+K": "Ctrl+K", "alt+a": "Alt+A", "Alt+Down": "Alt+Down", "f1": "F1",
		"shift+tab": "Shift+Tab", "alt+ctrl+x": "Ctrl+Alt+X", " Alt + . ": "Alt+.", "pagedown": "PgDn",
		"ctrl+up": "Ctrl+Up", "meta+b": "Alt+B",
	} {
		got, err := keymap.Canonical(in)
		if err != nil || got != want {
			t.Errorf("Canonical(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "k", "Hyper+K", "Ctrl+1", "Ctrl+I", "ctrl+m", "Ctrl+H", "F13", "Ctrl+", "Shift+a", "Ctrl+é"} {
		if got, err := keymap.Canonical(bad); err == nil {
			t.Errorf("Canonical(%q) = %q, want an error", bad, got)
		}
	}
}

func TestBindings(t *testing.T) {
	def, err := keymap.Bindings(nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(def["next_channel"], []string{"Ctrl+N", "Alt+Down"}) || !slices.Equal(def["quick_switch"], []string{"Ctrl+K"}) {
		t.Fatalf("defaults: %v", def)
	}
	got, err := keymap.Bindings(map[string]string{"help": "Ctrl+N, F12", "quit": "", "next_unread": "alt+u"})
	if err != nil {
		t.Fatal(err)
	}
	// A configured key leaves the default action that had it.
	if !slices.Equal(got["help"], []string{"Ctrl+N", "F12"}) || !slices.Equal(got["next_channel"], []string{"Alt+Down"}) ||
		len(got["quit"]) != 0 || !slices.Equal(got["next_unread"], []string{"Alt+U"}) {
		t.Fatalf("bindings: %v", got)
	}
	for spec, want := range map[string]string{
		"nope":                    "keys.nope: unknown action",
		"help=Enter":              "keys.help: Enter is used by the input line",
		"help=Alt+3":              "keys.help: Alt+3 is used by the input line",
		"help=zz":                 `keys.help: "zz" is not a key`,
		"help=Ctrl+X;quit=ctrl+x": "keys.quit: Ctrl+X is also given to help",
	} {
		over := map[string]string{}
		for _, kv := range strings.Split(spec, ";") {
			k, v, _ := strings.Cut(kv, "=")
			over[k] = v
		}
		if _, err := keymap.Bindings(over); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Bindings(%s) error %v, want %q", spec, err, want)
		}
	}
}

func TestMessageActionKeys(t *testing.T) {
	b, err := keymap.Bindings(map[string]string{"reply": "R, Alt+R", "jump": "g"})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(b["reply"], b["jump"], b["react"]) != "[R Alt+R] [g] [+]" {
		t.Fatalf("bindings: %v %v %v", b["reply"], b["jump"], b["react"])
	}
	// A message action's key may equal a global one: they never compete.
	if _, err := keymap.Bindings(map[string]string{"copy": "Alt+S"}); err != nil {
		t.Fatal(err)
	}
	for spec, want := range map[string]string{
		`{"reply": "j"}`:              "moves or leaves the selection",
		`{"reply": "Esc"}`:            "moves or leaves the selection",
		`{"reply": "x", "edit": "x"}`: "also given to",
		`{"help": "x"}`:               "plain character",
		`{"nonsense": "x"}`:           "unknown action",
	} {
		var o map[string]string
		if err := json.Unmarshal([]byte(spec), &o); err != nil {
			t.Fatal(err)
		}
		if _, err := keymap.Bindings(o); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", spec, err, want)
		}
	}
}
