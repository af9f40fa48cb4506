package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/gdamore/tcell/v2"
	"github.com/rtchat/rtchat/archive"
	"github.com/rtchat/rtchat/chat"
	"github.com/rtchat/rtchat/config"
	"github.com/rtchat/rtchat/internal/embedded"
	"github.com/rtchat/rtchat/themes"
	"github.com/rtchat/rtchat/ui"
)

// The chat client is what the UI talks to.
var _ ui.Backend = (*chat.Client)(nil)

// embeddedNotice is the line every window on an embedded server shows.
const embeddedNotice = "embedded server: messages live in memory only while the window hosting it runs; start redis-server for durable history"

// runChat runs the full-screen client.
func runChat(ctx context.Context, args []string, std stdio) error {
	return runChatOn(ctx, args, std, nil)
}

// runChatOn runs the full-screen client on screen (nil: the terminal).
func runChatOn(ctx context.Context, args []string, std stdio, screen tcell.Screen) error {
	var f commonFlags
	fs := newFlagSet("", "[flags]", "Open the full-screen chat. Type /help inside for commands and keys.", std.err)
	f.register(fs)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return fmt.Errorf("unknown command %q; run 'rtchat help' for the commands", pos[0])
	}
	cfg, err := f.load()
	if err != nil {
		return err
	}
	theme, err := themes.Load(cfg.Theme)
	if err != nil {
		return err
	}
	log, closeLog := openLog(cfg, std.err)
	defer closeLog()
	log.Info("starting", "config", cfg.String())
	var gfx ui.Graphics
	if screen == nil { // the terminal: asked before the window takes it
		gfx = terminalGraphics(cfg.Images)
		log.Info("pictures", "images", cfg.Images, "protocol", gfx.Protocol, "cell", fmt.Sprintf("%d×%d", gfx.CellWidth, gfx.CellHeight))
	}
	if screen, err = splash(screen, theme, cfg.Server()); err != nil {
		return err
	}
	handed := false
	defer func() {
		if !handed {
			screen.Fini() // the error goes to a terminal restored
		}
	}()
	var connNotices strings.Builder
	cn, err := connect(ctx, &cfg, log, &connNotices, nil, 0)
	if err != nil {
		return err
	}
	defer cn.Close()
	if err := cn.identify(ctx, &cfg); err != nil {
		return err
	}
	kept := openArchive(cfg, true, log)
	if kept != nil {
		defer kept.Close()
	}
	client, err := newClient(cfg, cn, log, true, indexOf(kept))
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if err := client.Start(ctx); err != nil {
		return connectError(&cfg, err)
	}
	defer client.Close()

	// The terminal (for OSC 52 copies and notifications) is written where
	// tcell draws.
	var term io.Writer
	if tty, err := os.OpenFile("/dev/tty", os.O_WRONLY, 0); err == nil {
		defer tty.Close()
		term = tty
	}
	opts := windowOptions(&cfg, cn, theme, term, connNotices.String())
	opts.Backend, opts.Screen, opts.Started = client, screen, true
	var wg sync.WaitGroup
	if kept != nil {
		k := archive.Keep(ctx, client, kept, log)
		opts.Backend = k
		defer k.Wait() // after cancel, below
	}
	opts.Graphics = gfx
	handed = true
	app := ui.New(opts)
	if cn.Embedded() && cn.addr != "" {
		wg.Go(func() { watchEmbedded(ctx, cn, client, app, log) })
	}
	err = app.Run(ctx)
	cancel()
	wg.Wait()
	return err
}

// terminalGraphics is how the terminal draws pictures: the protocol
// images names, or with "auto" the one the terminal says it has.
func terminalGraphics(images string) ui.Graphics {
	switch images {
	case "kitty", "iterm2", "sixel":
		return ui.Graphics{Protocol: images}
	case "auto":
		tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
		if err != nil {
			return ui.Graphics{}
		}
		defer tty.Close()
		return ui.DetectGraphics(tty, 300*time.Millisecond)
	}
	return ui.Graphics{}
}

// splash starts screen (nil: the terminal) and draws the first frame,
// before the first network reply: a far Redis shows as "connecting to
// server…", not as a terminal that did nothing.
func splash(screen tcell.Screen, theme themes.Theme, server string) (tcell.Screen, error) {
	if screen == nil {
		var err error
		if screen, err = tcell.NewScreen(); err != nil {
			return nil, fmt.Errorf("open the terminal: %w", err)
		}
	}
	if err := screen.Init(); err != nil {
		return nil, fmt.Errorf("open the terminal: %w", err)
	}
	ui.Splash(screen, theme, version, "connecting to "+server+"…")
	return screen, nil
}

