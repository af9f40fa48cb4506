// Package keymap names the full-screen client's configurable actions, their
// default keys, and the way keys are written in the config file ("Ctrl+K",
// "Alt+A", "F1", "Shift+Tab", "Alt+Down"). It knows no terminal library: the
// ui package turns key events into the same canonical names.
package keymap

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Action is one thing a key can do.
type Action struct {
	// Name is the action's key in the config file's [keys] table.
	Name string
	// Default is the keys bound to it unless configured, comma-separated.
	Default string
	// Help says what it does, for the help overlay and the README.
	Help string
}

// The actions' names, as the config file's [keys] table writes them.
const (
	Help        = "help"
	QuickSwitch = "quick_switch"
	NextUnread  = "next_unread"
	NextChannel = "next_channel"
	PrevChannel = "prev_channel"
	ChannelList = "channel_list"
	PageUp      = "page_up"
	PageDown    = "page_down"
	Quit        = "quit"
	Select      = "select_message"
	Editor      = "editor"
	MarkAllRead = "mark_all_read"
	JumpNew     = "jump_new"
	Sidebar     = "toggle_sidebar"
	Members     = "member_list"
	Threads     = "threads"
	Mentions    = "mentions"
)

// The message actions' names (see MessageActions).
const (
	Reply    = "reply"
	Thread   = "thread"
	Edit     = "edit"
	Delete   = "delete"
	React    = "react"
	Copy     = "copy"
	OpenLink = "open_link"
	CopyLink = "copy_link"
	Jump     = "jump"
	SaveFile = "save_file"
	ViewFile = "view_file"
)

// Actions lists every configurable action, in the order help shows them.
var Actions = []Action{
	{Help, "F1", "show every key and command"},
	{QuickSwitch, "Ctrl+K", "quick switcher: type to filter channels and people, Enter opens, Esc closes"},
	{NextUnread, "Alt+A", "next channel with unread messages, mentions first"},
	{Mentions, "Alt+M", "your mentions inbox: others' @mentions, direct messages, replies and reactions, newest first; Enter opens one"},
	{MarkAllRead, "Shift+Esc, Alt+R", "mark every conversation read"},
	{JumpNew, "Alt+N", "scroll to the \"new since you were here\" line"},
	{Threads, "Alt+T", "the threads you are in, the most recent reply first, with what is new; Enter opens one"},
	{NextChannel, "Ctrl+N, Alt+Down", "next joined channel"},
	{PrevChannel, "Ctrl+P, Alt+Up", "previous joined channel"},
	{ChannelList, "F2, Shift+Tab", "move to the channel list (Up/Down, Enter; Esc back)"},
	{Sidebar, "F3", "hide or show the channel list (it hides itself in a window under 60 columns)"},
	{Members, "F4", "show or hide the members of the conversation beside the log (● online, ◐ away, ○ offline)"},
	{PageUp, "PgUp", "scroll the log up (past the top loads older messages)"},
	{PageDown, "PgDn", "scroll the log down (at the bottom: live again)"},
	{Select, "Alt+S", "select a message (also: click it) to act on it; Up/Down or j/k move, Esc leaves"},
	{Editor, "Alt+E", "write the message in $EDITOR; it comes back into the input, unsent"},
	{Quit, "Ctrl+C", "quit (asks first if messages are unsent)"},
}

// MessageActions act on the message selected in the log. Their keys work
// only while a message is selected, so plain characters may be theirs
// (Up, Down, j, k and Esc move and leave).
var MessageActions = []Action{
	{Reply, "r", "reply: your next message quotes it"},
	{Thread, "t", "open its thread beside the log (reply there; Esc closes)"},
	{Edit, "e", "edit it (your own)"},
	{Delete, "d", "delete it (your own; asks first)"},
	{React, "+", "react with an emoji or :shortcode: (again: take it back)"},
	{Copy, "c", "copy its text (OSC 52: works over SSH, and in tmux with set-clipboard on)"},
	{OpenLink, "o", "open its file with the desktop's opener, else its first link in the browser"},
	{SaveFile, "s", "save its file in the download folder (never over another file)"},
	{ViewFile, "v", "show its text file in a pager (the first 64 KiB)"},
	{CopyLink, "l", "copy its first link"},
	{Jump, "Enter, g", "go to the message it answers"},
}

