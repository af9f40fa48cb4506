package ui

import (
	"fmt"
	"slices"
	"strings"

	"github.com/gdamore/tcell/v2"
	"github.com/rtchat/rtchat/keymap"
)

// keyName returns the canonical name of a key event, spelled as package
// keymap spells configured keys ("Ctrl+K", "Alt+A", "Alt+Down", "F1",
// "Shift+Tab"), or "" for a plain character being typed.
func keyName(ev *tcell.EventKey) string {
	mods := ev.Modifiers()
	var b strings.Builder
	k := ev.Key()
	switch {
	case k == tcell.KeyRune:
		if mods&tcell.ModAlt == 0 {
			return ""
		}
		if mods&tcell.ModCtrl != 0 {
			b.WriteString("Ctrl+")
		}
		b.WriteString("Alt+")
		b.WriteString(strings.ToUpper(string(ev.Rune())))
		return b.String()
	case k == tcell.KeyBacktab:
		return "Shift+Tab"
	case k >= tcell.KeyCtrlA && k <= tcell.KeyCtrlZ && k != tcell.KeyBackspace && k != tcell.KeyTab && k != tcell.KeyEnter:
		b.WriteString("Ctrl+")
		if mods&tcell.ModAlt != 0 {
			b.WriteString("Alt+")
		}
		b.WriteByte(byte('A' + k - tcell.KeyCtrlA))
		return b.String()
	}
	name, ok := keyNames[k]
	if !ok {
		return ""
	}
	if mods&tcell.ModCtrl != 0 {
		b.WriteString("Ctrl+")
	}
	if mods&tcell.ModAlt != 0 {
		b.WriteString("Alt+")
	}
	if mods&tcell.ModShift != 0 {
		b.WriteString("Shift+")
	}
	b.WriteString(name)
	return b.String()
}

var keyNames = map[tcell.Key]string{
	tcell.KeyUp: "Up", tcell.KeyDown: "Down", tcell.KeyLeft: "Left", tcell.KeyRight: "Right",
	tcell.KeyPgUp: "PgUp", tcell.KeyPgDn: "PgDn", tcell.KeyHome: "Home", tcell.KeyEnd: "End",
	tcell.KeyInsert: "Insert", tcell.KeyDelete: "Delete", tcell.KeyEscape: "Esc", tcell.KeyTab: "Tab",
	tcell.KeyEnter: "Enter", tcell.KeyBackspace: "Backspace", tcell.KeyBackspace2: "Backspace",
	tcell.KeyF1: "F1", tcell.KeyF2: "F2", tcell.KeyF3: "F3", tcell.KeyF4: "F4", tcell.KeyF5: "F5",
	tcell.KeyF6: "F6", tcell.KeyF7: "F7", tcell.KeyF8: "F8", tcell.KeyF9: "F9", tcell.KeyF10: "F10",
	tcell.KeyF11: "F11", tcell.KeyF12: "F12",
}

// bindKeys turns action → keys into the lookup the key handler uses: of
// the message actions (message set) or of the others.
func bindKeys(bindings map[string][]string, message bool) map[string]string {
	if bindings == nil {
		bindings, _ = keymap.Bindings(nil)
	}
	isMessage := map[string]bool{}
	for _, a := range keymap.MessageActions {
		isMessage[a.Name] = true
	}
	out := map[string]string{}
	for action, keys := range bindings {
		if isMessage[action] != message {
			continue
		}
		for _, k := range keys {
			out[k] = action
		}
	}
	return out
}

// actionHandlers says what each configurable action does; a test checks
// that every action of package keymap has one.
func actionHandlers() map[string]func(a *App) {
	return map[string]func(a *App){
		keymap.Help:        showHelp,
		keymap.QuickSwitch: showSwitcher,
		keymap.NextUnread:  (*App).nextUnread,
		keymap.MarkAllRead: func(a *App) { a.marks.markAllRead() },
		keymap.JumpNew:     func(a *App) { a.marks.jumpNew() },
		keymap.NextChannel: func(a *App) { a.cycle(1) },
		keymap.PrevChannel: func(a *App) { a.cycle(-1) },
		keymap.ChannelList: toggleList,
		keymap.Sidebar:     func(a *App) { a.sidebarFlipped = !a.sidebarFlipped },
		keymap.Members:     func(a *App) { a.members.toggle() },
		keymap.Threads:     func(a *App) { a.threads.showThreads() },
		keymap.Mentions:    func(a *App) { a.showMentions() },
		keymap.PageUp:      func(a *App) { a.logv.PageUp() },
		keymap.PageDown:    func(a *App) { a.logv.PageDown() },
		keymap.Select:      func(a *App) { a.sel.startSelect() },
		keymap.Editor:      func(a *App) { a.comp.runEditor() },
		keymap.Quit:        func(a *App) { _ = cmdQuit(a, "") },
	}
}

// toggleList moves the focus between the channel list and the input.
func toggleList(a *App) {
	if a.list.HasFocus() {
		a.app.SetFocus(a.input)
		return
	}
	if a.middle != nil && a.listShown == 0 {
		a.sidebarFlipped = !a.sidebarFlipped // a hidden list shows itself
	}
	a.app.SetFocus(a.list)
}

