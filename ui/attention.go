package ui

import (
	"context"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"time"

	"github.com/rtchat/rtchat/chat"
)

// Attention: notifications outside the window (OSC 777 and OSC 9, which
// many terminals show as desktop notifications, and notify_command), per
// conversation levels, highlight words, away and do-not-disturb. The
// settings live in Redis (chat.Settings); the window keeps the last it
// read and applies a chat.SettingsEvent when another terminal changes
// them.

// notifyEvery is the least time between two notifications of one
// conversation; what comes meanwhile is summed up in one ("3 new in
// #ops").
const notifyEvery = 5 * time.Second

// notifier remembers, per conversation, when it last notified and what
// it held back since.
type notifier struct {
	last map[string]time.Time
	held map[string]int
	// due is set while a summary of held messages waits.
	due map[string]bool
}

func newNotifier() notifier {
	return notifier{last: map[string]time.Time{}, held: map[string]int{}, due: map[string]bool{}}
}

// highlighted reports whether text holds one of the highlight words (as
// a word, in any case).
func (a *App) highlighted(text string) bool {
	for _, w := range a.highlights {
		if chat.Mentions(text, w) {
			return true
		}
	}
	return false
}

// highlightWords are the configured words and those stored in s.
func (a *App) highlightWords(s chat.Settings) []string {
	words := slices.Clone(a.opts.Highlights)
	for _, w := range s.Highlights {
		if !slices.Contains(words, w) {
			words = append(words, w)
		}
	}
	return words
}

// isMention reports whether text calls on the user: their name or a
// highlight word.
func (a *App) isMention(text string) bool {
	return chat.Mentions(text, a.me) || a.highlighted(text)
}

// level is conv's notification level.
func (a *App) level(conv string) chat.Level { return a.settings.Level(conv) }

// attend decides whether message m of channel c reaches the person: the
// bell and a notification. mention is whether it called on them.
func (a *App) attend(c *channel, m chat.Message, mention bool) {
	if m.User == a.me || m.Ephemeral || m.ID.IsZero() || !m.Kind.Shown() {
		return
	}
	level := a.level(c.name)
	_, dm := chat.PeerOf(c.name)
	switch {
	case level == chat.LevelNone || level == chat.LevelMute:
		return
	case level == chat.LevelMentions && !mention && !dm:
		return
	}
	dnd := a.settings.DND(time.Now())
	if mention && !dnd {
		a.bell = true
	}
	if m.Channel == a.current && a.focused.Load() && (a.thread == nil || m.Thread.IsZero() || a.thread.root == m.Thread) && a.logv.log != nil && a.logv.log.follow {
		return // on screen, and the window has the focus
	}
	if dnd {
		return // held: the counts still grow
	}
	a.notify(c.name, m)
}

// attendHistory attends the unread messages of the first page of a
// conversation someone else opened for the user (the first of them
// notifies; the rest are summed up).
func (a *App) attendHistory(c *channel, e chat.HistoryEvent) {
	for _, m := range e.Messages {
		if m.ID.After(e.ReadID) && m.Target().IsZero() && m.Thread.IsZero() {
			a.attend(c, m, a.isMention(m.Text))
		}
	}
}

// notify sends a notification for m, or holds it when its conversation
// notified lately (a summary follows).
func (a *App) notify(conv string, m chat.Message) {
	n := &a.attn
	now := time.Now()
	if now.Sub(n.last[conv]) < notifyEvery {
		n.held[conv]++
		if !n.due[conv] {
			n.due[conv] = true
			wait := notifyEvery - now.Sub(n.last[conv])
			a.spawn(func() {
				select {
				case <-time.After(wait):
				case <-a.ctx.Done():
					return
				}
				a.post(func() { a.summary(conv) })
			})
		}
		return
	}
	n.last[conv] = now
	title := m.User + " in " + chat.Display(conv)
	if peer, dm := chat.PeerOf(conv); dm {
		title = peer + " (direct)"
	}
	a.sendNotification(title, m.Text)
}

// summary notifies what a conversation held back.
func (a *App) summary(conv string) {
	n := &a.attn
	n.due[conv] = false
	held := n.held[conv]
	n.held[conv] = 0
	if held == 0 || a.settings.DND(time.Now()) {
		return
	}
	n.last[conv] = time.Now()
	a.sendNotification("rtchat", fmt.Sprintf("%d new in %s", held, chat.Display(conv)))
}

// maxNotification bounds a notification's body.
const maxNotification = 200

