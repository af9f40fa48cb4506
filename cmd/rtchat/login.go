package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"

	"github.com/rtchat/rtchat/config"
	"golang.org/x/term"
)

// runLogin asks for a Redis password, checks it by signing in, and keeps
// it in the config file (readable by its owner alone), so that no
// password stands in a command line (where every user of the machine can
// read it) or in the shell's history.
func runLogin(ctx context.Context, args []string, std stdio) error {
	var f commonFlags
	fs := newFlagSet("login", "[flags] [URL]", "Sign in to Redis as an account (asked for its password) and keep the password in the config file, readable by you alone.", std.err)
	f.register(fs)
	username := fs.String("username", "", "the account `NAME` (default the config's redis.username, REDIS_USERNAME, else asked)")
	pos, err := parseN(fs, args, 0, 1)
	if err != nil {
		return err
	}
	var address string
	if len(pos) == 1 {
		address = pos[0]
		if !strings.Contains(address, "://") {
			address = "redis://" + address
		}
		u, err := url.Parse(address)
		if err != nil || u.Host == "" {
			return fmt.Errorf("%q is not a Redis URL; give redis://host:port (or rediss:// for TLS)", pos[0])
		}
		if _, has := u.User.Password(); has {
			return errors.New("leave the password out of the URL: rtchat login asks for it")
		}
		if u.User != nil && *username == "" {
			*username = u.User.Username()
		}
		u.User = nil
		address = u.String()
		f.redis = address
	}
	cfg, err := f.load()
	if err != nil {
		return err
	}
	if cfg.Embedded {
		return errors.New("the embedded server has no accounts; give the address of a redis-server")
	}
	cfg.AddressSet = true // never the embedded server in its place
	in := bufio.NewReader(io.LimitReader(std.in, 8192))
	tty := terminal(std.in)
	name := *username
	if name == "" {
		name = cfg.Redis.Username
	}
	if name == "" && tty {
		fmt.Fprint(std.err, "Account name (Enter for Redis's default user): ")
		line, err := in.ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("read the account name: %w", err)
		}
		name = strings.TrimSpace(line)
	}
	pw, err := askPassword(std, in, tty, name, cfg.Server())
	if err != nil {
		return err
	}
	cfg.Redis.Username, cfg.Redis.Password = name, config.Secret(pw)
	log, closeLog := openLog(cfg, std.err)
	defer closeLog()
	cn, err := connect(ctx, &cfg, log, std.err, nil, 0)
	if err != nil {
		return err
	}
	defer cn.Close()
	if cn.Embedded() {
		return errors.New("that is an embedded server, which has no accounts; nothing to keep")
	}
	if err := cn.identify(ctx, &cfg); err != nil {
		return err
	}
	if err := config.SaveLogin(cfg.Path, config.Login{URL: address, Username: name, Password: pw}); err != nil {
		return err
	}
	who := "Redis's default user"
	if name != "" {
		who = "account " + name
	}
	fmt.Fprintf(std.err, "rtchat: signed in to %s as %s; the password is kept in %s (readable by you alone)\n", cfg.Server(), who, cfg.Path)
	return nil
}

// terminal reports whether r (a reader or a writer) is a terminal.
func terminal(r any) bool {
	f, ok := r.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// askPassword reads the password: without echo from a terminal, else the
// first line of standard input.
func askPassword(std stdio, in *bufio.Reader, tty bool, name, server string) (string, error) {
	var pw string
	if tty {
		who := name
		if who == "" {
			who = "the default user"
		}
		fmt.Fprintf(std.err, "Password of %s at %s: ", who, server)
		b, err := term.ReadPassword(int(std.in.(*os.File).Fd()))
		fmt.Fprintln(std.err)
		if err != nil {
			return "", fmt.Errorf("read the password: %w", err)
		}
		pw = string(b)
	} else {
		line, err := in.ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", fmt.Errorf("read the password from standard input: %w", err)
		}
		pw = strings.TrimRight(line, "\r\n")
	}
	if pw == "" {
		return "", errors.New("no password given; type the account's password (an admin gets one with 'rtchat admin user passwd NAME')")
	}
	return pw, nil
}