// windowOptions are the window's options from the configuration and the
// connection; connNotices are what connecting said (a line each).
func windowOptions(cfg *config.Config, cn *conn, theme themes.Theme, term io.Writer, connNotices string) ui.Options {
	notices := append([]string(nil), cfg.Warnings...)
	for _, line := range strings.Split(strings.TrimSpace(connNotices), "\n") {
		if line = strings.TrimPrefix(line, "rtchat: "); line != "" {
			notices = append(notices, line)
		}
	}
	if cn.Embedded() {
		notices = append(notices, embeddedNotice)
		if cn.host != nil {
			notices = append(notices, "this window hosts the embedded server on "+cn.host.Addr+"; other rtchat windows on this machine join it")
		}
	}
	return ui.Options{
		StateFile:       cfg.WindowFile(),
		Terminal:        term,
		Tmux:            os.Getenv("TMUX") != "",
		NoSkinTones:     !ui.CombinesSkinTones(os.Getenv("TERM_PROGRAM"), os.Getenv("TERM_PROGRAM_VERSION")),
		OpenURL:         openURL,
		Images:          cfg.Images,
		DownloadDir:     cfg.DownloadDir,
		NotifyCommand:   cfg.NotifyCommand,
		Highlights:      cfg.Highlights,
		HideJoins:       !cfg.ShowJoins,
		TimestampFormat: cfg.TimestampFormat,
		Theme:           theme,
		Layout:          cfg.Layout,
		Mouse:           cfg.Mouse,
		Bidi:            bidiInWindow(cfg.Bidi, os.Getenv),
		Bell:            cfg.Bell,
		Keys:            cfg.Bindings(),
		MaxLines:        cfg.MaxLines,
		Version:         version,
		Server:          cn.server,
		LogFile:         cfg.LogFile,
		Embedded:        cn.Embedded(),
		Accounts:        cn.accounts,
		Notices:         notices,
	}
}

// bidiInWindow says whether the window lays right-to-left text out
// itself, as the bidi setting says: with "auto", unless the terminal is
// one known to do bidi on its own — VTE's (GNOME Terminal, Tilix, …:
// VTE_VERSION), Konsole (KONSOLE_VERSION) or mlterm (MLTERM) — and rtchat
// runs in it directly: inside tmux or screen the multiplexer draws the
// cells, so rtchat does it.
func bidiInWindow(setting string, getenv func(string) string) bool {
	switch setting {
	case "app":
		return true
	case "terminal", "off":
		return false
	}
	if getenv("TMUX") != "" || getenv("STY") != "" {
		return true
	}
	return getenv("VTE_VERSION") == "" && getenv("KONSOLE_VERSION") == "" && getenv("MLTERM") == ""
}

// watchEmbedded keeps an embedded chat going when the window hosting the
// server quits: the first window to notice starts a new server on the same
// address (history is lost, and every window says so); the others join it.
func watchEmbedded(ctx context.Context, cn *conn, client *chat.Client, app *ui.App, log *slog.Logger) {
	known := cn.embeddedID
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		id, err := embedded.Marker(ctx, cn.rdb)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			if !isRefused(err) || cn.host != nil {
				continue
			}
			srv, err := embedded.Start(cn.addr)
			if err != nil {
				continue // another window took over first
			}
			log.Info("took over hosting the embedded server", "addr", srv.Addr)
			cn.host, known = srv, srv.ID
			if err := client.ServerLost(ctx); err != nil {
				log.Warn("register again after the takeover", "err", err)
			}
			app.Notify("the window hosting the embedded server closed; this window hosts it now on %s — earlier history is gone", srv.Addr)
			continue
		}
		if id != known && id != "" {
			known = id
			if err := client.ServerLost(ctx); err != nil {
				log.Warn("register again on a new embedded server", "err", err)
			}
			app.Notify("the embedded server was restarted by another window — earlier history is gone")
		}
	}
}

// isRefused reports whether err is a network failure (the server is gone),
// as opposed to a reply from a server.
func isRefused(err error) bool {
	var op *net.OpError
	return unreachable(err) || errors.As(err, &op)
}

// openURL opens url in the user's browser (xdg-open, or open on macOS);
// url is passed as one argument, never through a shell.
func openURL(url string) error {
	name := "xdg-open"
	if runtime.GOOS == "darwin" {
		name = "open"
	}
	cmd := exec.Command(name, url)
	if err := cmd.Start(); errors.Is(err, exec.ErrNotFound) {
		return fmt.Errorf("%s is not installed here; install it, or save the file with s and copy a link with l", name)
	} else if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	go func() { _ = cmd.Wait() }()
	return nil
}
