package chat

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Server slash commands work as Slack's: an admin adds "/deploy" with the
// URL of a service (rtchat admin command add), and a person who types
// "/deploy prod" in the window has it POSTed there by rtchat hooks serve,
// whose answer comes back to them alone (ephemeral) or to the
// conversation (in_channel).
//
// The window never talks to the service itself: it publishes the run,
// signed by the person's key, on a topic accounts may publish to but not
// hear (Keys.CommandRuns), so nobody else learns what was typed in a
// private channel, and the service's user_name is the person's, checked.
// Answers for the person alone come on their own events topic, signed by
// the command's key (its author "hook:<name>"), which only an admin's tool
// holds:
//
//	channel:commands   Hash    "/deploy" → {"description","usage","by"} (every account reads; admins write)
//	user:commands      Pub/Sub a signed CommandRun (accounts publish; only admins hear)
//	user:{alice}:events Pub/Sub "/reply\n" + a signed CommandReply for alice

// ServerCommand is a slash command an admin added.
type ServerCommand struct {
	// Name is what is typed, with its slash: "/deploy".
	Name string `json:"-"`
	// Description and Usage are what F1 shows ("deploy a branch",
	// "[branch]").
	Description string `json:"description,omitempty"`
	Usage       string `json:"usage,omitempty"`
	// Hook is the author name its answers in the conversation come from
	// ("hook:deploy").
	Hook string `json:"hook"`
}

// Errors of RunCommand callers can test with errors.Is.
var (
	// ErrNoSuchCommand: no command of that name was added.
	ErrNoSuchCommand = errors.New("no such command")
	// ErrNoCommandServer: nothing runs the server's commands right now.
	ErrNoCommandServer = errors.New("no 'rtchat hooks serve' is running to take the command; ask an admin to start one")
)

// Commands is the Hash of the server's slash commands.
func (k Keys) Commands() string { return k.ChannelPrefix + "commands" }

// CommandRuns is the topic runs of slash commands are published on.
func (k Keys) CommandRuns() string { return k.UserPrefix + "commands" }

// ValidateCommand checks a slash command's name: "/" and 1–32 of a–z,
// 0–9, "-" and "_".
func ValidateCommand(name string) error {
	rest, ok := strings.CutPrefix(name, "/")
	if !ok || len(rest) > 32 || !validName(rest) {
		return fmt.Errorf("%w %q: a command is / and up to 32 of a-z, 0-9, - and _", ErrInvalidName, truncateForError(name))
	}
	return nil
}

// ListCommands reads the server's slash commands, by name.
func ListCommands(ctx context.Context, rdb redis.UniversalClient, keys Keys) ([]ServerCommand, error) {
	m, err := rdb.HGetAll(ctx, keys.Commands()).Result()
	if err != nil {
		return nil, fmt.Errorf("read the server's commands: %w", CleanRedisError(err))
	}
	var out []ServerCommand
	for name, raw := range m {
		if c, ok := parseServerCommand(name, raw); ok {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b ServerCommand) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

func parseServerCommand(name, raw string) (ServerCommand, bool) {
	var c ServerCommand
	if ValidateCommand(name) != nil || json.Unmarshal([]byte(raw), &c) != nil {
		return c, false
	}
	if _, ok := HookName(c.Hook); !ok {
		return c, false
	}
	c.Name = name
	c.Description, c.Usage = printableLine(c.Description, 200), printableLine(c.Usage, 80)
	return c, true
}

// printableLine is s on one line, at most n bytes: text any account's
// window shows as it is.
func printableLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		s = strings.ToValidUTF8(s[:n], "")
	}
	return s
}

// PutCommand adds or changes server command c (an admin's tool) and
// tells every window.
func PutCommand(ctx context.Context, rdb redis.UniversalClient, keys Keys, c ServerCommand) error {
	if err := ValidateCommand(c.Name); err != nil {
		return err
	}
	raw, _ := json.Marshal(c)
	if err := rdb.HSet(ctx, keys.Commands(), c.Name, raw).Err(); err != nil {
		return fmt.Errorf("add %s: %w", c.Name, CleanRedisError(err))
	}
	tellCommandsChanged(ctx, rdb, keys)
	return nil
}

// DeleteCommand removes server command name and tells every window.
func DeleteCommand(ctx context.Context, rdb redis.UniversalClient, keys Keys, name string) error {
	if err := rdb.HDel(ctx, keys.Commands(), name).Err(); err != nil {
		return fmt.Errorf("remove %s: %w", name, CleanRedisError(err))
	}
	tellCommandsChanged(ctx, rdb, keys)
	return nil
}

