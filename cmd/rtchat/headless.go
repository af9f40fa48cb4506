package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rtchat/rtchat/archive"
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
	// archive is the person's local archive, when the command asked for
	// it (commonFlags.archive) and there is one.
	archive *archive.Archive
	close   func()
	// ahead is set when the reads openSession's ahead queued rode on the
	// first exchange, as the user the session is: their answers stand.
	ahead bool
}

// openSession connects as cfg says and makes the chat client. ahead, when
// not nil, queues on the first exchange the reads the command makes next
// (on a client for the configured user); session.ahead says whether they
// stand (else the command makes them itself).
func openSession(ctx context.Context, f *commonFlags, std stdio, ahead func(*chat.Client, redis.Pipeliner)) (*session, error) {
	cfg, err := f.load()
	if err != nil {
		return nil, err
	}
	for _, w := range cfg.Warnings {
		fmt.Fprintf(std.err, "rtchat: warning: %s\n", w)
	}
	log, closeLog := openLog(cfg, std.err)
	if name := cfg.RedisUsername(); !cfg.UserSet && name != "" && name != "default" && chat.ValidateAccount(name) == nil {
		// Signing in as an account, one is the account (identify checks
		// it): its key, and the reads ahead, are its.
		cfg.User = name
	}
	signer, err := loadSigner(cfg, log)
	if err != nil {
		closeLog()
		return nil, err
	}
	signerOf := cfg.User
	var queue func(redis.UniversalClient, redis.Pipeliner)
	var aheadUser string
	if ahead != nil {
		queue = func(rdb redis.UniversalClient, pipe redis.Pipeliner) {
			c, err := chat.New(clientOptions(cfg, rdb, signer, log))
			if err != nil {
				return
			}
			aheadUser = cfg.User
			ahead(c, pipe)
		}
	}
	var patience time.Duration
	if f.patient {
		patience = chat.DefaultSendTimeout
	}
	cn, err := connect(ctx, &cfg, log, std.err, queue, patience)
	if err == nil {
		if err = cn.identify(ctx, &cfg); err != nil {
			cn.Close()
		}
	}
	if err == nil && cfg.User != signerOf {
		// Signed in as an account: the device's key is the account's,
		// the one the full-screen client signs with.
		if signer, err = loadSigner(cfg, log); err != nil {
			cn.Close()
		}
	}
	if err != nil {
		closeLog()
		return nil, err
	}
	var index *archive.Archive
	if f.archive {
		index = openArchive(cfg, false, log)
	}
	client, err := newClientWith(cfg, cn, log, false, signer, indexOf(index))
	if err != nil {
		if index != nil {
			index.Close()
		}
		cn.Close()
		closeLog()
		return nil, err
	}
	s := &session{cfg: cfg, log: log, conn: cn, client: client, archive: index, close: func() {
		if index != nil {
			index.Close()
		}
		cn.Close()
		closeLog()
	}}
	s.ahead = cn.aheadRan && aheadUser != "" && aheadUser == cfg.User
	return s, nil
}

// newClient makes the chat client; autoJoin is for the full-screen client
// (see chat.Options.AutoJoin).
func newClient(cfg config.Config, cn *conn, log *slog.Logger, autoJoin bool, index chat.Index) (*chat.Client, error) {
	signer, err := loadSigner(cfg, log)
	if err != nil {
		return nil, err
	}
	return newClientWith(cfg, cn, log, autoJoin, signer, index)
}

// newClientWith is newClient with the device's signer loaded.
func newClientWith(cfg config.Config, cn *conn, log *slog.Logger, autoJoin bool, signer *chat.Signer, index chat.Index) (*chat.Client, error) {
	o := clientOptions(cfg, cn.rdb, signer, log)
	o.Index = index
	o.AutoJoin, o.Accounts = autoJoin, cn.accounts
	if cn.Embedded() {
		o.Scripts = chat.ScriptsEval // miniredis has no functions
	}
	if f := cfg.PinFile(); f != "" {
		o.Pins = chat.NewFilePins(f, cn.server)
	}
	return chat.New(o)
}

