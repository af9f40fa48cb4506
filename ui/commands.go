package ui

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/rivo/tview"
	"github.com/rtchat/rtchat/chat"
	"github.com/rtchat/rtchat/themes"
)

// argKind says what a command's argument is, for usage checks and Tab
// completion.
type argKind int

const (
	argNone    argKind = iota
	argText            // free text, required
	argChannel         // a channel name, required
	argOptChannel
	argTheme
)

// commandSpec is one slash command: the table below drives parsing, /help
// and Tab completion.
type commandSpec struct {
	name, args, help string
	arg              argKind
	run              func(a *App, arg string)
}

// commandTable lists every command, in the order /help shows them.
func commandTable() []commandSpec {
	return []commandSpec{
		{"join", "<channel>", "join a channel (created if new) and switch to it", argChannel, (*App).cmdJoin},
		{"leave", "", "unsubscribe from the current channel (its log stays on screen)", argNone, (*App).cmdLeave},
		{"channels", "", "list every channel with its members and description", argNone, (*App).cmdChannels},
		{"send", "<text>", "send text as it is (also for text starting with /)", argText, (*App).cmdSend},
		{"me", "<action>", "send an action: * you <action>", argText, (*App).cmdMe},
		{"topic", "<text>", "set the current channel's description", argText, (*App).cmdTopic},
		{"delete", "<channel>", "delete a channel you created (asks first)", argChannel, (*App).cmdDelete},
		{"theme", "<name|path>", "colours: " + strings.Join(themes.Names(), ", ") + ", or a theme file", argTheme, (*App).cmdTheme},
		{"who", "", "list the channel's members: who is online, who is away", argNone, (*App).cmdWho},
		{"search", "<text>", "search this channel's history, newest first; Enter: in context", argText, (*App).cmdSearch},
		{"whoami", "", "show your user name and the server", argNone, (*App).cmdWhoami},
		{"log", "", "show where the application log is", argNone, (*App).cmdLog},
		{"help", "", "show every command and key (also F1; Esc closes)", argNone, (*App).cmdHelp},
		{"quit", "", "leave rtchat (asks first if messages are unsent)", argNone, (*App).cmdQuit},
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
		case (c.arg == argText || c.arg == argChannel || c.arg == argTheme) && arg == "":
			return parsed{problem: fmt.Sprintf("/%s needs %s; type /%s %s", c.name, c.args, c.name, c.args)}
		case c.arg == argChannel && strings.ContainsAny(arg, " \n\t"):
			return parsed{problem: fmt.Sprintf("/%s takes one channel name; type /%s %s", c.name, c.name, c.args)}
		}
		return parsed{cmd: &c, arg: arg}
	}
	return parsed{problem: fmt.Sprintf("unknown command /%s; type /help for the list (start with // to send text beginning with /)", name)}
}

// runInput handles one line of input: a command or a message. It reports
// false when a message could not be sent as it is (too long, not
// subscribed), so the input keeps it for mending; a command's usage error
// clears the line, as the red line says what to type.
func (a *App) runInput(text string) bool {
	if strings.TrimSpace(text) == "" {
		return true
	}
	p := parseInput(text)
	switch {
	case p.problem != "":
		a.errorLine("%s", p.problem)
		return true
	case p.cmd != nil:
		p.cmd.run(a, p.arg)
		return true
	default:
		return a.send(p.message, chat.KindText)
	}
}

func (a *App) cmdJoin(arg string) {
	a.join(strings.TrimPrefix(arg, "#"))
}

func (a *App) cmdLeave(string) {
	name := a.current
	if name == "" || !a.joined[name] {
		a.errorLine("you are not subscribed to a channel here; type /join NAME")
		return
	}
	a.background(func(ctx context.Context) func() {
		err := a.be.Leave(ctx, name)
		return func() {
			if err != nil {
				a.errorLine("could not leave #%s: %v", name, err)
				return
			}
			delete(a.joined, name)
			a.logFor(name).append(newSystemLine(lineSystem, fmt.Sprintf("you left #%s; type /join %s to come back", name, name)))
			a.updateList()
			a.updateBars()
			a.fetchMembers(name)
		}
	})
}

