package ui

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"
	"github.com/rtchat/rtchat/chat"
	"github.com/rtchat/rtchat/themes"
)

// argKind says what a command's argument is, for usage checks and Tab
// completion.
type argKind int

const (
	argNone     argKind = iota
	argText             // free text, required
	argChannel          // a channel name, required
	argTheme            // a theme name or file, required
	argOptional         // free text that may be left out
	argPath             // a file's path, required
)

// completions returns what Tab offers for an argument of this kind
// (free text completes user names).
func (k argKind) completions(a *App) []string {
	switch k {
	case argChannel:
		var names []string
		for n, c := range a.model.channels {
			if c.known || c.joined {
				names = append(names, strings.TrimPrefix(n, "+"))
			}
		}
		for _, u := range a.model.userNames() {
			if u != a.me && !slices.Contains(names, chat.DM(u)) {
				names = append(names, chat.DM(u))
			}
		}
		return names
	case argTheme:
		return themes.Names()
	case argText:
		return a.model.userNames()
	}
	return nil
}

// commandSpec is one slash command: the table below drives parsing, /help
// and Tab completion. run returns what went wrong; runInput shows it.
type commandSpec struct {
	name, args, help string
	arg              argKind
	run              func(a *App, arg string) error
}

// commandTable lists every command, in the order /help shows them.
func commandTable() []commandSpec {
	return []commandSpec{
		{"join", "<channel>", "join a channel (created if new) or @person, and switch to it", argChannel, cmdJoin},
		{"msg", "<person> [text]", "talk to one person directly: opens the conversation (and sends text)", argText, cmdMsg},
		{"leave", "", "unsubscribe from the current channel (its log stays on screen)", argNone, cmdLeave},
		{"channels", "", "list every channel with its members and description", argNone, cmdChannels},
		{"send", "<text>", "send text as it is (also for text starting with /)", argText, cmdSend},
		{"me", "<action>", "send an action: * you <action>", argText, cmdMe},
		{"topic", "[text]", "show the current channel's description, or set it", argOptional, cmdTopic},
		{"upload", "<path> [caption]", "send a file (Tab completes paths, ~ is your home); a picture shows in the log", argPath, cmdUpload},
		{"cancel", "", "cancel the file being sent or fetched (Esc does too)", argNone, cmdCancel},
		{"delete", "<channel>", "delete a channel you created (asks first)", argChannel, cmdDelete},
		{"theme", "<name|path>", "colours: " + strings.Join(themes.Names(), ", ") + ", or a theme file", argTheme, cmdTheme},
		{"who", "", "list the channel's members: who is online, who is away", argNone, cmdWho},
		{"notify", "<all|mentions|none|mute>", "how this channel notifies you: every message, mentions (default), nothing, or nothing and no count", argText, cmdNotify},
		{"mute", "", "mute this channel: no notifications, no unread count, dimmed in the list", argNone, cmdMute},
		{"unmute", "", "notify this channel's mentions again", argNone, cmdUnmute},
		{"highlight", "<add|del|list> [word]", "words that count as mentions (besides your name)", argText, cmdHighlight},
		{"away", "[message]", "say you are away: whoever mentions or writes to you is told", argOptional, cmdAway},
		{"back", "", "say you are back", argNone, cmdBack},
		{"dnd", "[duration|off]", "do not disturb: hold notifications for a duration (default 1h)", argOptional, cmdDND},
		{"pin", "", "pin this channel to the top of the list", argNone, cmdPin},
		{"unpin", "", "unpin this channel", argNone, cmdUnpin},
		{"mentions", "", "your mentions inbox: others' @mentions, direct messages, replies and reactions, newest first (also Alt+M); Enter opens one", argNone, cmdMentions},
		{"threads", "", "the threads you are in, the most recent reply first, with what is new (also Alt+T); Enter opens one", argNone, cmdThreads},
		{"search", "<query>", "search every conversation, newest first: words, \"a phrase\", from:NAME, in:#CHANNEL, before:/after:/on:DATE, has:link, has:file, is:thread; Enter opens a hit; your local archive first, and alone when Redis is down", argText, cmdSearch},
		{"whoami", "", "show your user name and the server", argNone, cmdWhoami},
		{"log", "", "show where the application log is", argNone, cmdLog},
		{"help", "", "show every command and key (also F1; Esc closes)", argNone, cmdHelp},
		{"quit", "", "leave rtchat (asks first if messages are unsent)", argNone, cmdQuit},
	}
}

