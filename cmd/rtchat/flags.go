package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/rtchat/rtchat/config"
)

// commonFlags are the flags every command that talks to Redis takes.
type commonFlags struct {
	config, user, redis, theme, logFile, logLevel string
	passwordFile                                  string
	embedded                                      bool
	fs                                            *flag.FlagSet
	// patient: a configured server that does not answer is tried again
	// for chat.DefaultSendTimeout (set by the commands that post).
	patient bool
	// archive: the command reads the person's local archive too, when
	// there is one (set by search and export).
	archive bool
}

func (f *commonFlags) register(fs *flag.FlagSet) {
	f.fs = fs
	fs.StringVar(&f.config, "config", "", "config file `PATH` (default $XDG_CONFIG_HOME/rtchat/config.toml)")
	fs.StringVar(&f.user, "user", "", "user `NAME` (default RTCHAT_USER, then the login name)")
	fs.StringVar(&f.redis, "redis", "", "Redis `URL` (redis://, rediss://) or comma-separated cluster addresses")
	fs.StringVar(&f.theme, "theme", "", "theme `NAME|PATH` (default, dark, light, terminal, or a file)")
	fs.StringVar(&f.logFile, "log-file", "", "application log `PATH` (default $XDG_STATE_HOME/rtchat/rtchat.log)")
	fs.StringVar(&f.logLevel, "log-level", "", "how much the log says: `debug|info|warn|error` (default info)")
	fs.StringVar(&f.passwordFile, "password-file", "", "read the Redis password from the first line of `FILE` (never give it in --redis: others see command lines)")
	fs.BoolVar(&f.embedded, "embedded", false, "use the embedded in-memory server (a free port when 6379 is taken)")
}

// load builds the configuration from the flags given.
func (f *commonFlags) load() (config.Config, error) {
	var fl config.Flags
	set := func(s string) *string {
		if s == "" {
			return nil
		}
		return &s
	}
	fl.ConfigPath, fl.User, fl.Redis, fl.Theme, fl.LogFile = set(f.config), set(f.user), set(f.redis), set(f.theme), set(f.logFile)
	if f.fs != nil {
		f.fs.Visit(func(g *flag.Flag) {
			if g.Name == "user" && f.user == "" {
				fl.User = &f.user // given, and empty: Load says so
			}
		})
	}
	fl.LogLevel, fl.PasswordFile = set(f.logLevel), set(f.passwordFile)
	if f.embedded {
		fl.Embedded = &f.embedded
	}
	return config.Load(fl, config.Source{})
}

// newFlagSet returns a flag set for a command whose usage names its
// arguments; errors and help go to w.
func newFlagSet(name, args, summary string, w io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(w)
	fs.Usage = func() {
		fmt.Fprintf(w, "Usage: %s\n  %s\n\nFlags:\n", strings.Join(strings.Fields("rtchat "+name+" "+args), " "), summary)
		printFlags(w, fs)
	}
	return fs
}

// printFlags lists fs's flags as the README writes them: "--name", and
// "-f" for a one-letter flag.
func printFlags(w io.Writer, fs *flag.FlagSet) {
	fs.VisitAll(func(fl *flag.Flag) {
		arg, usage := flag.UnquoteUsage(fl)
		head := "  --" + fl.Name
		if len(fl.Name) == 1 {
			head = "  -" + fl.Name
		}
		if arg != "" {
			head += " " + arg
		}
		fmt.Fprintf(w, "%s\n    \t%s", head, strings.ReplaceAll(usage, "\n", "\n    \t"))
		if d := fl.DefValue; d != "" && d != "false" && d != "0" && d != "0s" && d != "[]" {
			fmt.Fprintf(w, " (default %s)", d)
		}
		fmt.Fprintln(w)
	})
}

// parseN is parse for a command that takes from least to most
// positional arguments; another count prints the usage.
func parseN(fs *flag.FlagSet, args []string, least, most int) ([]string, error) {
	pos, err := parse(fs, args)
	if err != nil {
		return nil, err
	}
	if len(pos) < least || len(pos) > most {
		fs.Usage()
		return nil, errUsage
	}
	return pos, nil
}

// parse parses args, allowing flags after positional arguments too
// ("rtchat tail general -n 5").
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, errUsage
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
		if len(args) == 0 || !strings.HasPrefix(args[0], "-") || args[0] == "-" {
			// Keep collecting positionals until the next flag.
			for len(args) > 0 && (!strings.HasPrefix(args[0], "-") || args[0] == "-") {
				pos, args = append(pos, args[0]), args[1:]
			}
			if len(args) == 0 {
				return pos, nil
			}
		}
	}
}
