package chat

import (
	"context"
	"time"
)

// typingPrefix starts a typing notice on a channel's live topic:
// "\x00typing\n" + user. It is published, never stored; older clients
// cannot decode it and ignore it.
const typingPrefix = "\x00typing\n"

// TypingEvery is the most often a client tells a channel that its user is
// typing; receivers show the notice for TypingShownFor after the last one.
const (
	TypingEvery    = 3 * time.Second
	TypingShownFor = 5 * time.Second
)

// Typing tells channel's other members that the user is typing. It never
// blocks and sends at most one notice per channel every TypingEvery; the
// notice is ephemeral Pub/Sub, at most once.
func (c *Client) Typing(channel string) {
	if !c.Joined(channel) {
		return
	}
	now := time.Now()
	c.people.mu.Lock()
	if now.Sub(c.people.typedAt[channel]) < TypingEvery {
		c.people.mu.Unlock()
		return
	}
	c.people.typedAt[channel] = now
	c.people.mu.Unlock()
	select {
	case c.people.typing <- channel:
	default: // a notice is a hint; never queue behind a slow link
	}
}

// sentMessage lets the next keystroke in channel announce typing again at
// once (the message just sent ended the previous bout).
func (pp *people) sentMessage(channel string) {
	pp.mu.Lock()
	delete(pp.typedAt, channel)
	pp.mu.Unlock()
}

// typingLoop publishes the typing notices queued by Typing.
func (pp *people) typingLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case channel := <-pp.typing:
			pctx, cancel := context.WithTimeout(ctx, time.Second)
			if err := pp.c.out.publish(pctx, channel, typingPrefix+pp.c.opts.User).Err(); err != nil {
				pp.c.opts.Logger.Debug("typing notice", "channel", channel, "err", err)
			}
			cancel()
		}
	}
}
