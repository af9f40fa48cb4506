package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rtchat/rtchat/chat"
	"github.com/rtchat/rtchat/config"
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

func openSession(ctx context.Context, f *commonFlags, std stdio) (*session, error) {
	cfg, err := f.load()
	if err != nil {
		return nil, err
	}
	for _, w := range cfg.Warnings {
		fmt.Fprintf(std.err, "rtchat: warning: %s\n", w)
	}
	log, closeLog := openLog(cfg, std.err)
	cn, err := connect(ctx, &cfg, log, std.err)
	if err == nil {
		if err = cn.identify(ctx, &cfg); err != nil {
			cn.Close()
		}
	}
	if err != nil {
		closeLog()
		return nil, err
	}
	client, err := newClient(cfg, cn, log, false)
	if err != nil {
		cn.Close()
		closeLog()
		return nil, err
	}
	return &session{cfg: cfg, log: log, conn: cn, client: client, close: func() { cn.Close(); closeLog() }}, nil
}

// newClient makes the chat client; autoJoin is for the full-screen client
// (see chat.Options.AutoJoin).
func newClient(cfg config.Config, cn *conn, log *slog.Logger, autoJoin bool) (*chat.Client, error) {
	signer, err := loadSigner(cfg, log)
	if err != nil {
		return nil, err
	}
	var pins chat.KeyPins
	if f := cfg.PinFile(); f != "" {
		pins = chat.NewFilePins(f, cn.server)
	}
	return chat.New(chat.Options{
		Redis:            cn.rdb,
		Keys:             keysOf(cfg),
		User:             cfg.User,
		AutoJoin:         autoJoin,
		Signer:           signer,
		Accounts:         cn.accounts,
		Pins:             pins,
		PageSize:         cfg.PageSize,
		MaxLen:           cfg.Retention,
		MaxMessageBytes:  cfg.MaxMessageBytes,
		ReplicaSubscribe: cfg.Redis.ReplicaSubscribe,
		Logger:           log,
	})
}

// keysOf is the key schema cfg configures.
func keysOf(cfg config.Config) chat.Keys {
	k := chat.DefaultKeys()
	k.ChannelPrefix, k.MessagePrefix, k.UserPrefix = cfg.ChannelPrefix, cfg.MessagePrefix, cfg.UserPrefix
	return k
}

// loadSigner reads (or makes) the device's signing key of the user.
// Without a folder for it (no home) the key lives in memory: messages are
// signed, by a key other readers learn anew at every start.
func loadSigner(cfg config.Config, log *slog.Logger) (*chat.Signer, error) {
	path := cfg.KeyFile()
	if path == "" {
		log.Warn("no folder for the signing key (set HOME or key_dir); using a key for this run only")
		return chat.NewSigner(), nil
	}
	return chat.LoadSigner(path)
}

// maxStdin is the most a message read from standard input may be (the
// configured limit is checked after; this only bounds the read).
const maxStdin = 1 << 20

func runSend(ctx context.Context, args []string, std stdio) error {
	var f commonFlags
	fs := newFlagSet("send", "[flags] CHANNEL|@PERSON TEXT…", "Post one message to CHANNEL (created if new) or to PERSON directly, and print its stream id. TEXT - reads the message from standard input.", std.err)
	f.register(fs)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) < 2 {
		fs.Usage()
		return errUsage
	}
	channel, text := strings.TrimPrefix(pos[0], "#"), strings.Join(pos[1:], " ")
	if err := chat.ValidateConv(channel); err != nil {
		return fmt.Errorf("channel name (or @person): %w", err)
	}
	if text == "-" {
		b, err := io.ReadAll(io.LimitReader(std.in, maxStdin+1))
		if err != nil {
			return fmt.Errorf("read the message from standard input: %w", err)
		}
		text = strings.TrimSuffix(string(b), "\n")
	}
	s, err := openSession(ctx, &f, std)
	if err != nil {
		return err
	}
	defer s.close()
	if _, err := chat.CleanText(text, s.cfg.MaxMessageBytes); err != nil {
		return err
	}
	// Through a failover (a master gone, its replica not yet promoted),
	// registering the signing key and opening the conversation (creating
	// a new channel) are retried like the send itself.
	if err := retrying(ctx, s.conn.rdb, chat.DefaultSendTimeout, func() (err error) {
		if err := s.client.RegisterKey(ctx); err != nil {
			return err
		}
		if channel, err = s.client.Resolve(ctx, channel); err != nil {
			return err
		}
		_, err = s.client.Open(ctx, channel)
		return err
	}); err != nil {
		return err
	}
	sent, err := s.client.BroadcastMessage(ctx, channel, text)
	if err != nil {
		return err
	}
	fmt.Fprintln(std.out, sent.ID)
	return nil
}

