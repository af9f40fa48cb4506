package ui

import (
	"context"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"sync/atomic"
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

// attention is the window's part that reaches the person outside it: the
// bell, notifications (held and summed up per conversation), the focus,
// the settings' commands and the away notices. What reaches them is the
// model's rule (model.reaches); this part carries it out.
type attention struct {
	a    *App
	attn notifier
	// focused is whether the terminal has the focus (focus reporting);
	// bell asks the next frame to ring.
	focused atomic.Bool
	bell    bool
}

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

// attend decides whether message m of channel c reaches the person: the
// bell and a notification. mention is whether it called on them.
func (at *attention) attend(c *channel, m chat.Message, mention bool) {
	a := at.a
	seen := m.Channel == a.model.current && at.focused.Load() && (a.threads.thread == nil || m.Thread.IsZero() || a.threads.thread.root == m.Thread) && a.logv.log != nil && a.logv.log.follow
	r := a.model.reaches(c.name, m, mention, seen, time.Now())
	if r.bell {
		at.bell = true
	}
	if r.notify {
		at.notify(c.name, m)
	}
}

// attendHistory attends the unread messages of the first page of a
// conversation someone else opened for the user (the first of them
// notifies; the rest are summed up).
func (at *attention) attendHistory(c *channel, e chat.HistoryEvent) {
	for _, m := range e.Messages {
		if m.ID.After(e.ReadID) && m.Target().IsZero() && m.Thread.IsZero() {
			at.attend(c, m, at.a.model.isMention(m.Text))
		}
	}
}

// notify sends a notification for m, or holds it when its conversation
// notified lately (a summary follows).
func (at *attention) notify(conv string, m chat.Message) {
	n := &at.attn
	now := time.Now()
	if now.Sub(n.last[conv]) < notifyEvery {
		n.held[conv]++
		if !n.due[conv] {
			n.due[conv] = true
			wait := notifyEvery - now.Sub(n.last[conv])
			at.a.spawn(func() {
				select {
				case <-time.After(wait):
				case <-at.a.ctx.Done():
					return
				}
				at.a.post(func() { at.summary(conv) })
			})
		}
		return
	}
	n.last[conv] = now
	title := shownAuthor(m.User, m.As) + " in " + chat.Display(conv)
	if peer, dm := chat.PeerOf(conv); dm {
		title = peer + " (direct)"
	}
	at.sendNotification(title, m.Text)
}

// summary notifies what a conversation held back.
func (at *attention) summary(conv string) {
	n := &at.attn
	n.due[conv] = false
	held := n.held[conv]
	n.held[conv] = 0
	if held == 0 || at.a.model.settings.DND(time.Now()) {
		return
	}
	n.last[conv] = time.Now()
	at.sendNotification("rtchat", fmt.Sprintf("%d new in %s", held, chat.Display(conv)))
}

// maxNotification bounds a notification's body.
const maxNotification = 200

// sendNotification writes the notification sequences to the terminal
// (OSC 777 and OSC 9; wrapped for tmux to pass on) and runs
// notify_command with title and body as its last two arguments, never
// through a shell.
func (at *attention) sendNotification(title, body string) {
	title, body = notificationText(title, 80), notificationText(body, maxNotification)
	if w := at.a.opts.Terminal; w != nil {
		seqs := []string{"\x1b]777;notify;" + title + ";" + body + "\x1b\\", "\x1b]9;" + title + ": " + body + "\x1b\\"}
		for _, s := range seqs {
			if at.a.opts.Tmux {
				// tmux passes a sequence on when wrapped in its DCS
				// (set -g allow-passthrough on), each ESC doubled.
				s = "\x1bPtmux;" + strings.ReplaceAll(s, "\x1b", "\x1b\x1b") + "\x1b\\"
			}
			_, _ = w.Write([]byte(s))
		}
	}
	if cmd := at.a.opts.NotifyCommand; len(cmd) > 0 {
		args := append(slices.Clone(cmd[1:]), title, body)
		at.a.spawn(func() {
			ctx, cancel := context.WithTimeout(at.a.ctx, 10*time.Second)
			defer cancel()
			if out, err := exec.CommandContext(ctx, cmd[0], args...).CombinedOutput(); err != nil && at.a.ctx.Err() == nil {
				at.a.Notify("notify_command %s failed: %v %s", cmd[0], err, strings.TrimSpace(sanitize(string(out))))
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
func (at *attention) quietText() string {
	var parts []string
	if _, away := at.a.model.away[at.a.me]; away {
		parts = append(parts, "away")
	}
	if now := time.Now(); at.a.model.settings.DND(now) {
		parts = append(parts, "dnd until "+at.a.model.settings.DNDUntil.Local().Format(at.timeLayout(now, at.a.model.settings.DNDUntil)))
	}
	return strings.Join(parts, " · ")
}

// timeLayout is the layout for showing until: the log's, with the date
// when until is not today.
func (at *attention) timeLayout(now, until time.Time) string {
	if now.Local().Format(time.DateOnly) != until.Local().Format(time.DateOnly) {
		return "Jan 2 " + at.a.opts.TimestampFormat
	}
	return at.a.opts.TimestampFormat
}

// applySettings takes settings read from Redis (at start, or after
// another terminal changed them).
func (at *attention) applySettings(s chat.Settings) {
	at.a.model.settings, at.a.model.highlights = s, at.a.model.highlightWords(s)
	for _, c := range at.a.model.channels {
		c.log.lays = map[uint32]*layout{} // highlight words may differ
	}
	at.a.refresh()
}

func cmdNotify(a *App, arg string) error {
	c := a.model.shown()
	if c == nil {
		return errNoChannel
	}
	l, err := chat.ParseLevel(arg)
	if err != nil {
		return err
	}
	a.try("set the level of "+chat.Display(c.name), func(ctx context.Context) error {
		return a.be.ChangeSettings(ctx, chat.SetLevel{Conv: c.name, Level: l})
	},
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

func cmdMute(a *App, _ string) error   { return cmdNotify(a, string(chat.LevelMute)) }
func cmdUnmute(a *App, _ string) error { return cmdNotify(a, string(chat.LevelMentions)) }

func cmdPin(a *App, _ string) error   { return a.att.pin(true) }
func cmdUnpin(a *App, _ string) error { return a.att.pin(false) }

func (at *attention) pin(on bool) error {
	c := at.a.model.shown()
	if c == nil {
		return errNoChannel
	}
	at.a.try("pin "+chat.Display(c.name), func(ctx context.Context) error {
		return at.a.be.ChangeSettings(ctx, chat.SetPinned{Conv: c.name, Pinned: on})
	}, func() {
		if on {
			at.a.systemLine("%s is pinned to the top of the list", chat.Display(c.name))
		} else {
			at.a.systemLine("%s is no longer pinned", chat.Display(c.name))
		}
	})
	return nil
}

func cmdHighlight(a *App, arg string) error {
	verb, word, _ := strings.Cut(strings.TrimSpace(arg), " ")
	word = strings.TrimSpace(word)
	words := slices.Clone(a.model.settings.Highlights)
	switch verb {
	case "list":
		all := a.model.highlights
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
	a.try("store your highlight words", func(ctx context.Context) error { return a.be.ChangeSettings(ctx, chat.SetHighlights{Words: words}) },
		func() { a.systemLine("highlight words: %s", strings.Join(words, ", ")) })
	return nil
}

func cmdAway(a *App, arg string) error {
	a.try("set away", func(ctx context.Context) error { return a.be.SetAway(ctx, true, arg) }, func() {
		if arg == "" {
			a.systemLine("you are away; /back when you are back")
		} else {
			a.systemLine("you are away: %s; /back when you are back", arg)
		}
	})
	return nil
}

func cmdBack(a *App, _ string) error {
	a.try("set back", func(ctx context.Context) error { return a.be.SetAway(ctx, false, "") },
		func() { a.systemLine("you are back") })
	return nil
}

func cmdDND(a *App, arg string) error {
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
	a.try("set do-not-disturb", func(ctx context.Context) error { return a.be.ChangeSettings(ctx, chat.SetDND{Until: until}) }, func() {
		if until.IsZero() {
			a.systemLine("do-not-disturb is off: notifications again")
		} else {
			a.systemLine("do-not-disturb until %s: no notifications (counts still grow); /dnd off ends it", until.Local().Format(a.att.timeLayout(time.Now(), until)))
		}
	})
	return nil
}

// awayNotice tells the sender once that people the message called on
// are away: the peer of a direct conversation, the people mentioned.
func (at *attention) awayNotice(conv, text string) {
	var who []string
	if peer, dm := chat.PeerOf(conv); dm {
		who = append(who, peer)
	}
	for u := range at.a.model.authors {
		if u != at.a.me && chat.Mentions(text, u) && !slices.Contains(who, u) {
			who = append(who, u)
		}
	}
	if c := at.a.model.channels[conv]; c != nil {
		for _, u := range c.members {
			if u != at.a.me && chat.Mentions(text, u) && !slices.Contains(who, u) {
				who = append(who, u)
			}
		}
	}
	if len(who) == 0 {
		return
	}
	at.a.background(func(ctx context.Context) func() {
		away, err := at.a.be.Away(ctx, who)
		if err != nil {
			return nil
		}
		return func() {
			for _, u := range who {
				msg, ok := away[u]
				if told, before := at.a.model.toldAway[u]; !ok || before && told == msg {
					continue
				}
				at.a.model.toldAway[u] = msg
				if msg == "" {
					at.a.systemLine("%s is away", u)
				} else {
					at.a.systemLine("%s is away: %s", u, msg)
				}
			}
		}
	})
}

// membersChanged says who joined and left channel c (unless show_joins
// is off) when its members change while it is open.
func (at *attention) membersChanged(c *channel, members []string) {
	before := c.members
	c.setMembers(members)
	if before == nil || at.a.opts.HideJoins {
		return
	}
	for _, u := range members {
		if i := slices.Index(c.lost, u); i >= 0 {
			c.lost = slices.Delete(c.lost, i, i+1) // back, after a data loss
			continue
		}
		if !slices.Contains(before, u) && u != at.a.me {
			c.log.append(newSystemLine(lineSystem, u+" joined "+chat.Display(c.name)))
		}
	}
	for _, u := range before {
		if !slices.Contains(members, u) && u != at.a.me && !slices.Contains(c.lost, u) {
			c.log.append(newSystemLine(lineSystem, u+" left "+chat.Display(c.name)))
		}
	}
}
