package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rtchat/rtchat/chat"
	"github.com/rtchat/rtchat/hooks"
)

// hookUsage lists what "rtchat admin hook" does.
const hookUsage = `Usage:
  rtchat admin hook add CHANNEL[,CHANNEL…] --name NAME [--url BASE]
                                   make an incoming webhook posting to CHANNEL (a payload may
                                   name another of the list); prints its URL once
  rtchat admin hook out add CHANNEL[,CHANNEL…] --name NAME --trigger WORD[,WORD…] --url URL
                                   make an outgoing webhook: a message starting with a trigger
                                   word is POSTed to URL (Mattermost's fields); the answer's
                                   text is posted in its thread; prints the token POSTs carry
  rtchat admin hook list           list the hooks (never their secrets)
  rtchat admin hook rotate ID|NAME give a hook a new secret (prints the new URL; the old stops)
  rtchat admin hook del ID|NAME    remove a hook (its URL stops at once; its messages stay)
`

// runAdminHook manages incoming webhooks (pos: the words after "hook").
func runAdminHook(ctx context.Context, args []string, std stdio) error {
	var f commonFlags
	fs := newFlagSet("admin hook", "add|list|rotate|del …", "Manage incoming webhooks (Integrations in the README).", std.err)
	fs.Usage = func() {
		fmt.Fprint(std.err, hookUsage, "\nFlags:\n")
		printFlags(std.err, fs)
	}
	f.register(fs)
	name := fs.String("name", "", "with add: who the hook's messages are from (shown as NAME (via hook))")
	base := fs.String("url", "", "with add and rotate: the `BASE` address 'rtchat hooks serve' is reached at (default http://127.0.0.1:8065); with out add: the URL to POST to")
	triggers := fs.String("trigger", "", "with out add: comma-separated trigger `WORDS`")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	out := len(pos) == 3 && pos[0] == "out" && pos[1] == "add"
	if out {
		pos = []string{"out add", pos[2]}
	}
	if len(pos) == 0 || (pos[0] != "list" && len(pos) != 2) {
		fs.Usage()
		return errUsage
	}
	if *base == "" && !out {
		*base = "http://127.0.0.1:8065"
	}
	sess, err := openConn(ctx, &f, std)
	if err != nil {
		return err
	}
	defer sess.close()
	cfg, cn, log, rdb := sess.cfg, sess.conn, sess.log, sess.conn.rdb
	switch pos[0] {
	case "add", "out add":
		if *name == "" {
			return errors.New("admin hook add needs --name NAME: who its messages are from")
		}
		channels := strings.Split(pos[1], ",")
		c, err := newClientWith(cfg, cn, log, false, nil, nil)
		if err != nil {
			return err
		}
		defer c.Close()
		for _, ch := range channels {
			ch = strings.TrimPrefix(ch, "#")
			if _, err := c.Channel(ctx, ch); errors.Is(err, chat.ErrNoSuchChannel) {
				return fmt.Errorf("%s does not exist; create it first (rtchat send %s …, or /join in the window)", chat.Display(ch), ch)
			} else if err != nil {
				return err
			}
		}
		if out {
			h, token, err := hooks.AddOutgoing(ctx, rdb, *name, channels, hooks.Outgoing{URL: *base, Triggers: strings.Split(*triggers, ",")}, cfg.User)
			if err != nil {
				return err
			}
			fmt.Fprintf(std.err, "outgoing hook %s (id %s): messages in %s starting with %s go to %s (while 'rtchat hooks serve' runs); the token its POSTs carry:\n",
				h.Name, h.ID, strings.Join(h.Channels, ", "), strings.Join(h.Triggers, " or "), h.Target)
			fmt.Fprintln(std.out, token)
			return nil
		}
		h, secret, err := hooks.Add(ctx, rdb, *name, channels, cfg.User)
		if err != nil {
			return err
		}
		fmt.Fprintf(std.err, "hook %s (id %s) posts to %s as %q; its URL (shown once, keep it secret):\n", h.Name, h.ID, strings.Join(h.Channels, ", "), h.Name+" (via hook)")
		fmt.Fprintln(std.out, h.URL(*base, secret))
		return nil
	case "list":
		list, err := hooks.List(ctx, rdb)
		if err != nil {
			return err
		}
		for _, h := range list {
			kind := "in"
			switch {
			case h.Out:
				kind = "out " + strings.Join(h.Triggers, ",") + " → " + h.Target
			case h.Command != "":
				kind = "command " + h.Command + " → " + h.Target
			}
			fmt.Fprintf(std.out, "%s\t%s\t%s\t%s\tby %s\t%s\n", h.ID, h.Name, strings.Join(h.Channels, ","), kind, h.By, h.Created.Format(time.DateOnly))
		}
		return nil
	case "rotate":
		h, secret, err := hooks.Rotate(ctx, rdb, pos[1])
		if err != nil {
			return err
		}
		if h.Out {
			fmt.Fprintf(std.err, "outgoing hook %s's POSTs carry a new token:\n", h.Name)
			fmt.Fprintln(std.out, secret)
			return nil
		}
		fmt.Fprintf(std.err, "hook %s has a new secret; the old URL no longer works. Its new URL:\n", h.Name)
		fmt.Fprintln(std.out, h.URL(*base, secret))
		return nil
	case "del":
		h, err := hooks.Delete(ctx, rdb, keysOf(cfg), pos[1])
		if err != nil {
			return err
		}
		fmt.Fprintf(std.err, "hook %s removed; its URL no longer works (its messages stay)\n", h.Name)
		return nil
	}
	fs.Usage()
	return errUsage
}