// sendNotification writes the notification sequences to the terminal
// (OSC 777 and OSC 9; wrapped for tmux to pass on) and runs
// notify_command with title and body as its last two arguments, never
// through a shell.
func (a *App) sendNotification(title, body string) {
	title, body = notificationText(title, 80), notificationText(body, maxNotification)
	if w := a.opts.Terminal; w != nil {
		seqs := []string{"\x1b]777;notify;" + title + ";" + body + "\x1b\\", "\x1b]9;" + title + ": " + body + "\x1b\\"}
		for _, s := range seqs {
			if a.opts.Tmux {
				// tmux passes a sequence on when wrapped in its DCS
				// (set -g allow-passthrough on), each ESC doubled.
				s = "\x1bPtmux;" + strings.ReplaceAll(s, "\x1b", "\x1b\x1b") + "\x1b\\"
			}
			_, _ = w.Write([]byte(s))
		}
	}
	if cmd := a.opts.NotifyCommand; len(cmd) > 0 {
		args := append(slices.Clone(cmd[1:]), title, body)
		a.spawn(func() {
			ctx, cancel := context.WithTimeout(a.ctx, 10*time.Second)
			defer cancel()
			if out, err := exec.CommandContext(ctx, cmd[0], args...).CombinedOutput(); err != nil && a.ctx.Err() == nil {
				a.Notify("notify_command %s failed: %v %s", cmd[0], err, strings.TrimSpace(sanitize(string(out))))
			}
		})
	}
}

// notificationText is text made safe inside a terminal's notification
// sequence: one line, printable (escapes shown, not sent), no ";" (OSC
// 777's separator), at most max characters.
func notificationText(s string, max int) string {
	s = sanitize(s)
	s = strings.NewReplacer("\n", " ", "\t", " ", ";", ",").Replace(s)
	return ellipsisEnd(strings.TrimSpace(s), max)
}

// quietText is "away" and "dnd until 15:04" while they hold, for the
// status bar.
func (a *App) quietText() string {
	var parts []string
	if _, away := a.away[a.me]; away {
		parts = append(parts, "away")
	}
	if now := time.Now(); a.settings.DND(now) {
		parts = append(parts, "dnd until "+a.settings.DNDUntil.Local().Format(a.timeLayout(now, a.settings.DNDUntil)))
	}
	return strings.Join(parts, " · ")
}

// timeLayout is the layout for showing until: the log's, with the date
// when until is not today.
func (a *App) timeLayout(now, until time.Time) string {
	if now.Local().Format(time.DateOnly) != until.Local().Format(time.DateOnly) {
		return "Jan 2 " + a.opts.TimestampFormat
	}
	return a.opts.TimestampFormat
}

// applySettings takes settings read from Redis (at start, or after
// another terminal changed them).
func (a *App) applySettings(s chat.Settings) {
	a.settings, a.highlights = s, a.highlightWords(s)
	for _, c := range a.channels {
		c.log.lays = map[uint32]*layout{} // highlight words may differ
	}
	a.refresh()
}

func (a *App) cmdNotify(arg string) error {
	c := a.shown()
	if c == nil {
		return errNoChannel
	}
	l, err := chat.ParseLevel(arg)
	if err != nil {
		return err
	}
	a.try("set the level of "+chat.Display(c.name), func(ctx context.Context) error { return a.be.SetLevel(ctx, c.name, l) },
		func() { a.systemLine("%s notifies %s", chat.Display(c.name), levelWords(l)) })
	return nil
}

// levelWords says a level in words.
func levelWords(l chat.Level) string {
	switch l {
	case chat.LevelAll:
		return "every message"
	case chat.LevelNone:
		return "nothing (its unread count stays)"
	case chat.LevelMute:
		return "nothing and hides its unread count (muted)"
	}
	return "mentions, highlight words and direct messages"
}

func (a *App) cmdMute(string) error   { return a.cmdNotify(string(chat.LevelMute)) }
func (a *App) cmdUnmute(string) error { return a.cmdNotify(string(chat.LevelMentions)) }

func (a *App) cmdPin(string) error   { return a.pin(true) }
func (a *App) cmdUnpin(string) error { return a.pin(false) }

func (a *App) pin(on bool) error {
	c := a.shown()
	if c == nil {
		return errNoChannel
	}
	a.try("pin "+chat.Display(c.name), func(ctx context.Context) error { return a.be.SetPinned(ctx, c.name, on) }, func() {
		if on {
			a.systemLine("%s is pinned to the top of the list", chat.Display(c.name))
		} else {
			a.systemLine("%s is no longer pinned", chat.Display(c.name))
		}
	})
	return nil
}

