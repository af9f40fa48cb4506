package ui

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/rtchat/rtchat/chat"
)

// ServerCommands is the part of the Backend that runs the server's slash
// commands (an admin adds them with rtchat admin command add; rtchat
// hooks serve hands them to their services).
type ServerCommands interface {
	// ServerCommands lists them.
	ServerCommands(ctx context.Context) ([]chat.ServerCommand, error)
	// RunCommand hands "command text", typed in conv, to the server;
	// the answer comes as a CommandReplyEvent or a message in conv.
	RunCommand(ctx context.Context, conv, command, text string) (string, error)
}

// serverCommands is what the window knows of the server's commands:
// their list (read at start and whenever an admin changes it).
type serverCommands struct {
	list   []chat.ServerCommand
	loaded bool
}

// loadServerCommands reads the server's commands (from a worker
// goroutine).
func (a *App) loadServerCommands() {
	list, err := a.be.ServerCommands(a.ctx)
	if err != nil {
		return // a window without them still works; the next change reads them again
	}
	a.post(func() { a.servers = serverCommands{list: list, loaded: true} })
}

// serverCommand returns the server's command name ("/deploy") and
// whether the window knows it; unsure is set while the list is not read
// yet (the server then says).
func (a *App) serverCommand(name string) (c chat.ServerCommand, known, unsure bool) {
	i := slices.IndexFunc(a.servers.list, func(c chat.ServerCommand) bool { return c.Name == name })
	if i < 0 {
		return c, false, !a.servers.loaded
	}
	return a.servers.list[i], true, false
}

// runServerCommand hands /name arg to the server from the conversation
// shown, and says so there.
func (a *App) runServerCommand(name, arg string) error {
	conv := a.model.current
	if c := a.model.shown(); conv == "" || c == nil || !c.joined {
		return fmt.Errorf("%s runs in a conversation; open one first", name)
	}
	line := strings.TrimSpace(name + " " + arg)
	a.background(func(ctx context.Context) func() {
		_, err := a.be.RunCommand(ctx, conv, name, arg)
		return func() {
			c := a.model.channels[conv]
			if c == nil {
				return
			}
			switch {
			case errors.Is(err, chat.ErrNoSuchCommand):
				c.log.append(newSystemLine(lineError, fmt.Sprintf("unknown command %s; type /help for the list (start with // to send text beginning with /)", name)))
			case err != nil:
				c.log.append(newSystemLine(lineError, fmt.Sprintf("could not run %s: %v", name, err)))
			default:
				c.log.append(newSystemLine(lineSystem, "you ran "+line))
			}
		}
	})
	return nil
}

// commandReply shows a command's answer for the user alone in the
// conversation it was run in (else where the user is).
func (a *App) commandReply(r chat.CommandReply) {
	who := shownAuthor(r.From, "")
	if name, ok := chat.IntegrationName(r.From); ok {
		who = "BOT " + name // a command's answer: no "(via hook)" before "(only you see this)"
	}
	kind, text := lineSystem, who+" (only you see this): "+r.Text
	if r.Failed {
		kind, text = lineError, r.Text
	}
	if c := a.model.channels[r.Conv]; c != nil && c.joined {
		c.log.append(newSystemLine(kind, text))
		return
	}
	a.addLine(newSystemLine(kind, r.Command+" in "+chat.Display(r.Conv)+": "+text))
}

// serverCommandsHelp is F1's section of the server's commands.
func (a *App) serverCommandsHelp() (helpSection, bool) {
	sec := helpSection{title: "Server commands (an admin added them; 'rtchat hooks serve' runs them)"}
	for _, c := range a.servers.list {
		what := c.Description
		if what == "" {
			what = "answered by " + shownAuthor(c.Hook, "")
		}
		sec.items = append(sec.items, [2]string{sanitize(strings.TrimSpace(c.Name + " " + c.Usage)), sanitize(what)})
	}
	return sec, len(sec.items) > 0
}