// commandUsage lists what "rtchat admin command" does.
const commandUsage = `Usage:
  rtchat admin command add /NAME --url URL [--description TEXT] [--usage ARGS] [--name BOT]
                                   add a slash command to every window: /NAME typed there is
                                   POSTed to URL (Slack's fields) by 'rtchat hooks serve', and
                                   the answer shown; prints the token POSTs carry once
  rtchat admin command list        list the commands
  rtchat admin command rotate /NAME  give a command a new token (prints it)
  rtchat admin command del /NAME   remove a command from every window
`

// runAdminCommand manages slash commands.
func runAdminCommand(ctx context.Context, args []string, std stdio) error {
	var f commonFlags
	fs := newFlagSet("admin command", "add|list|rotate|del …", "Manage the server's slash commands (Integrations in the README).", std.err)
	fs.Usage = func() {
		fmt.Fprint(std.err, commandUsage, "\nFlags:\n")
		printFlags(std.err, fs)
	}
	f.register(fs)
	target := fs.String("url", "", "with add: the `URL` a run is POSTed to")
	desc := fs.String("description", "", "with add: what the command does, shown by F1")
	usage := fs.String("usage", "", "with add: its arguments, shown by F1 (e.g. \"[branch]\")")
	name := fs.String("name", "", "with add: who its answers in a conversation are from (default: the command's name; shown BOT NAME)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 || (pos[0] != "list" && len(pos) != 2) {
		fs.Usage()
		return errUsage
	}
	sess, err := openConn(ctx, &f, std)
	if err != nil {
		return err
	}
	defer sess.close()
	cfg, rdb, keys := sess.cfg, sess.conn.rdb, keysOf(sess.cfg)
	command := ""
	if len(pos) == 2 {
		command = "/" + strings.TrimPrefix(pos[1], "/")
	}
	switch pos[0] {
	case "add":
		if *target == "" {
			return errors.New("admin command add needs --url URL: where a run is POSTed")
		}
		h, token, err := hooks.AddCommand(ctx, rdb, keys, hooks.CommandSpec{Command: command, URL: *target, Name: *name, Description: *desc, Usage: *usage}, cfg.User)
		if err != nil {
			return err
		}
		fmt.Fprintf(std.err, "command %s (hook %s, id %s): runs go to %s while 'rtchat hooks serve' runs; answers come from BOT %s. The token its POSTs carry:\n",
			h.Command, h.Name, h.ID, h.Target, h.Name)
		fmt.Fprintln(std.out, token)
		return nil
	case "list":
		list, err := chat.ListCommands(ctx, rdb, keys)
		if err != nil {
			return err
		}
		all, err := hooks.List(ctx, rdb)
		if err != nil {
			return err
		}
		for _, c := range list {
			target := "(no hook: remove it with 'rtchat admin command del " + c.Name + "')"
			for _, h := range all {
				if h.Command == c.Name {
					target = h.Target
				}
			}
			fmt.Fprintf(std.out, "%s\t%s\t%s\t%s\n", c.Name, c.Usage, target, c.Description)
		}
		return nil
	case "rotate":
		h, token, err := hooks.Rotate(ctx, rdb, command)
		if err != nil {
			return err
		}
		fmt.Fprintf(std.err, "command %s's POSTs carry a new token:\n", h.Command)
		fmt.Fprintln(std.out, token)
		return nil
	case "del":
		h, err := hooks.Delete(ctx, rdb, keys, command)
		if errors.Is(err, hooks.ErrNoHook) {
			// A command whose hook went (deleted as a hook): its entry goes too.
			if derr := chat.DeleteCommand(ctx, rdb, keys, command); derr != nil {
				return derr
			}
			fmt.Fprintf(std.err, "command %s removed\n", command)
			return nil
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(std.err, "command %s removed from every window\n", h.Command)
		return nil
	}
	fs.Usage()
	return errUsage
}

// runHooks runs the webhook server ("rtchat hooks serve").
func runHooks(ctx context.Context, args []string, std stdio) error {
	var f commonFlags
	fs := newFlagSet("hooks", "serve [--addr 127.0.0.1:8065] [--allow-remote] [--tls-cert F --tls-key F]",
		"Answer incoming webhooks (Slack's and Mattermost's formats) until Ctrl+C, storing each as the hook's message.", std.err)
	f.register(fs)
	addr := fs.String("addr", "127.0.0.1:8065", "address to listen on (loopback unless --allow-remote)")
	remote := fs.Bool("allow-remote", false, "allow an address other machines can reach")
	cert := fs.String("tls-cert", "", "serve HTTPS with the certificate in `FILE` (with --tls-key)")
	key := fs.String("tls-key", "", "the certificate's private key `FILE`")
	rate := fs.Int("rate", hooks.DefaultRate, "POSTs a second one hook may make (429 over it)")
	public := fs.String("url", "", "the `BASE` address services reach this server at, for slash commands' response_url (default: http(s)://ADDR)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || pos[0] != "serve" {
		fs.Usage()
		return errUsage
	}
	if (*cert == "") != (*key == "") {
		return errors.New("--tls-cert and --tls-key go together")
	}
	if _, err := listenAddr(*addr, "127.0.0.1:8065", *remote, "serve HTTPS, or stand behind a proxy that does"); err != nil {
		return err
	}
	cfg, err := f.load()
	if err != nil {
		return err
	}
	log, closeLog := openLog(cfg, std.err)
	defer closeLog()
	f.patient = true
	cn, err := connect(ctx, &cfg, log, std.err, nil, 0)
	if err != nil {
		return err
	}
	defer cn.Close()
	// With accounts, only an admin may read hooks: say so now, not on
	// the first POST.
	if _, err := hooks.List(ctx, cn.rdb); err != nil {
		if redis.IsPermissionError(err) {
			return errors.New("this Redis account may not read the hooks; run rtchat hooks serve as an admin (REDIS_USERNAME and REDIS_PASSWORD of an admin, or --password-file)")
		}
		return err
	}
	opts := hooks.ServerOptions{Rate: *rate, MaxMessageBytes: cfg.MaxMessageBytes, Keys: keysOf(cfg), MaxLen: cfg.Retention, Logger: log}
	if cn.Embedded() {
		opts.ScriptMode = chat.ScriptsEval
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w; is something else there? choose another --addr", *addr, err)
	}
	scheme := "http"
	if *cert != "" {
		scheme = "https"
	}
	opts.PublicURL = *public
	if opts.PublicURL == "" {
		opts.PublicURL = scheme + "://" + ln.Addr().String()
	}
	s := hooks.NewServer(cn.rdb, opts)
	defer s.Close()
	// Outgoing hooks fire, and slash commands run, while the server runs.
	dctx, stopOut := context.WithCancel(ctx)
	outDone := make(chan struct{})
	go func() { s.NewDispatcher().Run(dctx); close(outDone) }()
	defer func() { stopOut(); <-outDone }()
	web := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 30 * time.Second, ErrorLog: nil}
	if *cert != "" {
		web.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	fmt.Fprintf(std.err, "rtchat: answering webhooks on %s://%s (Ctrl+C stops)\n", scheme, ln.Addr())
	done := make(chan error, 1)
	go func() {
		if *cert != "" {
			done <- web.ServeTLS(ln, *cert, *key)
		} else {
			done <- web.Serve(ln)
		}
	}()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	// Graceful: POSTs under way finish (up to 10 s), new ones wait for
	// another server.
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := web.Shutdown(sctx); err != nil {
		return fmt.Errorf("stop the webhook server: %w", err)
	}
	return nil
}