// retrying runs f until it succeeds, fails for good (chat.Retryable), or
// timeout passes, with the reconnect backoff between tries. On a cluster
// it asks for the slots again before each retry (a failover moved them).
func retrying(ctx context.Context, rdb redis.UniversalClient, timeout time.Duration, f func() error) error {
	deadline := time.Now().Add(timeout)
	for attempt := 1; ; attempt++ {
		err := f()
		if err == nil || !chat.Retryable(err) || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(chat.Backoff(attempt, 2*time.Second)):
		}
		if cl, ok := rdb.(*redis.ClusterClient); ok {
			cl.ReloadState(ctx)
		}
	}
}

// jsonMessage is one line of "tail --json".
type jsonMessage struct {
	ID      chat.ID `json:"id"`
	Channel string  `json:"channel"`
	User    string  `json:"user"`
	Text    string  `json:"text"`
	TS      string  `json:"ts"`
	// Verified is true when the message is signed by a key of its author.
	Verified bool   `json:"verified"`
	Odd      string `json:"odd,omitempty"`
}

func runTail(ctx context.Context, args []string, std stdio) error {
	var f commonFlags
	fs := newFlagSet("tail", "[flags] CHANNEL|@PERSON", "Print the last -n messages of CHANNEL; with -f keep printing new ones as they arrive, without loss or repeats.", std.err)
	f.register(fs)
	n := fs.Int("n", 20, "how many recent messages to print")
	follow := fs.Bool("f", false, "follow: keep printing new messages")
	asJSON := fs.Bool("json", false, `print one JSON object a line: {"id","channel","user","text","ts","verified"}`)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		fs.Usage()
		return errUsage
	}
	channel := strings.TrimPrefix(pos[0], "#")
	if err := chat.ValidateConv(channel); err != nil {
		return fmt.Errorf("channel name (or @person): %w", err)
	}
	if *n < 0 || *n > 100000 {
		return fmt.Errorf("-n %d is out of range; use 0 to 100000", *n)
	}
	s, err := openSession(ctx, &f, std)
	if err != nil {
		return err
	}
	defer s.close()
	if channel, err = s.client.Resolve(ctx, channel); err != nil {
		return err
	}
	if _, err := s.client.Channel(ctx, channel); err != nil {
		if errors.Is(err, chat.ErrNoSuchChannel) {
			return fmt.Errorf("channel %q does not exist; list channels with 'rtchat channels'", channel)
		}
		return err
	}
	print := func(msgs ...chat.Message) error { return printMessages(ctx, s.client, std, msgs, *asJSON) }
	if !*follow {
		msgs, err := lastN(ctx, s.client, channel, *n)
		if err != nil {
			return err
		}
		return print(msgs...)
	}
	return followChannel(ctx, s.client, channel, int64(*n), print, std.err)
}

// lastN returns the newest n messages of channel, oldest first.
func lastN(ctx context.Context, c *chat.Client, channel string, n int) ([]chat.Message, error) {
	var out []chat.Message
	var before chat.ID
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
// ends. What happens to the link is said on notice.
func followChannel(ctx context.Context, c *chat.Client, channel string, n int64, print func(...chat.Message) error, notice io.Writer) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if err := c.Start(ctx); err != nil {
		return err
	}
	defer c.Close()
	errc := make(chan error, 1)
	go func() { errc <- c.Follow(ctx, channel, max(n, 0)) }()
	lost := false
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-errc:
			if err != nil && ctx.Err() == nil {
				return err
			}
		case ev := <-c.Events():
			if err := tailEvent(ev, print, notice, &lost); err != nil {
				return err
			}
		}
	}
}

// tailEvent prints one event of "tail -f"; lost says whether the link is
// down, so that its return is said once.
func tailEvent(ev chat.Event, print func(...chat.Message) error, notice io.Writer, lost *bool) error {
	switch e := ev.(type) {
	case chat.HistoryEvent:
		return print(e.Messages...)
	case chat.MessageEvent:
		if !e.Message.Ephemeral {
			return print(e.Message)
		}
	case chat.StateEvent:
		switch {
		case e.State == chat.StateReconnecting && errors.Is(e.Err, chat.ErrAuth) && !*lost:
			fmt.Fprintf(notice, "rtchat: Redis now asks for a password; stop and start again with REDIS_PASSWORD set\n")
			*lost = true
		case e.State == chat.StateReconnecting && !*lost:
			fmt.Fprintf(notice, "rtchat: lost the connection to Redis; reconnecting…\n")
			*lost = true
		case e.State == chat.StateStalled && !*lost:
			fmt.Fprintf(notice, "rtchat: no answer from Redis; waiting…\n")
			*lost = true
		case e.State == chat.StateConnected && *lost:
			fmt.Fprintf(notice, "rtchat: connected to Redis again; nothing was missed\n")
			*lost = false
		}
	case chat.TruncatedEvent:
		fmt.Fprintf(notice, "rtchat: history truncated: older messages of %s were trimmed before they could be shown\n", e.Channel)
	case chat.ResetEvent:
		fmt.Fprintf(notice, "rtchat: the server lost its data (flushed, or restarted without saving); earlier history is gone\n")
	case chat.NoticeEvent:
		fmt.Fprintf(notice, "rtchat: %s\n", e.Text)
	case chat.RetractedEvent:
		for _, id := range e.IDs {
			fmt.Fprintf(notice, "rtchat: the message printed as %s was not stored in Redis: someone published it on the channel's topic; disregard it\n", id)
		}
	}
	return nil
}

