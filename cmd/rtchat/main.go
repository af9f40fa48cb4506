// Command rtchat is a real-time chat for the terminal on Redis.
//
//	rtchat [flags]                     full-screen chat
//	rtchat send [flags] CHANNEL TEXT…  post one message; prints its stream id
//	rtchat edit|delete|react …         change a message
//	rtchat tail [flags] CHANNEL        print the last -n messages; -f follows
//	rtchat channels [--json]           list channels
//	rtchat login [URL]                 sign in; keeps the password in the config file
//	rtchat admin user|channel …        manage accounts and private channels
//	rtchat serve [--addr A]            run the embedded server in the foreground
//	rtchat completion bash|zsh|fish    print a shell completion script
//	rtchat --version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"

	"github.com/rtchat/rtchat/chat"
)

// version is rtchat's version, shown by --version and in the header.
const version = "0.1.0"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	code := run(ctx, os.Args[1:], stdio{in: os.Stdin, out: os.Stdout, err: os.Stderr})
	stop()
	os.Exit(code)
}

// stdio is where a command reads and writes; tests pass buffers.
type stdio struct {
	in       io.Reader
	out, err io.Writer
}

// command is one subcommand of rtchat.
type command struct {
	name, args, summary string
	run                 func(ctx context.Context, args []string, std stdio) error
}

func commands() []command {
	return []command{
		{"send", "[flags] CHANNEL|@PERSON TEXT…", "post one message (TEXT - reads it from stdin; --reply-to ID [--thread] answers one; --file PATH sends a file); prints its stream id", runSend},
		{"edit", "[flags] CHANNEL ID TEXT…", "replace the text of your message ID", runChange(chat.KindEdit)},
		{"delete", "[flags] CHANNEL ID", "delete your message ID for everyone", runChange(chat.KindDelete)},
		{"react", "[flags] CHANNEL ID EMOJI", "react to message ID (again: take it back)", runChange(chat.KindReact)},
		{"get", "[flags] CHANNEL|@PERSON ID", "fetch the file of message ID (checked against its SHA-256) into the download folder; -o PATH, -o - for stdout", runGet},
		{"tail", "[flags] CHANNEL|@PERSON", "print the last -n messages (default 20); -f follows live; --json for JSON lines", runTail},
		{"search", "[flags] QUERY…", "search every conversation you may read, newest first (from:, in:, before:, after:, has:link, has:file, is:thread); --json for JSON lines", runSearch},
		{"export", "[flags] CHANNEL|@PERSON", "write a conversation from Redis, oldest first (--format text|json, --since DATE)", runExport},
		{"login", "[flags] [URL]", "sign in as an account: asks its password and keeps it in the config file (0600)", runLogin},
		{"channels", "[flags]", "list channels with description and members; --json for JSON lines", runChannels},
		{"admin", "user|channel ACTION NAME [flags]", "manage accounts (Redis ACL users) and private channels; 'rtchat admin --help' lists the actions", runAdmin},
		{"serve", "[--addr 127.0.0.1:6379] [--password-file FILE] [--allow-remote]", "run the embedded in-memory server in the foreground", runServe},
		{"hooks", "serve [--addr 127.0.0.1:8065] [--allow-remote] [--tls-cert F --tls-key F]", "answer incoming webhooks (Slack's and Mattermost's formats) into channels, fire outgoing hooks, run slash commands; 'rtchat admin hook add' and 'rtchat admin command add' make them", runHooks},
		{"completion", "bash|zsh|fish", "print a shell completion script: commands, flags, channel names from the server", runCompletion},
	}
}

// run executes rtchat with args and returns the exit code.
func run(ctx context.Context, args []string, std stdio) int {
	err := dispatch(ctx, args, std)
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	default:
		fmt.Fprintf(std.err, "rtchat: %s\n", describe(err))
		return 1
	}
}

// errUsage marks a usage error whose message was already printed.
var errUsage = errors.New("usage")

func dispatch(ctx context.Context, args []string, std stdio) error {
	if len(args) > 0 {
		switch args[0] {
		case "--version", "-version", "version":
			fmt.Fprintf(std.out, "rtchat %s\n", version)
			return nil
		case "help":
			usage(std.out)
			return nil
		}
		args = commandFirst(args)
		for _, c := range commands() {
			if args[0] == c.name {
				return c.run(ctx, args[1:], std)
			}
		}
	}
	return runChat(ctx, args, std)
}

// commandFirst moves common flags typed before a command behind it:
// "rtchat --user dave send general hi" is "rtchat send --user dave
// general hi". Without a command after the flags, args stay as they are.
func commandFirst(args []string) []string {
	fs := flag.NewFlagSet("", flag.ContinueOnError)
	var f commonFlags
	f.register(fs)
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" || !strings.HasPrefix(a, "-") || a == "-" {
			if slices.ContainsFunc(commands(), func(c command) bool { return c.name == a }) && i > 0 {
				return slices.Concat([]string{a}, args[:i], args[i+1:])
			}
			return args
		}
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		fl := fs.Lookup(name)
		if fl == nil {
			return args // not a common flag: leave it to the chat's parser
		}
		if b, ok := fl.Value.(interface{ IsBoolFlag() bool }); !hasValue && !(ok && b.IsBoolFlag()) {
			i++ // its value
		}
	}
	return args
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "rtchat %s — real-time chat for the terminal on Redis\n\nUsage:\n", version)
	fmt.Fprintf(w, "  rtchat [flags]%*s%s\n", 22-len(" [flags]"), "", "full-screen chat")
	for _, c := range commands() {
		fmt.Fprintf(w, "  rtchat %s %s\n      %s\n", c.name, c.args, c.summary)
	}
	fmt.Fprintf(w, "  rtchat --version\n\nRun 'rtchat COMMAND --help' for a command's flags.\n")
}