// clientOptions are the chat client's options for cfg on rdb.
func clientOptions(cfg config.Config, rdb redis.UniversalClient, signer *chat.Signer, log *slog.Logger) chat.Options {
	return chat.Options{
		Redis:    rdb,
		Keys:     keysOf(cfg),
		User:     cfg.User,
		Signer:   signer,
		PageSize: cfg.PageSize,
		MaxLen:   cfg.Retention,
		// A window that hosts the embedded server anew gives it a new
		// marker: the clients on it (tail beside that window too) know
		// it for a new server by that.
		InstanceKey:      embedded.MarkerKey,
		MaxMessageBytes:  cfg.MaxMessageBytes,
		MaxFileBytes:     cfg.MaxFileBytes,
		ReplicaSubscribe: cfg.Redis.ReplicaSubscribe,
		Logger:           log,
	}
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
	fs := newFlagSet("send", "[flags] CHANNEL|@PERSON TEXT…", "Post one message to CHANNEL (created if new) or to PERSON directly, and print its stream id. TEXT - reads the message from standard input. With --file, TEXT is the file's caption (and may be left out).", std.err)
	f.register(fs)
	replyTo := fs.String("reply-to", "", "stream `ID` of the message this one answers (it is quoted above it)")
	thread := fs.Bool("thread", false, "with --reply-to: put the message in that message's thread")
	file := fs.String("file", "", "send the file at `PATH` (- reads it from standard input; give --name)")
	fileName := fs.String("name", "", "with --file: the file's `NAME` as others see it (default: the path's last part)")
	lines := fs.Bool("lines", false, "post each line of standard input as a message, in order, over one connection (for tail -f app.log | rtchat send --lines ops)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if *lines {
		if len(pos) != 1 || *file != "" || *replyTo != "" {
			return errors.New("send --lines takes the conversation alone and reads the messages from standard input: rtchat send --lines CHANNEL")
		}
		return postLines(ctx, &f, std, pos[0])
	}
	if len(pos) < 2 && (*file == "" || len(pos) < 1) {
		fs.Usage()
		return errUsage
	}
	text := strings.Join(pos[1:], " ")
	var up *chat.Upload
	if *file != "" {
		cfg, err := f.load()
		if err != nil {
			return err
		}
		if up, err = openUpload(*file, *fileName, text == "-", std, cfg.MaxFileBytes); err != nil {
			return err
		}
		if c, ok := up.Body.(io.Closer); ok {
			defer c.Close()
		}
		if text == "-" {
			text = ""
		}
	}
	if text == "-" {
		b, err := io.ReadAll(io.LimitReader(std.in, maxStdin+1))
		if err != nil {
			return fmt.Errorf("read the message from standard input: %w", err)
		}
		text = strings.TrimSuffix(string(b), "\n")
	}
	d := chat.Draft{Text: text}
	switch {
	case *thread && *replyTo == "":
		return errors.New("--thread needs --reply-to ID: the message whose thread it goes to")
	case *replyTo != "":
		id, err := chat.ParseID(*replyTo)
		if err != nil {
			return fmt.Errorf("--reply-to: %w", err)
		}
		if d.ReplyTo = id; *thread {
			d.ReplyTo, d.Thread = chat.ID{}, id
		}
	}
	if up != nil {
		up.Caption, up.ReplyTo, up.Thread = text, d.ReplyTo, d.Thread
		return postFile(ctx, &f, std, pos[0], up)
	}
	return post(ctx, &f, std, pos[0], d)
}

// post stores draft d in conversation name (as typed: a channel, created
// if new, or @person) and prints its stream id.
func post(ctx context.Context, f *commonFlags, std stdio, name string, d chat.Draft) error {
	return postWith(ctx, f, std, name, d, nil)
}

// postFile sends file up to conversation name, as post sends a message.
func postFile(ctx context.Context, f *commonFlags, std stdio, name string, up *chat.Upload) error {
	return postWith(ctx, f, std, name, chat.Draft{Text: up.Caption}, up)
}