// selectionKeys are the fixed keys of message selection.
var selectionKeys = map[string]bool{"Up": true, "Down": true, "j": true, "k": true, "Esc": true}

// Fixed lists the keys of the input line, which cannot be rebound.
var Fixed = [][2]string{
	{"Enter", "send the message or run the command"},
	{"Alt+Enter, Shift+Enter", "new line in the message (also under tmux)"},
	{"Up", "on an empty input: edit your last message; again: earlier inputs"},
	{"Up / Down", "recall earlier inputs"},
	{"s/old/new/", "correct your last message (s/old/new/g: every time); /send sends it as it is"},
	{"Tab", "complete a command, channel, user name or :emoji:"},
	{"Home / End", "top of the log / back to live (when the input is empty)"},
	{"Alt+1 … Alt+9", "open the nth channel of the list"},
	{"Esc", "close the help, switcher or search; cancel a reply, edit or reaction; close a thread"},
	{"Mouse", "click a channel or a message, wheel scrolls; Shift+drag selects text"},
}

// reserved are canonical keys the input line needs.
var reserved = reservedKeys()

func reservedKeys() map[string]bool {
	r := map[string]bool{}
	for _, k := range []string{"Enter", "Alt+Enter", "Shift+Enter", "Tab", "Up", "Down", "Left", "Right",
		"Home", "End", "Backspace", "Delete", "Esc"} {
		r[k] = true
	}
	for i := '1'; i <= '9'; i++ {
		r["Alt+"+string(i)] = true
	}
	return r
}

// named maps the lower-case spellings of keys written by name to their
// canonical spelling.
var named = namedKeys()

func namedKeys() map[string]string {
	n := map[string]string{"pageup": "PgUp", "pagedown": "PgDn", "escape": "Esc", "return": "Enter", "del": "Delete"}
	for _, k := range []string{"Up", "Down", "Left", "Right", "PgUp", "PgDn", "Home", "End", "Insert",
		"Delete", "Esc", "Tab", "Enter", "Backspace"} {
		n[strings.ToLower(k)] = k
	}
	for i := 1; i <= 12; i++ {
		n[fmt.Sprintf("f%d", i)] = fmt.Sprintf("F%d", i)
	}
	return n
}

// Canonical parses one key as written in the config file and returns its
// canonical name: modifiers in the order Ctrl, Alt, Shift, then the key
// ("ctrl+k" → "Ctrl+K", "alt+down" → "Alt+Down", "shift+tab" → "Shift+Tab").
func Canonical(spec string) (string, error) {
	parts := strings.Split(strings.TrimSpace(spec), "+")
	if len(parts) == 0 || strings.TrimSpace(parts[len(parts)-1]) == "" {
		return "", fmt.Errorf("%q is not a key; write e.g. Ctrl+K, Alt+A, F1 or Shift+Tab", spec)
	}
	var ctrl, alt, shift bool
	for _, m := range parts[:len(parts)-1] {
		switch strings.ToLower(strings.TrimSpace(m)) {
		case "ctrl", "control", "c":
			ctrl = true
		case "alt", "meta", "m":
			alt = true
		case "shift", "s":
			shift = true
		default:
			return "", fmt.Errorf("%q is not a key: %q is not Ctrl, Alt or Shift", spec, m)
		}
	}
	key := strings.TrimSpace(parts[len(parts)-1])
	var name string
	switch r := []rune(key); {
	case named[strings.ToLower(key)] != "":
		name = named[strings.ToLower(key)]
	case len(r) == 1 && r[0] >= 'a' && r[0] <= 'z', len(r) == 1 && r[0] >= 'A' && r[0] <= 'Z':
		name = strings.ToUpper(key)
	case len(r) == 1 && r[0] > ' ' && r[0] < 0x7f:
		name = key
	default:
		return "", fmt.Errorf("%q is not a key; write e.g. Ctrl+K, Alt+A, F1 or Shift+Tab", spec)
	}
	single := len(name) == 1
	switch {
	case single && !ctrl && !alt:
		return "", fmt.Errorf("%q is a plain character, which the input needs; add Ctrl+ or Alt+", spec)
	case single && ctrl && (name < "A" || name > "Z"):
		return "", fmt.Errorf("%q: a terminal sends Ctrl only with a letter; use Alt+%s", spec, name)
	case single && ctrl && strings.Contains("HIM", name):
		return "", fmt.Errorf("%q is the same key as %s in a terminal; choose another letter", spec, map[string]string{"H": "Backspace", "I": "Tab", "M": "Enter"}[name])
	case single && shift:
		return "", fmt.Errorf("%q: write the character itself instead of Shift+", spec)
	case name == "Tab" && shift && !ctrl && !alt:
		return "Shift+Tab", nil
	}
	var b strings.Builder
	if ctrl {
		b.WriteString("Ctrl+")
	}
	if alt {
		b.WriteString("Alt+")
	}
	if shift {
		b.WriteString("Shift+")
	}
	b.WriteString(name)
	return b.String(), nil
}

