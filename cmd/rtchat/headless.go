package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/rtchat/rtchat/chat"
	"github.com/rtchat/rtchat/config"
	"github.com/rtchat/rtchat/internal/embedded"
)

// session is what a headless command needs: configuration, log, connection
// and a chat client (not started).
type session struct {
	cfg    config.Config
	log    *slog.Logger
	conn   *conn
	client *chat.Client
	close  func()
}

func openSession(ctx context.Context, f *commonFlags, io stdio) (*session, error) {
	cfg, err := f.load()
	if err != nil {
		return nil, err
	}
	for _, w := range cfg.Warnings {
		fmt.Fprintf(io.err, "rtchat: warning: %s\n", w)
	}
	log, closeLog := openLog(cfg, io.err)
	cn, err := connect(ctx, &cfg, log, io.err)
	if err != nil {
		closeLog()
		return nil, err
	}
	client, err := newClient(cfg, cn, log)
	if err != nil {
		cn.Close()
		closeLog()
		return nil, err
	}
	return &session{cfg: cfg, log: log, conn: cn, client: client, close: func() { cn.Close(); closeLog() }}, nil
}

func newClient(cfg config.Config, cn *conn, log *slog.Logger) (*chat.Client, error) {
	return chat.New(chat.Options{
		Redis:           cn.rdb,
		Keys:            chat.Keys{ChannelPrefix: cfg.ChannelPrefix, MessagePrefix: cfg.MessagePrefix, UserPrefix: cfg.UserPrefix},
		User:            cfg.User,
		PageSize:        cfg.PageSize,
		MaxLen:          cfg.Retention,
		MaxMessageBytes: cfg.MaxMessageBytes,
		Logger:          log,
	})
}

func runSend(ctx context.Context, args []string, io stdio) error {
	var f commonFlags
	fs := newFlagSet("send", "[flags] CHANNEL TEXT…", "Post one message to CHANNEL (created if new) and print its stream id. TEXT - reads the message from standard input.", io.err)
	f.register(fs)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) < 2 {
		fs.Usage()
		return errUsage
	}
	channel, text := pos[0], strings.Join(pos[1:], " ")
	if err := chat.ValidateName(channel); err != nil {
		return fmt.Errorf("channel name: %w", err)
	}
	if text == "-" {
		b, err := readLimited(io.in, 1<<20+1)
		if err != nil {
			return fmt.Errorf("read the message from standard input: %w", err)
		}
		text = strings.TrimSuffix(string(b), "\n")
	}
	s, err := openSession(ctx, &f, io)
	if err != nil {
		return err
	}
	defer s.close()
	if _, err := chat.CleanText(text, s.cfg.MaxMessageBytes); err != nil {
		return err
	}
	if _, _, err := s.client.Channels.Create(ctx, channel, "", s.cfg.User); err != nil {
		return err
	}
	sent, err := s.client.BroadcastMessage(ctx, channel, text)
	if err != nil {
		return err
	}
	fmt.Fprintln(io.out, sent.ID)
	return nil
}

func readLimited(r io.Reader, n int64) ([]byte, error) {
	return io.ReadAll(io.LimitReader(r, n))
}

// jsonMessage is one line of "tail --json".
type jsonMessage struct {
	ID      string `json:"id"`
	Channel string `json:"channel"`
	User    string `json:"user"`
	Text    string `json:"text"`
	TS      string `json:"ts"`
}

func runTail(ctx context.Context, args []string, io stdio) error {
	var f commonFlags
	fs := newFlagSet("tail", "[flags] CHANNEL", "Print the last -n messages of CHANNEL; with -f keep printing new ones as they arrive, without loss or repeats.", io.err)
	f.register(fs)
	n := fs.Int("n", 20, "how many recent messages to print")
	follow := fs.Bool("f", false, "follow: keep printing new messages")
	asJSON := fs.Bool("json", false, `print one JSON object a line: {"id","channel","user","text","ts"}`)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		fs.Usage()
		return errUsage
	}
	channel := pos[0]
	if err := chat.ValidateName(channel); err != nil {
		return fmt.Errorf("channel name: %w", err)
	}
	if *n < 0 || *n > 100000 {
		return fmt.Errorf("-n %d is out of range; use 0 to 100000", *n)
	}
	s, err := openSession(ctx, &f, io)
	if err != nil {
		return err
	}
	defer s.close()
	if _, err := s.client.Channels.Get(ctx, channel); err != nil {
		if errors.Is(err, chat.ErrNoSuchChannel) {
			return fmt.Errorf("channel %q does not exist; list channels with 'rtchat channels'", channel)
		}
		return err
	}
	print := func(m chat.Message) error { return printMessage(io.out, m, *asJSON) }
	if !*follow {
		msgs, err := lastN(ctx, s.client, channel, *n)
		if err != nil {
			return err
		}
		for _, m := range msgs {
			if err := print(m); err != nil {
				return err
			}
		}
		return nil
	}
	return followChannel(ctx, s.client, channel, int64(*n), print, io.err)
}

