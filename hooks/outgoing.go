package hooks

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rtchat/rtchat/chat"
)

// Outgoing hooks work as Mattermost's: a person's message in one of the
// hook's channels whose first word is a trigger is POSTed (a form:
// token, channel_id, channel_name, user_name, text, trigger_word,
// timestamp, post_id) to the hook's URL; a JSON answer {"text": …} is
// posted, as the hook, in the message's thread. A bot's message (a
// hook's) never triggers one, nor does one not signed by its author.
// Every server running a Dispatcher follows
// the channels; the first to claim a message (rtchat:hook:<id>:fired:<msg>,
// SET NX) fires it, so several servers fire it once.

// Dispatcher fires the outgoing hooks.
type Dispatcher struct {
	s *Server
	// Refresh is how often the list of outgoing hooks is read again.
	Refresh time.Duration
	http    *http.Client

	mu      sync.Mutex
	running map[string]context.CancelFunc // by hook id and key
	wg      sync.WaitGroup
}

// fireTimeout bounds one POST; firing tries three times, with backoff.
const fireTimeout = 5 * time.Second

// NewDispatcher fires the outgoing hooks with s's connection and options.
func (s *Server) NewDispatcher() *Dispatcher {
	return &Dispatcher{s: s, Refresh: 10 * time.Second, http: &http.Client{Timeout: fireTimeout}, running: map[string]context.CancelFunc{}}
}