// Bindings returns every action's canonical keys (MessageActions' too):
// the defaults, with the actions in overrides (action → comma-separated
// keys; "" unbinds) replaced. A key given in overrides leaves any default
// action that had it. The error names the action and says what is wrong:
// an unknown action, a key that does not parse or that the input line (or
// message selection) needs, or one key given to two actions of the same
// kind.
func Bindings(overrides map[string]string) (map[string][]string, error) {
	message := map[string]bool{}
	known := map[string]bool{}
	for _, a := range Actions {
		known[a.Name] = true
	}
	for _, a := range MessageActions {
		known[a.Name], message[a.Name] = true, true
	}
	var names []string
	for n := range overrides {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if !known[n] {
			return nil, fmt.Errorf("keys.%s: unknown action; the actions are %s", n, actionNames())
		}
	}
	out := map[string][]string{}
	// The configured keys first: they win over defaults. Global actions
	// and message actions have keys of their own.
	owner := map[string]string{}
	ownerKey := func(n, k string) string { return fmt.Sprint(message[n], k) }
	for _, n := range names {
		keys, err := parseList(n, overrides[n], message[n])
		if err != nil {
			return nil, err
		}
		for _, k := range keys {
			if o, dup := owner[ownerKey(n, k)]; dup && o != n {
				return nil, fmt.Errorf("keys.%s: %s is also given to %s; choose one", n, k, o)
			}
			owner[ownerKey(n, k)] = n
		}
		out[n] = keys
	}
	for _, a := range append(slices.Clone(Actions), MessageActions...) {
		if _, set := overrides[a.Name]; set {
			continue
		}
		keys, err := parseList(a.Name, a.Default, message[a.Name])
		if err != nil {
			return nil, err
		}
		for _, k := range keys {
			if _, taken := owner[ownerKey(a.Name, k)]; !taken {
				owner[ownerKey(a.Name, k)] = a.Name
				out[a.Name] = append(out[a.Name], k)
			}
		}
	}
	return out, nil
}

// parseList parses an action's comma-separated keys; a message action may
// have plain characters.
func parseList(action, spec string, message bool) ([]string, error) {
	var keys []string
	for _, s := range strings.Split(spec, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		var k string
		var err error
		if r := []rune(s); message && len(r) == 1 && r[0] > ' ' && r[0] != 0x7f {
			k = s // a plain character (comma-separated lists cannot give ",")
		} else {
			k, err = Canonical(s)
		}
		switch {
		case err != nil:
			return nil, fmt.Errorf("keys.%s: %w", action, err)
		case message && selectionKeys[k]:
			return nil, fmt.Errorf("keys.%s: %s moves or leaves the selection; choose another key", action, k)
		case !message && reserved[k]:
			return nil, fmt.Errorf("keys.%s: %s is used by the input line; choose another key", action, k)
		}
		keys = append(keys, k)
	}
	return keys, nil
}

func actionNames() string {
	var names []string
	for _, a := range append(slices.Clone(Actions), MessageActions...) {
		names = append(names, a.Name)
	}
	return strings.Join(names, ", ")
}
