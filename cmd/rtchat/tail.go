package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/redis/go-redis/v9"
	"github.com/rtchat/rtchat/chat"
)

// jsonMessage is one line of "tail --json".
type jsonMessage struct {
	ID      chat.ID `json:"id"`
	Channel string  `json:"channel"`
	User    string  `json:"user"`
	// Text is what the message says now (its latest edit; "" deleted).
	Text string `json:"text"`
	TS   string `json:"ts"`
	// Verified is true when what is shown is signed by a key of its author.
	Verified bool `json:"verified"`
	// Bot is true for a message of an integration (a hook), never a
	// person's: a bot reading tail --json must not answer it.
	Bot bool `json:"bot,omitempty"`
	// As is the name a hook gave this message (Slack's username and
	// icon_emoji), shown beside the hook's own.
	As string `json:"as,omitempty"`
	// ReplyTo is the message it answers, Thread the root of the thread it
	// is in.
	ReplyTo *chat.ID `json:"reply_to,omitempty"`
	Thread  *chat.ID `json:"thread,omitempty"`
	Edited  bool     `json:"edited,omitempty"`
	Deleted bool     `json:"deleted,omitempty"`
	// Reactions count the reactions by emoji; Replies the thread's size.
	Reactions map[string]int `json:"reactions,omitempty"`
	Replies   int            `json:"replies,omitempty"`
	Odd       string         `json:"odd,omitempty"`
	// File describes the file the message carries.
	File *jsonFile `json:"file,omitempty"`
}

func runTail(ctx context.Context, args []string, std stdio) error {
	var f commonFlags
	fs := newFlagSet("tail", "[flags] CHANNEL|@PERSON", "Print the last -n messages of CHANNEL; with -f keep printing new ones as they arrive, without loss or repeats, and a message again when it is edited, deleted or reacted to.", std.err)
	f.register(fs)
	n := fs.Int("n", 20, "how many recent messages to print")
	follow := fs.Bool("f", false, "follow: keep printing new messages")
	asJSON := fs.Bool("json", false, `print one JSON object a line: {"id","channel","user","text","ts","verified"} and, where they apply, "bot","as","reply_to","thread","edited","deleted","reactions","replies","file"`)
	thread := fs.String("thread", "", "print the thread of message `ID` (its root, then its replies) instead of the channel")
	pos, err := parseN(fs, args, 1, 1)
	if err != nil {
		return err
	}
	channel := strings.TrimPrefix(pos[0], "#")
	if err := chat.ValidateConv(channel); err != nil {
		return fmt.Errorf("channel name (or @person): %w", err)
	}
	if *n < 0 || *n > 100000 {
		return fmt.Errorf("-n %d is out of range; use 0 to 100000", *n)
	}
	var root chat.ID
	if *thread != "" {
		if root, err = chat.ParseID(*thread); err != nil {
			return fmt.Errorf("--thread: %w", err)
		}
	}
	// The common case (the newest lines of a channel) rides on the
	// connection's first exchange: resolve, check, read.
	var newest func(context.Context) (string, []chat.Message, bool, error)
	common := !*follow && root.IsZero()
	var ahead func(*chat.Client, redis.Pipeliner)
	if common {
		ahead = func(c *chat.Client, pipe redis.Pipeliner) { newest = c.QueueNewest(ctx, pipe, channel, int64(*n)) }
	}
	s, err := openSession(ctx, &f, std, ahead)
	if err != nil {
		return err
	}
	defer s.close()
	t := &tailer{c: s.client, std: std, asJSON: *asJSON, root: root, shown: map[chat.ID]*chat.Message{}}
	if common {
		if !s.ahead {
			newest = func(ctx context.Context) (string, []chat.Message, bool, error) {
				return s.client.Newest(ctx, channel, int64(*n))
			}
		}
		return t.printNewest(ctx, channel, *n, newest)
	}
	if channel, err = s.client.Resolve(ctx, channel); err != nil {
		return err
	}
	if _, err := s.client.Channel(ctx, channel); err != nil {
		return noChannel(channel, err)
	}
	if *follow && root.IsZero() {
		return t.follow(ctx, channel, int64(*n)) // its first page is the last n
	}
	first, err := t.first(ctx, channel, *n)
	if err != nil {
		return err
	}
	if err := t.print(ctx, first...); err != nil {
		return err
	}
	if !*follow {
		return nil
	}
	return t.follow(ctx, channel, 0) // the thread was printed; no channel page
}