func (a *App) cmdChannels(string) {
	a.background(func(ctx context.Context) func() {
		list, err := a.be.ListChannels(ctx)
		return func() {
			if err != nil {
				a.errorLine("could not list channels: %v", err)
				return
			}
			if len(list) == 0 {
				a.systemLine("no channels yet; type /join NAME to create one")
				return
			}
			a.systemLine("%d channel%s:", len(list), plural(len(list)))
			for _, c := range list {
				mark := " "
				if a.joined[c.Name] {
					mark = "●"
				}
				line := fmt.Sprintf("%s #%s — %d member%s", mark, c.Name, c.Members, plural(int(c.Members)))
				if c.Description != "" {
					line += ": " + c.Description
				}
				a.systemLine("%s", line)
			}
		}
	})
}

func (a *App) cmdSend(arg string) { a.send(arg, chat.KindText) }
func (a *App) cmdMe(arg string)   { a.send(arg, chat.KindAction) }

func (a *App) cmdTopic(arg string) {
	name := a.current
	if name == "" {
		a.errorLine("no channel is open; type /join NAME first")
		return
	}
	a.background(func(ctx context.Context) func() {
		err := a.be.SetTopic(ctx, name, arg)
		return func() {
			if err != nil {
				a.errorLine("could not set the topic of #%s: %v", name, err)
				return
			}
			c := a.channels[name]
			c.Description = arg
			a.channels[name] = c
			a.systemLine("topic of #%s: %s", name, arg)
			a.updateBars()
		}
	})
}

func (a *App) cmdDelete(arg string) {
	name := strings.TrimPrefix(arg, "#")
	if err := chat.ValidateName(name); err != nil {
		a.errorLine("%q is not a valid channel name; type /delete NAME", name)
		return
	}
	a.confirm(fmt.Sprintf("Delete #%s and all its messages for everyone?", name), func() {
		a.background(func(ctx context.Context) func() {
			err := a.be.DeleteChannel(ctx, name)
			return func() {
				if err != nil {
					a.errorLine("could not delete #%s: %v", name, err)
					return
				}
				delete(a.joined, name)
				delete(a.channels, name)
				a.systemLine("deleted #%s", name)
				a.updateList()
				a.updateBars()
			}
		})
	})
}

func (a *App) cmdTheme(arg string) {
	t, err := themes.Load(arg)
	if err != nil {
		a.errorLine("%v", err)
		return
	}
	a.applyTheme(t)
	a.systemLine("theme %s", t.Name)
}

func (a *App) cmdWhoami(string) {
	mode := ""
	if a.opts.Embedded {
		mode = " (embedded, in memory)"
	}
	a.systemLine("you are %s on %s%s", a.be.User(), a.opts.Server, mode)
}

func (a *App) cmdLog(string) {
	a.systemLine("application log: %s", a.opts.LogFile)
}

func (a *App) cmdHelp(string) { a.showHelp() }

func (a *App) cmdQuit(string) {
	if n := a.pendingCount(); n > 0 {
		a.confirm(fmt.Sprintf("%d message%s not sent yet. Quit anyway and lose %s?", n, plural(n), map[bool]string{true: "it", false: "them"}[n == 1]), a.quit)
		return
	}
	a.quit()
}

// confirm asks a yes/no question in a dialog and runs yes on Yes.
func (a *App) confirm(question string, yes func()) {
	modal := tview.NewModal().SetText(escape(question)).AddButtons([]string{"No", "Yes"})
	modal.SetDoneFunc(func(_ int, label string) {
		a.pages.RemovePage("confirm")
		a.app.SetFocus(a.input)
		if label == "Yes" {
			yes()
		}
	})
	a.pages.AddPage("confirm", modal, true, true)
	a.app.SetFocus(modal)
}

// completions returns the candidates for the word being typed in text.
func (a *App) completions(text string) (prefix string, cands []string) {
	if !strings.Contains(text, " ") && strings.HasPrefix(text, "/") {
		for _, c := range commandTable() {
			cands = append(cands, "/"+c.name+" ")
		}
		return "", filterPrefix(cands, text)
	}
	cut := strings.LastIndexAny(text, " \n") + 1
	prefix, word := text[:cut], text[cut:]
	cmd, _, _ := strings.Cut(text, " ")
	switch cmd {
	case "/join", "/delete":
		for n := range a.channels {
			cands = append(cands, n)
		}
	case "/theme":
		cands = themes.Names()
	default:
		users := map[string]bool{}
		for u := range a.authors {
			users[u] = true
		}
		for _, u := range a.members[a.current] {
			users[u] = true
		}
		for u := range users {
			if prefix == "" {
				cands = append(cands, u+": ")
			} else {
				cands = append(cands, u+" ")
			}
		}
	}
	sort.Strings(cands)
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