// Run follows the outgoing hooks until ctx ends, starting the ones made
// meanwhile and stopping the ones deleted.
func (d *Dispatcher) Run(ctx context.Context) {
	defer d.wg.Wait()
	d.wg.Go(func() { d.takeCommands(ctx) }) // and the slash commands run
	for {
		if list, err := List(ctx, d.s.rdb); err == nil {
			d.reconcile(ctx, list)
		} else if ctx.Err() == nil {
			d.s.opts.Logger.Warn("read the outgoing hooks", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(d.Refresh):
		}
	}
}

func (d *Dispatcher) reconcile(ctx context.Context, list []*Hook) {
	d.mu.Lock()
	defer d.mu.Unlock()
	want := map[string]*Hook{}
	for _, h := range list {
		if h.Out {
			want[h.ID+h.key+h.Target+strings.Join(h.Triggers, ",")+strings.Join(h.Channels, ",")] = h
		}
	}
	for k, stop := range d.running {
		if want[k] == nil {
			stop()
			delete(d.running, k)
		}
	}
	for k, h := range want {
		if d.running[k] == nil {
			hctx, stop := context.WithCancel(ctx)
			d.running[k] = stop
			d.wg.Go(func() { d.follow(hctx, h) })
		}
	}
}

// follow watches h's channels until ctx ends.
func (d *Dispatcher) follow(ctx context.Context, h *Hook) {
	log := d.s.opts.Logger.With("hook", h.ID)
	signer, err := chat.SignerFromKey(h.key)
	if err != nil {
		log.Warn("an outgoing hook's key is damaged", "err", err)
		return
	}
	o := d.s.opts
	c, err := chat.New(chat.Options{Redis: d.s.rdb, User: chat.HookAuthor(h.Name), Signer: signer, Keys: o.Keys,
		MaxMessageBytes: o.MaxMessageBytes, MaxLen: o.MaxLen, Scripts: o.ScriptMode, Logger: o.Logger})
	if err != nil {
		log.Warn("start an outgoing hook", "err", err)
		return
	}
	defer c.Close()
	if err := c.Start(ctx); err != nil {
		if ctx.Err() == nil {
			log.Warn("start an outgoing hook", "err", err)
		}
		return
	}
	for _, ch := range h.Channels {
		if _, err := c.Join(ctx, ch); err != nil && ctx.Err() == nil {
			log.Warn("an outgoing hook cannot follow its channel", "channel", ch, "err", err)
		}
	}
	for {
		var ev chat.Event
		select {
		case <-ctx.Done():
			return
		case ev = <-c.Events():
		}
		e, ok := ev.(chat.MessageEvent)
		if !ok {
			continue
		}
		m := e.Message
		if m.IsBot() || m.Ephemeral || m.ID.IsZero() || m.Kind != chat.KindText || !slices.Contains(h.Channels, m.Channel) {
			continue
		}
		word, _, _ := strings.Cut(strings.TrimSpace(m.Text), " ")
		if !slices.Contains(h.Triggers, word) {
			continue
		}
		d.wg.Go(func() {
			if d.take(ctx, c, h, m) {
				d.fire(ctx, c, h, m, word)
			}
		})
	}
}

// Claims of a fired message live claimTTL; a server asks Redis for up to
// claimPatience (a restart, a dropped link) before it leaves a message
// unfired.
const (
	claimTTL      = 10 * time.Minute
	claimPatience = time.Minute
)

// take reports whether this server fires m: only a message signed by its
// author fires (the service may act on user_name, and anyone who may
// write the channel can add an entry in another's name), and only the
// first server to claim it. A question Redis did not answer is asked
// again.
func (d *Dispatcher) take(ctx context.Context, c *chat.Client, h *Hook, m chat.Message) bool {
	log := d.s.opts.Logger.With("hook", h.ID, "message", m.ID.String())
	key := recordKey(h.ID) + ":fired:" + m.Channel + ":" + m.ID.String()
	verified := false
	until := time.Now().Add(claimPatience)
	for attempt := 1; ; attempt++ {
		var err error
		if !verified {
			var ok []bool
			if ok, _, err = c.VerifyNow(ctx, m); err == nil {
				if !ok[0] {
					log.Warn("an outgoing hook skipped a message not known to be its author's", "user", m.User)
					return false
				}
				verified = true
			}
		}
		if verified {
			var claimed bool
			if claimed, err = d.s.claim(ctx, key, d.s.token, claimTTL); err == nil {
				return claimed // false: another server fires it
			}
		}
		if ctx.Err() != nil {
			return false
		}
		if time.Now().After(until) {
			log.Warn("an outgoing hook could not claim a message: Redis did not answer", "err", err)
			return false
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(chat.Backoff(attempt, 5*time.Second)):
		}
	}
}

// fire POSTs m to h's URL, three tries at most, and posts the answer's
// text in m's thread.
func (d *Dispatcher) fire(ctx context.Context, c *chat.Client, h *Hook, m chat.Message, word string) {
	log := d.s.opts.Logger.With("hook", h.ID, "message", m.ID.String())
	form := url.Values{"token": {h.Token}, "channel_id": {m.ChannelID}, "channel_name": {m.Channel}, "user_name": {m.User},
		"text": {m.Text}, "trigger_word": {word}, "timestamp": {strconv.FormatInt(m.Time.UnixMilli(), 10)}, "post_id": {m.ID.String()}}
	var body []byte
	for attempt := 1; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.Target, strings.NewReader(form.Encode()))
		if err != nil {
			log.Warn("an outgoing hook's URL", "err", err)
			return
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := d.http.Do(req)
		if err == nil {
			body, _ = io.ReadAll(io.LimitReader(resp.Body, MaxBody))
			resp.Body.Close()
			if resp.StatusCode < 500 {
				if resp.StatusCode >= 300 {
					log.Warn("an outgoing hook's URL refused the message", "status", resp.StatusCode)
					return
				}
				break
			}
			err = &statusError{resp.StatusCode}
		}
		if attempt == 3 || ctx.Err() != nil {
			log.Warn("an outgoing hook's URL did not answer", "err", err)
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(chat.Backoff(attempt, 4*time.Second)):
		}
	}
	var answer struct {
		Text string `json:"text"`
	}
	if json.Unmarshal(body, &answer) != nil || strings.TrimSpace(answer.Text) == "" {
		return // an empty answer, or none: nothing to say
	}
	root := m.Thread
	if root.IsZero() {
		root = m.ID
	}
	if _, err := c.Broadcast(ctx, chat.Draft{Channel: m.Channel, Text: cut(mrkdwn(answer.Text), d.s.opts.MaxMessageBytes), Thread: root}); err != nil {
		log.Warn("post an outgoing hook's answer", "err", err)
	}
}

type statusError struct{ code int }

func (e *statusError) Error() string { return "HTTP " + strconv.Itoa(e.code) }
