package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/rtchat/rtchat/admin"
	"github.com/rtchat/rtchat/chat"
)

// adminUsage lists what "rtchat admin" does.
const adminUsage = `Usage:
  rtchat admin install [--prune]                load this rtchat's functions, move old edits to their
                                                authors, renew every account (after each upgrade)
  rtchat admin user add NAME [--password -]     make an account (prints a new password once; - reads one from stdin)
  rtchat admin user add --bot NAME              make a bot account, bot:NAME (shown as a bot; never triggers hooks)
  rtchat admin user add --hooks NAME            make the account rtchat hooks serve runs as, hooks:NAME (no admin's rights)
  rtchat admin user passwd NAME [--password -]  give an account a new password
  rtchat admin user del NAME                    remove an account (its messages stay)
  rtchat admin user renew NAME                  give an account this rtchat's rules again
  rtchat admin user list                        list the accounts
  rtchat admin channel private NAME --members a,b   make a private channel
  rtchat admin channel add-member NAME --members a,b
  rtchat admin channel remove-member NAME --members a,b
  rtchat admin channel delete NAME              delete a public channel and its history
  rtchat admin hook add|list|rotate|del …       incoming webhooks ('rtchat admin hook --help')
  rtchat admin command add|list|rotate|del …    slash commands ('rtchat admin command --help')

Run it as Redis's default user or one allowed ACL (REDIS_USERNAME,
REDIS_PASSWORD); connection flags as for every command (--redis, --config).
`

// runAdmin manages accounts and private channels.
func runAdmin(ctx context.Context, args []string, std stdio) error {
	var f commonFlags
	fs := newFlagSet("admin", "user|channel ACTION NAME [flags]", "Manage accounts (Redis ACL users) and private channels.", std.err)
	fs.Usage = func() {
		fmt.Fprint(std.err, adminUsage, "\nFlags:\n")
		printFlags(std.err, fs)
	}
	f.register(fs)
	password := fs.String("password", "", "`-` reads the password from standard input (one line) instead of making one")
	members := fs.String("members", "", "comma-separated account `NAMES`")
	hooksAccount := fs.Bool("hooks", false, "with user add: make the account rtchat hooks serve runs as, hooks:NAME: what the webhook server needs, no admin's rights")
	bot := fs.Bool("bot", false, "with user add: make a bot account, bot:NAME, for a program (shown with a BOT tag; it never triggers hooks or bots)")
	prune := fs.Bool("prune", false, "with install: remove the functions of older rtchat versions (their clients stop sending until upgraded)")
	// "admin [common flags] hook …" has flags of its own.
	lead := flag.NewFlagSet("", flag.ContinueOnError)
	lead.SetOutput(io.Discard)
	var lf commonFlags
	lf.register(lead)
	if lead.Parse(args) == nil && lead.NArg() > 0 && (lead.Arg(0) == "hook" || lead.Arg(0) == "command") {
		rest := lead.Args()
		sub := append(slices.Clone(args[:len(args)-len(rest)]), rest[1:]...)
		if lead.Arg(0) == "command" {
			return runAdminCommand(ctx, sub, std)
		}
		return runAdminHook(ctx, sub, std)
	}
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 1 && pos[0] == "install" {
		pos = append(pos, "")
	}
	if len(pos) < 2 || (len(pos) < 3 && !(pos[0] == "user" && pos[1] == "list") && pos[0] != "install") {
		fs.Usage()
		return errUsage
	}
	s, err := openAdmin(ctx, &f, std)
	if err != nil {
		return err
	}
	defer s.close()
	a := admin.New(s.conn.rdb, keysOf(s.cfg))
	what, action := pos[0], pos[1]
	var name string
	if len(pos) > 2 {
		name = pos[2]
	}
	switch what + " " + action {
	case "install ":
		return adminInstall(ctx, a, std, *prune)
	case "channel delete":
		return adminDone(ctx, a, std, a.DeleteChannel(ctx, name), "#%s deleted", name)
	case "user add", "user passwd":
		if _, already := chat.BotName(name); *bot && !already {
			name = chat.BotAuthor(name)
		}
		if *hooksAccount && !strings.HasPrefix(name, admin.HooksPrefix) {
			name = admin.HooksAccount(name)
		}
		return adminPassword(ctx, a, s, std, action, name, *password)
	case "user del":
		return adminDone(ctx, a, std, a.DeleteUser(ctx, name), "account %s removed", name)
	case "user renew":
		return adminDone(ctx, a, std, a.Renew(ctx, name), "account %s has this rtchat's rules", name)
	case "user list":
		users, err := a.Users(ctx)
		if err != nil {
			return err
		}
		for _, u := range users {
			fmt.Fprintln(std.out, u)
		}
		return nil
	case "channel private", "channel add-member", "channel remove-member":
		return adminChannel(ctx, a, s, std, action, name, *members)
	}
	fmt.Fprintf(std.err, "rtchat admin: unknown action %q\n\n", what+" "+action)
	fs.Usage()
	return errUsage
}

// openAdmin connects for an admin command: a real Redis (the embedded
// server has no accounts).
func openAdmin(ctx context.Context, f *commonFlags, std stdio) (*session, error) {
	s, err := openConn(ctx, f, std)
	if err != nil {
		return nil, err
	}
	if s.conn.Embedded() {
		s.close()
		return nil, errors.New("the embedded server has no accounts; run redis-server (7 or newer) and point rtchat at it with --redis")
	}
	return s, nil
}