// printNewest prints the newest n messages of channel: newest reads the
// last page, older pages come after it when n asks for more.
func (t *tailer) printNewest(ctx context.Context, channel string, n int, newest func(context.Context) (string, []chat.Message, bool, error)) error {
	conv, page, more, err := newest(ctx)
	if err != nil {
		return noChannel(channel, err)
	}
	if len(page) < n && more && len(page) > 0 {
		older, err := lastN(ctx, t.c, conv, n-len(page), page[0].ID)
		if err != nil {
			return err
		}
		page = append(older, page...)
	}
	return t.print(ctx, page...)
}

// tailer prints messages as "rtchat tail" does: plain or JSON, verified,
// with their state; it remembers what it printed so that a change of it
// prints it again.
type tailer struct {
	c      *chat.Client
	std    stdio
	asJSON bool
	// root is the thread printed (zero: the channel).
	root  chat.ID
	shown map[chat.ID]*chat.Message
	order []chat.ID
	// wiped is set when the server lost its data since the link was
	// last up: its return is no "nothing was missed".
	wiped bool
}

// maxShown bounds the messages a tailer remembers for updates.
const maxShown = 10000

// first returns what tail prints first: the newest n messages of channel,
// or the thread's root and its newest n replies.
func (t *tailer) first(ctx context.Context, channel string, n int) ([]chat.Message, error) {
	if t.root.IsZero() {
		return lastN(ctx, t.c, channel, n, chat.ID{})
	}
	r, replies, err := t.c.Thread(ctx, channel, t.root)
	if err != nil {
		return nil, err
	}
	if len(replies) > n {
		replies = replies[len(replies)-n:]
	}
	return append([]chat.Message{r}, replies...), nil
}

// noChannel says how to find a channel when err is that it does not
// exist.
func noChannel(channel string, err error) error {
	if errors.Is(err, chat.ErrNoSuchChannel) {
		return fmt.Errorf("channel %q does not exist; list channels with 'rtchat channels'", channel)
	}
	return err
}

// lastN returns the newest n messages of channel before before (the zero
// ID: the newest of all), oldest first.
func lastN(ctx context.Context, c *chat.Client, channel string, n int, before chat.ID) ([]chat.Message, error) {
	var out []chat.Message
	for len(out) < n {
		p, err := c.History(ctx, channel, before)
		if err != nil {
			return nil, err
		}
		out = append(p.Messages, out...)
		if !p.More || len(p.Messages) == 0 {
			break
		}
		before = p.Messages[0].ID
	}
	if len(out) > n {
		out = out[len(out)-n:]
	}
	return out, nil
}

// wanted reports whether m is a line of what is tailed: the channel's
// messages (not thread replies), or the thread's root and replies.
func (t *tailer) wanted(m *chat.Message) bool {
	if !m.Kind.Shown() || m.Ephemeral {
		return false
	}
	if t.root.IsZero() {
		return m.Thread.IsZero()
	}
	return m.ID == t.root || m.Thread == t.root
}

// print verifies msgs (saying on standard error when a person's keys
// changed), prints the wanted ones and remembers them.
func (t *tailer) print(ctx context.Context, msgs ...chat.Message) error {
	var out []chat.Message
	for _, m := range msgs {
		if t.wanted(&m) {
			out = append(out, m)
		}
	}
	if len(out) == 0 {
		return nil
	}
	checked := make([]chat.Message, len(out))
	for i := range out {
		checked[i] = signedPart(&out[i])
	}
	verified, notices, err := t.c.VerifyNow(ctx, checked...)
	if err != nil {
		return err
	}
	for _, n := range notices {
		fmt.Fprintf(t.std.err, "rtchat: %s\n", n)
	}
	for i := range out {
		t.remember(out[i])
		if err := printMessage(t.std.out, out[i], verified[i], t.asJSON); err != nil {
			return err
		}
	}
	return nil
}

// signedPart is the entry whose signature covers what is printed of m: its
// edit when it was edited.
func signedPart(m *chat.Message) chat.Message {
	if m.State != nil && m.State.Edit != nil && m.State.Deleted == nil {
		return *m.State.Edit
	}
	return *m
}