// lastN returns the newest n messages of channel, oldest first.
func lastN(ctx context.Context, c *chat.Client, channel string, n int) ([]chat.Message, error) {
	var out []chat.Message
	before := ""
	for len(out) < n {
		page, more, err := c.History(ctx, channel, before)
		if err != nil {
			return nil, err
		}
		out = append(page, out...)
		if !more || len(page) == 0 {
			break
		}
		before = page[0].ID
	}
	if len(out) > n {
		out = out[len(out)-n:]
	}
	return out, nil
}

// followChannel prints channel's last n messages and then every new one,
// through the same lossless delivery as the full-screen client, until ctx
// ends.
func followChannel(ctx context.Context, c *chat.Client, channel string, n int64, print func(chat.Message) error, notice io.Writer) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if err := c.Start(ctx); err != nil {
		return err
	}
	defer c.Close()
	errc := make(chan error, 1)
	go func() { errc <- c.Follow(ctx, channel, max(n, 0)) }()
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-errc:
			if err != nil && ctx.Err() == nil {
				return err
			}
		case ev := <-c.Events():
			switch e := ev.(type) {
			case chat.HistoryEvent:
				for _, m := range e.Messages {
					if err := print(m); err != nil {
						return err
					}
				}
			case chat.MessageEvent:
				if e.Message.Ephemeral {
					continue
				}
				if err := print(e.Message); err != nil {
					return err
				}
			case chat.StateEvent:
				if e.State == chat.StateReconnecting && e.Attempt == 1 {
					fmt.Fprintf(notice, "rtchat: lost the connection to Redis; reconnecting…\n")
				}
			case chat.TruncatedEvent:
				fmt.Fprintf(notice, "rtchat: history truncated: older messages of %s were trimmed before they could be shown\n", e.Channel)
			}
		}
	}
}

func printMessage(w io.Writer, m chat.Message, asJSON bool) error {
	var err error
	if asJSON {
		var b []byte
		b, err = json.Marshal(jsonMessage{ID: m.ID, Channel: m.Channel, User: m.User, Text: m.Text, TS: m.Time.UTC().Format("2006-01-02T15:04:05.000Z07:00")})
		if err == nil {
			_, err = fmt.Fprintf(w, "%s\n", b)
		}
	} else {
		line := fmt.Sprintf("[%s] %s: %s", m.Time.Local().Format("2006-01-02 15:04"), m.User, m.Text)
		if m.Kind == chat.KindAction {
			line = fmt.Sprintf("[%s] * %s %s", m.Time.Local().Format("2006-01-02 15:04"), m.User, m.Text)
		}
		if m.Malformed != "" {
			line += " (odd entry: " + m.Malformed + ")"
		}
		_, err = fmt.Fprintln(w, chat.Printable(line))
	}
	if err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	return nil
}

func runChannels(ctx context.Context, args []string, io stdio) error {
	var f commonFlags
	fs := newFlagSet("channels", "[flags]", "List every channel with its description and member count.", io.err)
	f.register(fs)
	asJSON := fs.Bool("json", false, `print one JSON object a line: {"id","name","description","members","created_by"}`)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		fs.Usage()
		return errUsage
	}
	s, err := openSession(ctx, &f, io)
	if err != nil {
		return err
	}
	defer s.close()
	list, err := s.client.Channels.List(ctx)
	if err != nil {
		return err
	}
	for _, c := range list {
		if *asJSON {
			b, _ := json.Marshal(map[string]any{"id": c.ID, "name": c.Name, "description": c.Description, "members": c.Members, "created_by": c.CreatedBy})
			fmt.Fprintf(io.out, "%s\n", b)
			continue
		}
		fmt.Fprintf(io.out, "%-20s %4d  %s\n", c.Name, c.Members, chat.Printable(c.Description))
	}
	if len(list) == 0 && !*asJSON {
		fmt.Fprintln(io.err, "no channels yet; create one with 'rtchat send NAME TEXT' or /join NAME")
	}
	return nil
}

func runServe(ctx context.Context, args []string, io stdio) error {
	fs := newFlagSet("serve", "[--addr 127.0.0.1:6379]", "Run the embedded in-memory server in the foreground until Ctrl+C. Data lives only as long as this process.", io.err)
	addr := fs.String("addr", embedded.DefaultAddr, "address to listen on (loopback recommended)")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	srv, err := embedded.Start(*addr)
	if err != nil {
		return fmt.Errorf("%w; is another server already listening there?", err)
	}
	defer srv.Close()
	fmt.Fprintf(io.err, "rtchat: embedded server listening on %s (in memory only; Ctrl+C stops it)\n", srv.Addr)
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	lastOpen, lastTotal := 0, 0
	for {
		select {
		case <-ctx.Done():
			fmt.Fprintf(io.err, "rtchat: embedded server stopped\n")
			return nil
		case <-tick.C:
			open, total := srv.Connections()
			if open == lastOpen && total == lastTotal {
				continue
			}
			fmt.Fprintf(io.err, "rtchat: %s %d new connection(s), %d open\n", time.Now().Format("15:04:05"), total-lastTotal, open)
			lastOpen, lastTotal = open, total
		}
	}
}