func postWith(ctx context.Context, f *commonFlags, std stdio, name string, d chat.Draft, up *chat.Upload) error {
	s, conv, err := openConv(ctx, f, std, name, d.Kind.Shown(), func(s *session) error {
		if up != nil {
			return s.client.CheckFileSize(up.Size)
		}
		if d.Kind.Shown() {
			_, err := chat.CleanText(d.Text, s.cfg.MaxMessageBytes)
			return err
		}
		return nil
	})
	if err != nil {
		return err
	}
	defer s.close()
	d.Channel = conv
	var sent chat.Sent
	if up != nil {
		up.Channel = conv
		bar := newProgressBar(std, "sending "+up.Name)
		up.Progress = bar.update
		sent, err = s.client.SendFile(ctx, *up)
		bar.done()
	} else {
		sent, err = s.client.Broadcast(ctx, d)
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(std.out, sent.ID)
	return nil
}

// openConv opens a session and gets conversation name ready (a channel,
// created if new and create is set, or @person), checking first what
// check checks; it returns the session (the caller closes it) and the
// conversation's name.
func openConv(ctx context.Context, f *commonFlags, std stdio, name string, create bool, check func(*session) error) (*session, string, error) {
	channel := strings.TrimPrefix(name, "#")
	if err := chat.ValidateConv(channel); err != nil {
		return nil, "", fmt.Errorf("channel name (or @person): %w", err)
	}
	// Getting ready (the signing key, the name, the channel) rides on
	// the connection's first exchange.
	var ready func(context.Context) (chat.Prepared, error)
	f.patient = true // a server restarting is waited out, as a failover is
	s, err := openSession(ctx, f, std, func(c *chat.Client, pipe redis.Pipeliner) {
		ready = c.QueuePrepare(ctx, pipe, channel, create)
	})
	if err != nil {
		return nil, "", err
	}
	if err := check(s); err != nil {
		s.close()
		return nil, "", err
	}
	var p chat.Prepared
	if s.ahead {
		p, err = ready(ctx)
	}
	// Through a failover (a master gone, its replica not yet promoted),
	// registering the signing key and opening the conversation (creating
	// a new channel) are retried like the send itself.
	if !s.ahead || chat.Retryable(err) {
		err = retrying(ctx, s.conn.rdb, chat.DefaultSendTimeout, func() (err error) {
			p, err = s.client.Prepare(ctx, name, create)
			return err
		})
	}
	if err != nil {
		s.close()
		return nil, "", err
	}
	if p.Created {
		// A typo makes a new channel: say so at once.
		fmt.Fprintf(std.err, "created %s\n", chat.Display(p.Conv))
	}
	return s, p.Conv, nil
}

// maxLinesBatch is the most lines one round trip of send --lines carries.
const maxLinesBatch = 512

// postLines posts each line of standard input to conversation name as a
// message, in order, over one connection: the lines read so far go out
// together in one pipeline (so a burst costs a few round trips, and a
// slow trickle, as from tail -f, goes out line by line as it comes). A
// blank line is skipped; a line over the size limit is skipped with a
// warning. It prints each message's stream id.
func postLines(ctx context.Context, f *commonFlags, std stdio, name string) error {
	s, conv, err := openConv(ctx, f, std, name, true, func(*session) error { return nil })
	if err != nil {
		return err
	}
	defer s.close()
	type line struct {
		n    int
		text string
	}
	lines := make(chan line, maxLinesBatch)
	readErr := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(std.in)
		sc.Buffer(make([]byte, 64<<10), maxStdin)
		err := func() error {
			for n := 1; sc.Scan(); n++ {
				select {
				case lines <- line{n, sc.Text()}:
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			return sc.Err()
		}()
		readErr <- err // before the close: read once lines ends
		close(lines)
	}()
	out := bufio.NewWriter(std.out)
	defer out.Flush()
	batch := make([]chat.Draft, 0, maxLinesBatch)
	for {
		var l line
		var ok bool
		select {
		case l, ok = <-lines:
		case <-ctx.Done():
			return ctx.Err()
		}
		if !ok {
			break
		}
		batch = batch[:0]
		add := func(l line) {
			if strings.TrimSpace(l.text) == "" {
				return
			}
			if _, err := chat.CleanText(l.text, s.cfg.MaxMessageBytes); err != nil {
				fmt.Fprintf(std.err, "rtchat: line %d not sent: %v\n", l.n, err)
				return
			}
			batch = append(batch, chat.Draft{Channel: conv, Text: l.text})
		}
		add(l)
	more:
		for len(batch) < maxLinesBatch {
			select {
			case l, ok := <-lines:
				if !ok {
					break more
				}
				add(l)
			default:
				break more
			}
		}
		if len(batch) == 0 {
			continue
		}
		sent, err := s.client.BroadcastAll(ctx, batch)
		for _, m := range sent {
			fmt.Fprintln(out, m.ID)
		}
		if err != nil {
			return err
		}
		if len(lines) == 0 {
			out.Flush() // a trickle: say at once what was sent
		}
	}
	if err := <-readErr; err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return fmt.Errorf("a line of standard input is over %d bytes; send it with 'rtchat send CHANNEL -'", maxStdin)
		}
		return fmt.Errorf("read standard input: %w", err)
	}
	return nil
}