// remember keeps m for later updates (the oldest go past maxShown).
func (t *tailer) remember(m chat.Message) {
	if _, ok := t.shown[m.ID]; !ok {
		t.order = append(t.order, m.ID)
	}
	t.shown[m.ID] = &m
	if len(t.order) > maxShown {
		delete(t.shown, t.order[0])
		t.order = t.order[1:]
	}
}

// change applies live entry e to the message it changes and prints that
// message again when it is one tail printed (a thread's reply changes its
// root's count, not worth a line).
func (t *tailer) change(ctx context.Context, e chat.Message) error {
	if e.Kind.Shown() && !e.Thread.IsZero() {
		return nil
	}
	target := t.shown[e.Target()]
	if target == nil {
		return t.changedBefore(ctx, e)
	}
	if !chat.Apply(target, e) {
		return nil
	}
	updated := *target
	delete(t.shown, updated.ID)
	return t.print(ctx, updated)
}

// changedBefore prints, as it is now, a message tail did not print (it
// was sent before tail started, or printed too long ago) that live entry
// e edited, deleted or reacted to: a script following the channel sees
// every change. Its state as read now includes e.
func (t *tailer) changedBefore(ctx context.Context, e chat.Message) error {
	msgs, err := t.c.Around(ctx, e.Channel, e.Target(), 0)
	if err != nil {
		return err
	}
	for _, m := range msgs {
		if m.ID == e.Target() {
			return t.print(ctx, m)
		}
	}
	return nil // not in the stream (trimmed): nothing to show
}

// follow prints channel's new messages, through the same lossless delivery
// as the full-screen client, until ctx ends: the last page (page ≤ 0:
// none) first. What happens to the link is said on standard error.
func (t *tailer) follow(ctx context.Context, channel string, page int64) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	c := t.c
	if err := c.Start(ctx); err != nil {
		return err
	}
	defer c.Close()
	errc := make(chan error, 1)
	go func() { errc <- c.Follow(ctx, channel, max(page, 0)) }()
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
			if err := t.event(ctx, ev, &lost); err != nil {
				return err
			}
		}
	}
}

// event prints one event of "tail -f"; lost says whether the link is
// down, so that its return is said once.
func (t *tailer) event(ctx context.Context, ev chat.Event, lost *bool) error {
	notice := t.std.err
	switch e := ev.(type) {
	case chat.HistoryEvent:
		// The first page was printed already (with the thread, when one
		// is tailed): only what it adds now.
		var fresh []chat.Message
		for _, m := range e.Messages {
			if t.shown[m.ID] == nil {
				fresh = append(fresh, m)
			}
		}
		return t.print(ctx, fresh...)
	case chat.MessageEvent:
		m := e.Message
		if !m.Target().IsZero() {
			if err := t.change(ctx, m); err != nil {
				return err
			}
		}
		if t.shown[m.ID] == nil {
			return t.print(ctx, m)
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
		case e.State == chat.StateConnected && *lost && t.wiped:
			fmt.Fprintf(notice, "rtchat: connected to Redis again (what the server lost is gone, as said above)\n")
			*lost, t.wiped = false, false
		case e.State == chat.StateConnected && *lost:
			fmt.Fprintf(notice, "rtchat: connected to Redis again; nothing was missed\n")
			*lost = false
		case e.State == chat.StateConnected:
			t.wiped = false
		}
	case chat.TruncatedEvent:
		fmt.Fprintf(notice, "rtchat: history truncated: older messages of %s were trimmed before they could be shown\n", e.Channel)
	case chat.ResetEvent:
		fmt.Fprintf(notice, "rtchat: the server lost its data (flushed, or restarted without saving); earlier history is gone\n")
		t.wiped = true
	case chat.NoticeEvent:
		fmt.Fprintf(notice, "rtchat: %s\n", e.Text)
	case chat.RetractedEvent:
		if e.Lost {
			// Printed history up to e.Through went too: the reset
			// notice said "earlier history is gone".
			if len(e.IDs) == 0 {
				break
			}
			fmt.Fprintf(notice, "rtchat: %d messages printed last (%s … %s) were lost with the server's data\n", len(e.IDs), e.IDs[0], e.IDs[len(e.IDs)-1])
			break
		}
		for _, id := range e.IDs {
			fmt.Fprintf(notice, "rtchat: the message printed as %s was not stored in Redis: someone published it on the channel's topic; disregard it\n", id)
		}
	}
	return nil
}

