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
	c.mu.Lock()
	if now.Sub(c.typedAt[channel]) < TypingEvery {
		c.mu.Unlock()
		return
	}
	c.typedAt[channel] = now
	c.mu.Unlock()
	select {
	case c.typing <- channel:
	default: // a notice is a hint; never queue behind a slow link
	}
}

// sentMessage lets the next keystroke in channel announce typing again at
// once (the message just sent ended the previous bout).
func (c *Client) sentMessage(channel string) {
	c.mu.Lock()
	delete(c.typedAt, channel)
	c.mu.Unlock()
}

// typingLoop publishes the typing notices queued by Typing.
func (c *Client) typingLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case channel := <-c.typing:
			pctx, cancel := context.WithTimeout(ctx, time.Second)
			if err := c.publish(pctx, channel, typingPrefix+c.opts.User).Err(); err != nil {
				c.opts.Logger.Debug("typing notice", "channel", channel, "err", err)
			}
			cancel()
		}
	}
}