// globalKey handles keys that work wherever the focus is: the configured
// actions, and Alt+1…9. A dialog or an overlay gets every other key.
func (a *App) globalKey(ev *tcell.EventKey) *tcell.EventKey {
	action := a.keys[keyName(ev)]
	switch {
	case a.pages.HasPage("confirm"):
		if action == keymap.Quit {
			a.quit()
			return nil
		}
		return ev
	case a.overlay != nil:
		if action == keymap.Quit {
			a.closeOverlay()
			_ = cmdQuit(a, "")
			return nil
		}
		return ev
	}
	if a.sel.selectionKey(ev) {
		return nil
	}
	if run, ok := a.actions[action]; ok {
		run(a)
		return nil
	}
	if ev.Key() == tcell.KeyRune && ev.Modifiers()&tcell.ModAlt != 0 && ev.Rune() >= '1' && ev.Rune() <= '9' {
		a.jump(int(ev.Rune() - '0'))
		return nil
	}
	if ev.Key() == tcell.KeyCtrlC {
		// Unbound from quit: tview would stop the window without asking.
		return nil
	}
	return ev
}

// helpRows lists every command of the command table and every key, with
// the keys bound now.
func (a *App) helpRows() []overlayRow {
	sections := helpSections(a.bindings)
	if sec, ok := a.serverCommandsHelp(); ok {
		sections = slices.Insert(sections, 0, sec) // first: what is this server's own
	}
	left := 0
	for _, sec := range sections {
		for _, it := range sec.items {
			left = max(left, textWidth(it[0]))
		}
	}
	left = min(left, 24)
	var rows []overlayRow
	for i, sec := range sections {
		if i > 0 {
			rows = append(rows, overlayRow{style: a.st.log.base}) // the log's colours, not the terminal's
		}
		rows = append(rows, overlayRow{text: sec.title, style: a.st.log.system.Bold(true)})
		for _, it := range sec.items {
			pad := strings.Repeat(" ", max(left-textWidth(it[0]), 0))
			rows = append(rows, overlayRow{text: "  " + it[0] + pad + "  " + it[1], style: a.st.log.base, indent: left + 4})
		}
	}
	return rows
}

// helpSection is one part of the help: commands, keys, input keys; for
// configurable keys, actions names each item's [keys] action.
type helpSection struct {
	title   string
	items   [][2]string
	actions []string
}

// helpSections builds the help from the command table and the key map;
// the overlay and the README (HelpMarkdown) both show it.
func helpSections(bindings map[string][]string) []helpSection {
	if bindings == nil {
		bindings, _ = keymap.Bindings(nil)
	}
	cmds := helpSection{title: "Commands"}
	for _, c := range commandTable() {
		cmds.items = append(cmds.items, [2]string{strings.TrimSpace("/" + c.name + " " + c.args), c.help})
	}
	cmds.items = append(cmds.items, [2]string{"TEXT", "sent to the current channel (//TEXT sends /TEXT)"})
	keys := helpSection{title: "Keys (rebind them in the config file's [keys] table)"}
	message := helpSection{title: "On a selected message (select one with " + strings.Join(bindings[keymap.Select], ", ") + " or a click; Up/Down or j/k move, Esc leaves)"}
	for _, s := range []struct {
		sec  *helpSection
		acts []keymap.Action
	}{{&keys, keymap.Actions}, {&message, keymap.MessageActions}} {
		for _, act := range s.acts {
			bound := strings.Join(bindings[act.Name], ", ")
			if bound == "" {
				bound = "(unbound)"
			}
			s.sec.items = append(s.sec.items, [2]string{bound, act.Help})
			s.sec.actions = append(s.sec.actions, act.Name)
		}
	}
	input := helpSection{title: "Input keys"}
	input.items = append(input.items, keymap.Fixed...)
	return []helpSection{cmds, keys, message, input}
}

// HelpMarkdown is the help as the README shows it: a table per section,
// with the default keys when bindings is nil, and each key's action name
// for the config file.
func HelpMarkdown(bindings map[string][]string) string {
	var b strings.Builder
	for i, sec := range helpSections(bindings) {
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "**%s**\n\n", sec.title)
		if sec.actions != nil {
			b.WriteString("| key | does | `[keys]` action |\n|---|---|---|\n")
			for k, it := range sec.items {
				fmt.Fprintf(&b, "| `%s` | %s | `%s` |\n", strings.ReplaceAll(it[0], "|", "\\|"), mdCell(it[1]), sec.actions[k])
			}
			continue
		}
		b.WriteString("| | |\n|---|---|\n")
		for _, it := range sec.items {
			fmt.Fprintf(&b, "| `%s` | %s |\n", strings.ReplaceAll(it[0], "|", "\\|"), mdCell(it[1]))
		}
	}
	return b.String()
}

// mdCell makes text safe in a Markdown table cell.
func mdCell(s string) string {
	return strings.NewReplacer("|", "\\|", "<", "&lt;", "*", "\\*", "_", "\\_").Replace(s)
}

// showHelp opens the help overlay; Esc closes it.
func showHelp(a *App) {
	o := newOverlay(a.st, "help · Esc closes")
	o.setRows(a.helpRows())
	o.footer = "Up/Down, PgUp/PgDn scroll · Esc closes"
	a.showOverlay(o)
}