// rfc3339Milli is tail --json's time format.
const rfc3339Milli = "2006-01-02T15:04:05.000Z07:00"

// printMessages verifies msgs (saying on standard error when a person's
// keys changed) and prints them.
func printMessages(ctx context.Context, c *chat.Client, std stdio, msgs []chat.Message, asJSON bool) error {
	if len(msgs) == 0 {
		return nil
	}
	verified, notices, err := c.VerifyNow(ctx, msgs...)
	if err != nil {
		return err
	}
	for _, n := range notices {
		fmt.Fprintf(std.err, "rtchat: %s\n", n)
	}
	for i, m := range msgs {
		if err := printMessage(std.out, m, verified[i], asJSON); err != nil {
			return err
		}
	}
	return nil
}

// printMessage prints m; a message not known to be its author's has "⚠ "
// before the name (plain) or "verified": false (JSON).
func printMessage(w io.Writer, m chat.Message, verified, asJSON bool) error {
	var err error
	if asJSON {
		var b []byte
		b, err = json.Marshal(jsonMessage{ID: m.ID, Channel: m.Channel, User: m.User, Text: m.Text, TS: m.Time.UTC().Format(rfc3339Milli), Verified: verified, Odd: m.Malformed})
		if err == nil {
			_, err = fmt.Fprintf(w, "%s\n", b)
		}
	} else {
		stamp := "[" + m.Time.Local().Format("2006-01-02 15:04") + "] "
		head := m.User + ": "
		if m.Kind == chat.KindAction {
			head = "* " + m.User + " "
		}
		if !verified {
			head = "⚠ " + head
		}
		text := m.Text
		if m.Malformed != "" {
			text += " (odd entry: " + m.Malformed + ")"
		}
		_, err = fmt.Fprintln(w, stamp+chat.Printable(head)+indentLines(chat.Printable(chat.TidyBlankLines(text))))
	}
	if err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	return nil
}

// continuation starts every line of a message after its first, so that no
// line of a message can pass for another message (or channel) the way a
// forged "[08:29] bob: …" would.
const continuation = "    │ "

// indentLines indents every line of s after the first.
func indentLines(s string) string { return strings.ReplaceAll(s, "\n", "\n"+continuation) }

// privateMark follows the name of a private channel.
const privateMark = "🔒"

func runChannels(ctx context.Context, args []string, std stdio) error {
	var f commonFlags
	fs := newFlagSet("channels", "[flags]", "List every channel with its description and member count.", std.err)
	f.register(fs)
	asJSON := fs.Bool("json", false, `print one JSON object a line: {"id","name","private","description","members","created_by"}`)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		fs.Usage()
		return errUsage
	}
	s, err := openSession(ctx, &f, std)
	if err != nil {
		return err
	}
	defer s.close()
	list, err := s.client.ListChannels(ctx)
	var odd *chat.OddKeysError
	switch {
	case errors.As(err, &odd):
		fmt.Fprintf(std.err, "rtchat: %v\n", odd)
	case err != nil:
		return err
	}
	for _, c := range list {
		name, _ := chat.PrivateName(c.Name)
		if !c.Private {
			name = c.Name
		}
		if *asJSON {
			b, _ := json.Marshal(map[string]any{"id": c.ID, "name": name, "private": c.Private, "description": c.Description, "members": c.Members, "created_by": c.CreatedBy})
			fmt.Fprintf(std.out, "%s\n", b)
			continue
		}
		desc := indentLines(chat.Printable(c.Description))
		if c.Private {
			desc = strings.TrimSpace(privateMark + " private  " + desc)
		}
		fmt.Fprintf(std.out, "%-20s %4d  %s\n", name, c.Members, desc)
	}
	if len(list) == 0 && !*asJSON {
		fmt.Fprintln(std.err, "no channels yet; create one with 'rtchat send NAME TEXT' or /join NAME")
	}
	return nil
}