// openConn loads the configuration and connects, for a command that
// needs no chat client (its session's client is nil).
func openConn(ctx context.Context, f *commonFlags, std stdio) (*session, error) {
	cfg, err := f.load()
	if err != nil {
		return nil, err
	}
	log, closeLog := openLog(cfg, std.err)
	cn, err := connect(ctx, &cfg, log, std.err, nil, 0)
	if err != nil {
		closeLog()
		return nil, err
	}
	return &session{cfg: cfg, log: log, conn: cn, close: func() { cn.Close(); closeLog() }}, nil
}

// adminPassword makes an account or gives it a new password: read from
// standard input with --password -, else made and printed once.
func adminPassword(ctx context.Context, a *admin.Admin, s *session, std stdio, action, name, flag string) error {
	var pw string
	made := false
	switch flag {
	case "":
		pw, made = admin.GeneratePassword(), true
	case "-":
		line, err := bufio.NewReader(io.LimitReader(std.in, 4096)).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("read the password from standard input: %w", err)
		}
		pw = strings.TrimRight(line, "\r\n")
	default:
		return errors.New("--password takes only - (read it from standard input): a password on the command line would stay in your shell's history")
	}
	var err error
	if action == "add" {
		err = a.AddUser(ctx, name, pw)
	} else {
		err = a.SetPassword(ctx, name, pw)
	}
	if err != nil {
		return err
	}
	verb := "made"
	if action != "add" {
		verb = "has a new password"
	}
	fmt.Fprintf(std.err, "rtchat: account %s %s\n", name, verb)
	if made {
		// Printed once, to standard output only, so that it can be piped.
		who := "give it to " + name + " privately, who runs rtchat"
		if strings.HasPrefix(name, admin.HooksPrefix) {
			who = "for the machine that runs rtchat hooks serve"
		}
		fmt.Fprintf(std.err, "rtchat: its password (shown once; %s with REDIS_USERNAME=%s REDIS_PASSWORD=…):\n", who, name)
		fmt.Fprintln(std.out, pw)
	}
	return persist(ctx, a, std)
}

// adminChannel makes a private channel or changes its members.
func adminChannel(ctx context.Context, a *admin.Admin, s *session, std stdio, action, name, members string) error {
	var list []string
	for _, m := range strings.Split(members, ",") {
		if m = strings.TrimSpace(m); m != "" && !slices.Contains(list, m) {
			list = append(list, m)
		}
	}
	if len(list) == 0 {
		return fmt.Errorf("give the members with --members alice,bob")
	}
	var err error
	switch action {
	case "private":
		err = a.MakePrivate(ctx, name, adminName(ctx, s), list)
	case "add-member":
		err = a.AddMembers(ctx, name, list)
	default:
		err = a.RemoveMembers(ctx, name, list)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(std.err, "rtchat: %s: %s %s\n", chat.Display(chat.Private(name)), strings.ReplaceAll(action, "-", " "), strings.Join(list, ", "))
	return persist(ctx, a, std)
}

// adminInstall brings the server up to this rtchat and says what it did.
func adminInstall(ctx context.Context, a *admin.Admin, std stdio, prune bool) error {
	done, err := a.Install(ctx, prune)
	if err != nil {
		return err
	}
	fmt.Fprintf(std.err, "rtchat: functions %s loaded\n", done.Library)
	if done.Moved > 0 {
		fmt.Fprintf(std.err, "rtchat: the edits and deletes of %d messages moved to their authors' changes\n", done.Moved)
	}
	fmt.Fprintf(std.err, "rtchat: %d accounts have this rtchat's rules\n", len(done.Renewed))
	if len(done.Claimed) > 0 {
		fmt.Fprintf(std.err, "rtchat: no public channel may now take the names of the private channels %s\n", strings.Join(done.Claimed, ", "))
	}
	for _, name := range done.Clashes {
		fmt.Fprintf(std.err, "rtchat: warning: a public #%s and a private #%s share the name; delete one (rtchat admin channel delete %s deletes the public one)\n", name, name, name)
	}
	if len(done.Pruned) > 0 {
		fmt.Fprintf(std.err, "rtchat: removed older functions: %s\n", strings.Join(done.Pruned, ", "))
	}
	return persist(ctx, a, std)
}

// adminDone reports a finished change and keeps it.
func adminDone(ctx context.Context, a *admin.Admin, std stdio, err error, format string, args ...any) error {
	if err != nil {
		return err
	}
	fmt.Fprintf(std.err, "rtchat: "+format+"\n", args...)
	return persist(ctx, a, std)
}

// persist keeps the ACL users through restarts, or says how.
func persist(ctx context.Context, a *admin.Admin, std stdio) error {
	unsaved, err := a.Persist(ctx)
	if err != nil {
		return fmt.Errorf("the change is made, but keeping it failed: %w", err)
	}
	if len(unsaved) > 0 {
		fmt.Fprintf(std.err, "rtchat: %s has no ACL file, so accounts last until Redis restarts: run CONFIG REWRITE there (or set aclfile) to keep them\n", strings.Join(unsaved, ", "))
	}
	return nil
}

// adminName is the Redis user the admin runs as.
func adminName(ctx context.Context, s *session) string {
	name, err := s.conn.rdb.Do(ctx, "ACL", "WHOAMI").Text()
	if err != nil || name == "" {
		return "admin"
	}
	return name
}