// Commands returns the names of every slash command, in /help's order.
func Commands() []string {
	var names []string
	for _, c := range commandTable() {
		names = append(names, c.name)
	}
	return names
}

// parsed is one line of input, understood: a message to send, or a
// command with its argument, or a usage error to show.
type parsed struct {
	message string       // text to send when cmd is nil and problem is ""
	cmd     *commandSpec // the command, if the line is one
	arg     string
	problem string // what is wrong and what to type instead
	// unknown is a command rtchat does not have ("/deploy"): maybe the
	// server's (problem says what to do if not).
	unknown string
}

// parseInput understands one line of input. It never fails: bad usage
// comes back as a problem to show.
func parseInput(text string) parsed {
	if !strings.HasPrefix(text, "/") || strings.HasPrefix(text, "//") {
		return parsed{message: strings.TrimPrefix(text, "/")}
	}
	name, arg, _ := strings.Cut(strings.TrimPrefix(text, "/"), " ")
	arg = strings.TrimSpace(arg)
	for _, c := range commandTable() {
		if c.name != name {
			continue
		}
		switch {
		case c.arg == argNone && arg != "":
			return parsed{problem: fmt.Sprintf("/%s takes no argument; type /%s", c.name, c.name)}
		case c.arg != argNone && c.arg != argOptional && arg == "":
			return parsed{problem: fmt.Sprintf("/%s needs %s; type /%s %s", c.name, c.args, c.name, c.args)}
		case c.arg == argChannel && strings.ContainsAny(arg, " \n\t"):
			return parsed{problem: fmt.Sprintf("/%s takes one channel name; type /%s %s", c.name, c.name, c.args)}
		}
		return parsed{cmd: &c, arg: arg}
	}
	return parsed{unknown: "/" + name, arg: arg,
		problem: fmt.Sprintf("unknown command /%s; type /help for the list (start with // to send text beginning with /)", name)}
}

// runInput handles one line of input: a command or a message, and shows
// what went wrong in one red line. It reports false when a message could
// not be sent as it is (too long, not subscribed), so the input keeps it
// for mending; a command's error clears the line, as the red line says
// what to type.
func (a *App) runInput(text string) bool {
	if strings.TrimSpace(text) == "" {
		return true
	}
	if path, size, ok := droppedPath(text); ok && a.model.current != "" {
		// A terminal pastes a file dropped on it as its path: offer to
		// send the file; "No" keeps the text in the input (/send sends it).
		nb := func(s string) string { return strings.ReplaceAll(s, " ", "\u00a0") } // kept on one row
		a.confirm(fmt.Sprintf("Send the file %s (%s) to %s? No keeps the text in the input.",
			sanitize(filepath.Base(path)), nb(chat.FormatBytes(size)), chat.Display(a.model.current)), func() {
			a.input.SetText("", false)
			if err := cmdUpload(a, path); err != nil {
				a.errorLine("%v", err)
			}
		})
		return false
	}
	p := parseInput(text)
	if p.unknown != "" && chat.ValidateCommand(p.unknown) == nil {
		if _, known, unsure := a.serverCommand(p.unknown); known || unsure {
			if err := a.runServerCommand(p.unknown, p.arg); err != nil {
				a.errorLine("%v", err)
			}
			return true
		}
	}
	switch {
	case p.problem != "":
		a.errorLine("%s", p.problem)
		return true
	case p.cmd != nil:
		if err := p.cmd.run(a, p.arg); err != nil {
			a.errorLine("%v", err)
		}
		return true
	}
	if err := a.send(p.message, chat.KindText); err != nil {
		a.errorLine("%v", err)
		return false
	}
	return true
}

// droppedPath reports whether text is the path of a file (as a terminal
// pastes a file dropped on it: maybe quoted, with "\ " for spaces, or a
// file:// URL), and the path and size of it.
func droppedPath(text string) (string, int64, bool) {
	t := strings.TrimSpace(text)
	if len(t) >= 2 && (t[0] == '\'' || t[0] == '"') && t[len(t)-1] == t[0] {
		t = t[1 : len(t)-1]
	} else {
		t = strings.ReplaceAll(t, "\\ ", " ")
	}
	if rest, ok := strings.CutPrefix(t, "file://"); ok {
		u, err := url.PathUnescape(rest)
		if err != nil {
			return "", 0, false
		}
		t = u
	}
	if strings.ContainsAny(t, "\n\r") || !(strings.HasPrefix(t, "/") || strings.HasPrefix(t, "~/")) {
		return "", 0, false
	}
	t = chat.ExpandHome(t)
	st, err := os.Stat(t)
	if err != nil || !st.Mode().IsRegular() {
		return "", 0, false
	}
	return t, st.Size(), true
}