// commandsChanged is the notice, on the channel-list topic, that the
// server's commands changed.
const commandsChanged = "commands"

func tellCommandsChanged(ctx context.Context, rdb redis.UniversalClient, keys Keys) {
	_ = rdb.Publish(ctx, keys.ChannelEvents(), commandsChanged).Err()
}

// CommandsChangedEvent says the server's slash commands changed (read
// them again with ServerCommands).
type CommandsChangedEvent struct{}

func (CommandsChangedEvent) isEvent() {}

// ServerCommands reads the server's slash commands.
func (c *Client) ServerCommands(ctx context.Context) ([]ServerCommand, error) {
	return ListCommands(ctx, c.rdb, c.keys)
}

// CommandRun is one run of a slash command, as the window publishes it
// and rtchat hooks serve takes it: signed by the person who typed it.
type CommandRun struct {
	// Trigger names the run (Slack's trigger_id); answers carry it.
	Trigger string `json:"trigger"`
	Command string `json:"command"`
	Text    string `json:"text"`
	User    string `json:"user"`
	// Conv is where it was typed ("ops", "+secret", "@bob").
	Conv string `json:"conv"`
	TS   int64  `json:"ts"`
	Key  string `json:"key"`
	Sig  []byte `json:"sig"`
}

// commandRunMaxAge is how old a run may be when it is taken: a replayed
// one is refused after it (and runs are taken once within it).
const commandRunMaxAge = 2 * time.Minute

func (r *CommandRun) signed() []byte {
	return []byte(strings.Join([]string{"rtchat command run 1", r.Trigger, r.Command, r.Text, r.User, r.Conv, strconv.FormatInt(r.TS, 10)}, "\x00"))
}

// RunCommand hands "command text", typed in conv, to the server's
// command service; its trigger id comes back at once, the answer later
// as a CommandReplyEvent (only to this user's windows) or as a message
// in conv. It fails with ErrNoSuchCommand when no admin added command,
// and with ErrNoCommandServer when no rtchat hooks serve is there to
// take it.
func (c *Client) RunCommand(ctx context.Context, conv, command, text string) (string, error) {
	if err := ValidateCommand(command); err != nil {
		return "", err
	}
	if err := checkConvFor(c.opts.User, conv); err != nil {
		return "", err
	}
	if c.opts.Signer == nil {
		return "", errors.New("run a command: this client has no signing key")
	}
	if strings.TrimSpace(text) != "" { // an empty argument is fine
		var err error
		if text, err = CleanText(text, c.opts.MaxMessageBytes); err != nil {
			return "", err
		}
	}
	raw, err := c.rdb.HGet(ctx, c.keys.Commands(), command).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return "", fmt.Errorf("run %s: %w", command, CleanRedisError(err))
	}
	if _, ok := parseServerCommand(command, raw); !ok {
		return "", fmt.Errorf("%w %s; F1 lists the server's commands", ErrNoSuchCommand, command)
	}
	var tb [12]byte
	_, _ = rand.Read(tb[:])
	r := CommandRun{Trigger: hex.EncodeToString(tb[:]), Command: command, Text: strings.TrimSpace(text), User: c.opts.User, Conv: conv,
		TS: time.Now().UnixMilli(), Key: c.opts.Signer.KeyID()}
	r.Sig = ed25519.Sign(c.opts.Signer.priv, r.signed())
	run, _ := json.Marshal(r)
	n, err := c.rdb.Publish(ctx, c.keys.CommandRuns(), run).Result()
	if err != nil {
		return "", fmt.Errorf("run %s: %w", command, CleanRedisError(err))
	}
	if n == 0 {
		return "", fmt.Errorf("run %s: %w", command, ErrNoCommandServer)
	}
	return r.Trigger, nil
}

// ParseCommandRun reads a published run, checking its form (not its
// signature: see VerifyCommandRun).
func ParseCommandRun(payload string) (CommandRun, error) {
	var r CommandRun
	if err := json.Unmarshal([]byte(payload), &r); err != nil {
		return r, fmt.Errorf("a command run that is not JSON: %w", err)
	}
	switch {
	case ValidateCommand(r.Command) != nil:
		return r, errors.New("a command run with a bad command")
	case ValidateAccount(r.User) != nil:
		return r, errors.New("a command run with a bad user")
	case checkConvFor(r.User, r.Conv) != nil:
		return r, errors.New("a command run with a bad conversation")
	case len(r.Trigger) != 24 || len(r.Key) == 0 || len(r.Sig) != ed25519.SignatureSize:
		return r, errors.New("a command run without its id or signature")
	}
	return r, nil
}

