package ui_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/gdamore/tcell/v2"
	"github.com/rtchat/rtchat/chat"
)

// The fake server's commands: a run is recorded and answered at once,
// for the user alone ("fail" fails).
func (f *fakeBackend) ServerCommands(context.Context) ([]chat.ServerCommand, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.commands), nil
}

func (f *fakeBackend) RunCommand(_ context.Context, conv, command, text string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	i := slices.IndexFunc(f.commands, func(c chat.ServerCommand) bool { return c.Name == command })
	if i < 0 {
		return "", fmt.Errorf("%w %s", chat.ErrNoSuchCommand, command)
	}
	f.runs = append(f.runs, conv+" "+command+" "+text)
	trigger := fmt.Sprintf("%024d", len(f.runs))
	r := chat.CommandReply{Trigger: trigger, Command: command, Conv: conv, From: f.commands[i].Hook, Text: "on it: " + text}
	if text == "fail" {
		r.Failed, r.Text = true, command+" failed: its service answered 500 Internal Server Error"
	}
	f.events <- chat.CommandReplyEvent{Reply: r}
	return trigger, nil
}

func (f *fakeBackend) ranCommands() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.runs)
}

// The server's slash commands run from the input line in the
// conversation shown, their answers show there for the user alone, F1
// lists them, Tab completes them, and a command an admin adds later
// works without a restart.
func TestServerCommandsInTheWindow(t *testing.T) {
	f := conversation()
	f.commands = []chat.ServerCommand{{Name: "/deploy", Description: "deploy a branch", Usage: "[branch]", Hook: "hook:deploy"}}
	s := showFake(t, f, 100, 24)

	s.say(t, "/deploy prod", "BOT deploy (only you see this): on it: prod")
	s.waitText(t, "you ran /deploy prod")
	if runs := f.ranCommands(); len(runs) != 1 || runs[0] != "general /deploy prod" {
		t.Fatalf("runs: %q", runs)
	}
	s.say(t, "/deploy fail", "/deploy failed: its service answered 500")
	s.say(t, "/nope x", "unknown command /nope")
	if runs := f.ranCommands(); len(runs) != 2 {
		t.Fatalf("an unknown command reached the server: %q", runs)
	}

	s.typeText("/dep", false)
	s.key(tcell.KeyTab, 0)
	s.waitFor(t, "/deploy completed", func(string) bool { return inputRow(s) == "/deploy" })
	s.key(tcell.KeyCtrlU, 0)

	s.key(tcell.KeyF1, 0)
	s.waitText(t, "Server commands")
	s.waitText(t, "/deploy [branch]")
	s.waitText(t, "deploy a branch")
	s.key(tcell.KeyEscape, 0)
	s.waitFor(t, "help closed", func(text string) bool { return !strings.Contains(text, "Server commands") })

	f.mu.Lock()
	f.commands = append(f.commands, chat.ServerCommand{Name: "/build", Hook: "hook:ci"})
	f.mu.Unlock()
	f.events <- chat.CommandsChangedEvent{}
	s.waitFor(t, "the new command known", func(string) bool {
		s.typeText("/build x", true)
		return slices.Contains(f.ranCommands(), "general /build x")
	})
	s.waitText(t, "BOT ci (only you see this): on it: x")
}