// runChange edits, deletes or reacts to a message (kind), as the
// commands edit, delete and react do.
func runChange(kind chat.Kind) func(ctx context.Context, args []string, std stdio) error {
	return func(ctx context.Context, args []string, std stdio) error {
		use := map[chat.Kind]struct {
			name, args, about string
			n                 int // positional arguments (an edit's text may be more)
		}{
			chat.KindEdit:   {"edit", "[flags] CHANNEL ID TEXT…", "Replace the text of your message ID of CHANNEL (TEXT - reads it from standard input); prints the edit's stream id.", 3},
			chat.KindDelete: {"delete", "[flags] CHANNEL ID", "Delete your message ID of CHANNEL for everyone (the stream keeps an entry that says so); prints that entry's stream id.", 2},
			chat.KindReact:  {"react", "[flags] CHANNEL ID EMOJI", "React to message ID of CHANNEL with EMOJI (or a :shortcode: like :+1:); reacting again takes it back.", 3},
		}[kind]
		n := use.n
		var f commonFlags
		fs := newFlagSet(use.name, use.args, use.about, std.err)
		f.register(fs)
		pos, err := parse(fs, args)
		if err != nil {
			return err
		}
		if len(pos) < n || (kind != chat.KindEdit && len(pos) > n) {
			fs.Usage()
			return errUsage
		}
		id, err := chat.ParseID(pos[1])
		if err != nil {
			return fmt.Errorf("message id: %w", err)
		}
		d := chat.Draft{Kind: kind, Ref: id, Text: strings.Join(pos[2:], " ")}
		if kind == chat.KindEdit && d.Text == "-" {
			b, err := io.ReadAll(io.LimitReader(std.in, maxStdin+1))
			if err != nil {
				return fmt.Errorf("read the text from standard input: %w", err)
			}
			d.Text = strings.TrimSuffix(string(b), "\n")
		}
		return post(ctx, &f, std, pos[0], d)
	}
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
	names := fs.Bool("names", false, "print only the names, one a line (for shell completion)")
	if _, err := parseN(fs, args, 0, 0); err != nil {
		return err
	}
	// The channel names ride on the connection's first exchange.
	var listed func(context.Context) ([]chat.Channel, error)
	s, err := openSession(ctx, &f, std, func(c *chat.Client, pipe redis.Pipeliner) {
		listed = c.QueueListChannels(ctx, pipe)
	})
	if err != nil {
		return err
	}
	defer s.close()
	if !s.ahead {
		listed = s.client.ListChannels
	}
	list, err := listed(ctx)
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
		if *names {
			fmt.Fprintln(std.out, name)
			continue
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