// VerifyCommandRun checks that r is its user's (signed by a key they
// registered) and fresh.
func VerifyCommandRun(ctx context.Context, rdb redis.UniversalClient, keys Keys, r CommandRun) error {
	if age := time.Since(time.UnixMilli(r.TS)); age > commandRunMaxAge || age < -commandRunMaxAge {
		return errors.New("the command run is too old (or its clock is off)")
	}
	return verifyWith(ctx, rdb, keys, r.User, r.Key, r.signed(), r.Sig)
}

// verifyWith checks sig over data against user's registered key id.
func verifyWith(ctx context.Context, rdb redis.UniversalClient, keys Keys, user, id string, data, sig []byte) error {
	raw, err := rdb.HGet(ctx, keys.SigningKeys(user), id).Result()
	switch {
	case errors.Is(err, redis.Nil):
		return fmt.Errorf("%s has no key %q", user, id)
	case err != nil:
		return fmt.Errorf("read %s's keys: %w", user, CleanRedisError(err))
	}
	pub, ok := parsePublicKey(id, raw)
	if !ok || !ed25519.Verify(pub, data, sig) {
		return fmt.Errorf("the signature is not %s's", user)
	}
	return nil
}

// CommandReply is an answer to a run, for the person who ran it alone:
// the service's ephemeral answer, or why there is none.
type CommandReply struct {
	Trigger string `json:"trigger"`
	Command string `json:"command"`
	Conv    string `json:"conv"`
	// From is the command's author name ("hook:deploy").
	From string `json:"from"`
	Text string `json:"text"`
	// Failed marks a reply that says what went wrong (the service did
	// not answer, or refused).
	Failed bool   `json:"failed,omitempty"`
	TS     int64  `json:"ts"`
	Key    string `json:"key"`
	Sig    []byte `json:"sig"`
}

func (r *CommandReply) signed() []byte {
	return []byte(strings.Join([]string{"rtchat command reply 1", r.Trigger, r.Command, r.Conv, r.From, r.Text,
		strconv.FormatBool(r.Failed), strconv.FormatInt(r.TS, 10)}, "\x00"))
}

// commandReplyMark starts a reply on a user's events topic (no
// conversation's name, which starts a read marker's notice, has a "/").
const commandReplyMark = "/reply\n"

// SendCommandReply signs r as signer (the command's key; r.From its
// author) and tells user's windows.
func SendCommandReply(ctx context.Context, rdb redis.UniversalClient, keys Keys, signer *Signer, user string, r CommandReply) error {
	r.TS, r.Key = time.Now().UnixMilli(), signer.KeyID()
	r.Sig = ed25519.Sign(signer.priv, r.signed())
	raw, _ := json.Marshal(r)
	if err := rdb.Publish(ctx, keys.UserEvents(user), commandReplyMark+string(raw)).Err(); err != nil {
		return fmt.Errorf("answer %s's %s: %w", user, r.Command, CleanRedisError(err))
	}
	return nil
}

// CommandReplyEvent is an answer to a command this user ran, for them
// alone, verified as the command's (an unverified one is not delivered).
type CommandReplyEvent struct{ Reply CommandReply }

func (CommandReplyEvent) isEvent() {}

// handleCommandReply verifies a reply off the receive loop and delivers
// it.
func (ps *prefs) handleCommandReply(raw string) {
	var r CommandReply
	if json.Unmarshal([]byte(raw), &r) != nil || ValidateCommand(r.Command) != nil || ValidateConv(r.Conv) != nil {
		return
	}
	if _, ok := HookName(r.From); !ok || len(r.Trigger) != 24 {
		return
	}
	ps.c.notices.add("command:"+r.Trigger+":"+hex.EncodeToString(r.Sig), func(ctx context.Context) {
		if err := verifyWith(ctx, ps.c.rdb, ps.c.keys, r.From, r.Key, r.signed(), r.Sig); err != nil {
			ps.c.opts.Logger.Warn("dropped a command's answer that is not the command's", "command", r.Command, "err", err)
			return
		}
		r.Text = strings.ToValidUTF8(r.Text, "\uFFFD")
		ps.c.emit(ctx, CommandReplyEvent{Reply: r})
	})
}