func cmdJoin(a *App, arg string) error { return a.join(arg) }

func cmdMsg(a *App, arg string) error {
	peer, text, _ := strings.Cut(arg, " ")
	peer = strings.TrimPrefix(peer, "@")
	if chat.ValidateName(peer) != nil {
		return fmt.Errorf("%q is not a user name; type /msg NAME [text]", peer)
	}
	conv := chat.DM(peer)
	send := func() {
		if text = strings.TrimSpace(text); text != "" {
			if err := a.send(text, chat.KindText); err != nil {
				a.errorLine("%v", err)
			}
		}
	}
	if c := a.model.channels[conv]; c != nil && c.joined {
		a.switchTo(conv)
		send()
		return nil
	}
	return a.join(conv, send)
}

func cmdLeave(a *App, _ string) error { return a.leave() }

func cmdChannels(a *App, _ string) error {
	var list []chat.Channel
	a.try("list channels", func(ctx context.Context) (err error) {
		list, err = a.be.ListChannels(ctx)
		if list != nil && err != nil {
			a.Notify("%v", err) // some channels were skipped
			err = nil
		}
		return err
	}, func() {
		if len(list) == 0 {
			a.systemLine("no channels yet; type /join NAME to create one")
			return
		}
		a.systemLine("%d channel%s:", len(list), plural(len(list)))
		for _, ch := range list {
			mark := " "
			if c := a.model.channels[ch.Name]; c != nil && c.joined {
				mark = "●"
			}
			text := fmt.Sprintf("%s %s — %d member%s", mark, chat.Display(ch.Name), ch.Members, plural(int(ch.Members)))
			if ch.Description != "" {
				text += ": " + ch.Description
			}
			a.systemLine("%s", text)
		}
	})
	return nil
}

func cmdSend(a *App, arg string) error { return a.send(arg, chat.KindText) }
func cmdMe(a *App, arg string) error   { return a.send(arg, chat.KindAction) }

func cmdTopic(a *App, arg string) error {
	c := a.model.shown()
	if c == nil {
		return errNoChannel
	}
	if strings.TrimSpace(arg) == "" {
		if c.info.Description == "" {
			a.systemLine("%s has no topic; type /topic TEXT to set one", chat.Display(c.name))
		} else {
			a.systemLine("topic of %s: %s", chat.Display(c.name), c.info.Description)
		}
		return nil
	}
	a.try("set the topic of "+chat.Display(c.name), func(ctx context.Context) error { return a.be.SetTopic(ctx, c.name, arg) }, func() {
		c.info.Description = arg
		a.systemLine("topic of %s: %s", chat.Display(c.name), arg)
		a.refreshBars()
	})
	return nil
}

func cmdDelete(a *App, arg string) error {
	name := strings.TrimPrefix(arg, "#")
	if err := chat.ValidateName(name); err != nil {
		return fmt.Errorf("%q is not a valid channel name; type /delete NAME", name)
	}
	if c := a.model.channels[name]; c != nil && c.known && c.info.CreatedBy != "" && c.info.CreatedBy != a.me {
		return fmt.Errorf("only %s, who created #%s, can delete it", c.info.CreatedBy, name)
	}
	a.confirm(fmt.Sprintf("Delete #%s and all its messages for everyone?", name), func() {
		a.try("delete #"+name, func(ctx context.Context) error { return a.be.DeleteChannel(ctx, name) }, func() {
			if c := a.model.channels[name]; c != nil {
				c.joined, c.known = false, false
			}
			a.systemLine("deleted #%s", name)
			a.refresh()
		})
	})
	return nil
}

func cmdTheme(a *App, arg string) error {
	t, err := themes.Load(arg)
	if err != nil {
		return err
	}
	a.applyTheme(t)
	a.systemLine("theme %s", t.Name)
	return nil
}

func cmdWhoami(a *App, _ string) error {
	mode := ""
	if a.opts.Embedded {
		mode = " (embedded, in memory)"
	}
	a.systemLine("you are %s on %s%s", a.me, a.opts.Server, mode)
	if a.opts.Accounts {
		a.systemLine("accounts: you are signed in as the account %s; Redis enforces who may read your direct messages and private channels, and only you may register your signing keys", a.me)
	} else {
		a.systemLine("accounts: none — anyone with this server's password can post under any name and read direct messages; signatures still mark what your window cannot trust (⚠)")
	}
	return nil
}