func (a *App) cmdHighlight(arg string) error {
	verb, word, _ := strings.Cut(strings.TrimSpace(arg), " ")
	word = strings.TrimSpace(word)
	words := slices.Clone(a.settings.Highlights)
	switch verb {
	case "list":
		all := a.highlights
		if len(all) == 0 {
			a.systemLine("no highlight words; add one with /highlight add WORD")
		} else {
			a.systemLine("highlight words: %s", strings.Join(all, ", "))
		}
		return nil
	case "add":
		if word == "" {
			return fmt.Errorf("/highlight add needs a word; type /highlight add WORD")
		}
		words = append(words, word)
	case "del":
		if !slices.Contains(words, strings.ToLower(word)) {
			if slices.Contains(a.opts.Highlights, strings.ToLower(word)) {
				return fmt.Errorf("%q comes from the config file's highlights; remove it there", word)
			}
			return fmt.Errorf("%q is not a highlight word; /highlight list shows them", word)
		}
		words = slices.DeleteFunc(words, func(w string) bool { return w == strings.ToLower(word) })
	default:
		return fmt.Errorf("type /highlight add WORD, /highlight del WORD or /highlight list")
	}
	a.try("store your highlight words", func(ctx context.Context) error { return a.be.SetHighlights(ctx, words) },
		func() { a.systemLine("highlight words: %s", strings.Join(words, ", ")) })
	return nil
}

func (a *App) cmdAway(arg string) error {
	a.try("set away", func(ctx context.Context) error { return a.be.SetAway(ctx, true, arg) }, func() {
		if arg == "" {
			a.systemLine("you are away; /back when you are back")
		} else {
			a.systemLine("you are away: %s; /back when you are back", arg)
		}
	})
	return nil
}

func (a *App) cmdBack(string) error {
	a.try("set back", func(ctx context.Context) error { return a.be.SetAway(ctx, false, "") },
		func() { a.systemLine("you are back") })
	return nil
}

func (a *App) cmdDND(arg string) error {
	var until time.Time
	switch arg = strings.TrimSpace(arg); arg {
	case "off":
	case "":
		until = time.Now().Add(time.Hour)
	default:
		d, err := time.ParseDuration(arg)
		if err != nil || d <= 0 || d > 7*24*time.Hour {
			return fmt.Errorf("%q is not a duration like 30m or 2h (up to a week); /dnd off ends it", arg)
		}
		until = time.Now().Add(d)
	}
	a.try("set do-not-disturb", func(ctx context.Context) error { return a.be.SetDND(ctx, until) }, func() {
		if until.IsZero() {
			a.systemLine("do-not-disturb is off: notifications again")
		} else {
			a.systemLine("do-not-disturb until %s: no notifications (counts still grow); /dnd off ends it", until.Local().Format(a.timeLayout(time.Now(), until)))
		}
	})
	return nil
}

// awayNotice tells the sender once that people the message called on
// are away: the peer of a direct conversation, the people mentioned.
func (a *App) awayNotice(conv, text string) {
	var who []string
	if peer, dm := chat.PeerOf(conv); dm {
		who = append(who, peer)
	}
	for u := range a.authors {
		if u != a.me && chat.Mentions(text, u) && !slices.Contains(who, u) {
			who = append(who, u)
		}
	}
	if c := a.channels[conv]; c != nil {
		for _, u := range c.members {
			if u != a.me && chat.Mentions(text, u) && !slices.Contains(who, u) {
				who = append(who, u)
			}
		}
	}
	if len(who) == 0 {
		return
	}
	a.background(func(ctx context.Context) func() {
		away, err := a.be.Away(ctx, who)
		if err != nil {
			return nil
		}
		return func() {
			for _, u := range who {
				msg, ok := away[u]
				if told, before := a.toldAway[u]; !ok || before && told == msg {
					continue
				}
				a.toldAway[u] = msg
				if msg == "" {
					a.systemLine("%s is away", u)
				} else {
					a.systemLine("%s is away: %s", u, msg)
				}
			}
		}
	})
}

// membersChanged says who joined and left channel c (unless show_joins
// is off) when its members change while it is open.
func (a *App) membersChanged(c *channel, members []string) {
	before := c.members
	c.setMembers(members)
	if before == nil || a.opts.HideJoins {
		return
	}
	for _, u := range members {
		if !slices.Contains(before, u) && u != a.me {
			c.log.append(newSystemLine(lineSystem, u+" joined "+chat.Display(c.name)))
		}
	}
	for _, u := range before {
		if !slices.Contains(members, u) && u != a.me {
			c.log.append(newSystemLine(lineSystem, u+" left "+chat.Display(c.name)))
		}
	}
}