// rfc3339Milli is tail --json's time format.
const rfc3339Milli = "2006-01-02T15:04:05.000Z07:00"

// printMessage prints m as it is now; a message not known to be its
// author's has "⚠ " before the name (plain) or "verified": false (JSON).
func printMessage(w io.Writer, m chat.Message, verified, asJSON bool) error {
	var err error
	if asJSON {
		var b []byte
		b, err = json.Marshal(jsonOf(m, verified))
		if err == nil {
			_, err = fmt.Fprintf(w, "%s\n", b)
		}
	} else {
		_, err = fmt.Fprintln(w, plainOf(m, verified))
	}
	if err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	return nil
}

// jsonFile is a message's file as tail --json prints it.
type jsonFile struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	Type   string `json:"type"`
	SHA256 string `json:"sha256"`
}

// jsonOf is m as tail --json prints it.
func jsonOf(m chat.Message, verified bool) jsonMessage {
	j := jsonMessage{ID: m.ID, Channel: m.Channel, User: m.User, Text: m.Current(), TS: m.Time.UTC().Format(rfc3339Milli), Verified: verified, Odd: m.Malformed, Bot: m.IsBot(), As: m.As}
	if !m.ReplyTo.IsZero() {
		j.ReplyTo = &m.ReplyTo
	}
	if !m.Thread.IsZero() {
		j.Thread = &m.Thread
	}
	if f := m.File; f != nil && (m.State == nil || m.State.Deleted == nil) {
		j.File = &jsonFile{Name: f.Name, Size: f.Size, Type: f.Type, SHA256: f.SHA256}
	}
	if s := m.State; s != nil {
		j.Edited, j.Deleted, j.Replies = s.Edit != nil, s.Deleted != nil, s.Replies
		for e, us := range s.Reactions {
			if j.Reactions == nil {
				j.Reactions = map[string]int{}
			}
			j.Reactions[e] = len(us)
		}
	}
	return j
}

// plainOf is m as plain tail prints it: "[date time] user: text", then
// what the message's state adds.
func plainOf(m chat.Message, verified bool) string {
	stamp := "[" + m.Time.Local().Format("2006-01-02 15:04") + "] "
	who := m.User
	if m.IsBot() {
		who = "BOT " + chat.ShownName(m.User, m.As)
	}
	head := who + ": "
	if m.Kind == chat.KindAction {
		head = "* " + who + " "
	}
	if !verified {
		head = "⚠ " + head
	}
	text := m.Current()
	var notes []string
	if !m.Thread.IsZero() {
		head = "↳ " + head
	}
	if !m.ReplyTo.IsZero() {
		notes = append(notes, "reply to "+m.ReplyTo.String())
	}
	if s := m.State; s != nil {
		switch {
		case s.Deleted != nil:
			text = "(message deleted)"
		case s.Edit != nil:
			text += " (edited)"
		}
		if rs := s.Counts(); len(rs) > 0 {
			var parts []string
			for _, r := range rs {
				parts = append(parts, fmt.Sprintf("%s %d", r.Emoji, len(r.Users)))
			}
			notes = append(notes, strings.Join(parts, " "))
		}
		if s.Replies > 0 {
			notes = append(notes, fmt.Sprintf("%d repl%s", s.Replies, map[bool]string{true: "y", false: "ies"}[s.Replies == 1]))
		}
	}
	if m.File != nil && (m.State == nil || m.State.Deleted == nil) {
		if text == "" {
			text = m.File.Line()
		} else {
			text += "\n" + m.File.Line()
		}
		notes = append(notes, "rtchat get "+m.Channel+" "+m.ID.String())
	}
	if m.Malformed != "" {
		text += " (odd entry: " + m.Malformed + ")"
	}
	line := stamp + chat.Printable(head) + indentLines(chat.Printable(chat.TidyBlankLines(text)))
	if len(notes) > 0 {
		line += "  · " + chat.Printable(strings.Join(notes, " · "))
	}
	return line
}