func cmdLog(a *App, _ string) error {
	a.systemLine("application log: %s", a.opts.LogFile)
	return nil
}

func cmdHelp(a *App, _ string) error {
	showHelp(a)
	return nil
}

func cmdQuit(a *App, _ string) error {
	if n := a.model.pendingCount(); n > 0 {
		a.confirm(fmt.Sprintf("%d message%s not sent yet. Quit anyway and lose %s?", n, plural(n), map[bool]string{true: "it", false: "them"}[n == 1]), a.quit)
		return nil
	}
	a.quit()
	return nil
}

// confirm asks a yes/no question in a dialog, in the theme's colours, and
// runs yes on Yes; y answers Yes, n and Esc No.
func (a *App) confirm(question string, yes func()) {
	bg, fg, _ := a.st.header.Decompose()
	sel, selFg, _ := a.st.channelSel.Decompose()
	modal := tview.NewModal().SetText(escape(question)).AddButtons([]string{"No (n)", "Yes (y)"}).
		SetBackgroundColor(bg).SetTextColor(fg).
		SetButtonBackgroundColor(bg).SetButtonTextColor(fg).
		SetButtonActivatedStyle(tcell.StyleDefault.Background(sel).Foreground(selFg))
	answer := func(ok bool) {
		a.pages.RemovePage("confirm")
		a.app.SetFocus(a.input)
		if ok {
			yes()
		}
	}
	modal.SetDoneFunc(func(i int, _ string) { answer(i == 1) })
	modal.SetInputCapture(func(ev *tcell.EventKey) *tcell.EventKey {
		switch {
		case ev.Key() == tcell.KeyRune && (ev.Rune() == 'y' || ev.Rune() == 'Y'):
			answer(true)
		case ev.Key() == tcell.KeyRune && (ev.Rune() == 'n' || ev.Rune() == 'N'):
			answer(false)
		default:
			return ev
		}
		return nil
	})
	a.pages.AddPage("confirm", modal, true, true)
	a.app.SetFocus(modal)
}

// userNames returns everyone the window knows of, sorted: authors, the
// members of every conversation, the people of direct conversations and
// who is online.
func (m *model) userNames() []string {
	users := map[string]bool{}
	for u := range m.authors {
		users[u] = true
	}
	for u := range m.online {
		users[u] = true
	}
	for name, c := range m.channels {
		for _, u := range c.members {
			users[u] = true
		}
		if p, dm := chat.PeerOf(name); dm {
			users[p] = true
		}
	}
	out := make([]string, 0, len(users))
	for u := range users {
		out = append(out, u)
	}
	slices.Sort(out)
	return out
}

// completions returns the candidates for the word being typed in text:
// command names, then whatever the command's argument kind offers (a
// message completes user names, "name: " at the start of a line).
func (a *App) completions(text string) (prefix string, cands []string) {
	if !strings.Contains(text, " ") && strings.HasPrefix(text, "/") {
		for _, c := range commandTable() {
			cands = append(cands, "/"+c.name+" ")
		}
		for _, c := range a.servers.list {
			cands = append(cands, c.Name+" ")
		}
		return "", filterPrefix(cands, text)
	}
	cut := strings.LastIndexAny(text, " \n") + 1
	prefix, word := text[:cut], text[cut:]
	if len(word) > 1 && word[0] == ':' && !strings.HasPrefix(text, "/") {
		// :shortcode: → the emoji (the names reactions take).
		for _, code := range chat.Shortcodes(word) {
			if e, ok := chat.Emoji(code); ok && !slices.Contains(cands, e) {
				cands = append(cands, e)
			}
		}
		return prefix, cands
	}
	kind, suffix := argText, " "
	if name, _, isCmd := strings.Cut(text, " "); strings.HasPrefix(text, "/") && isCmd {
		for _, c := range commandTable() {
			if "/"+c.name == name {
				kind = c.arg
			}
		}
	} else if prefix == "" {
		suffix = ": "
	}
	if kind == argPath {
		return prefix, pathCompletions(word)
	}
	for _, c := range kind.completions(a) {
		if kind == argText {
			c += suffix
		}
		cands = append(cands, c)
	}
	sort.Strings(cands)
	if kind == argChannel {
		return prefix, filterPrefix(cands, word)
	}
	return prefix, filterPrefix(cands, strings.TrimPrefix(word, "@"))
}

func filterPrefix(cands []string, p string) []string {
	var out []string
	for _, c := range cands {
		if strings.HasPrefix(c, p) && c != p {
			out = append(out, c)
		}
	}
	return out
}
