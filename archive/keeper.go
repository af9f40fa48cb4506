package archive

import (
	"context"
	"log/slog"
	"slices"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rtchat/rtchat/chat"
)

// Source is what a Keeper reads conversations from (a *chat.Client).
type Source interface {
	// ConsumeMessages reads up to count entries of channel's stream after
	// stream id after (the zero ID: from its first), every kind.
	ConsumeMessages(ctx context.Context, channel string, after chat.ID, count int64) ([]chat.Message, error)
}

// Filling the archive.
const (
	// fillBatch is how many entries one read of the background fill
	// takes: one bounded call on the server, one transaction here.
	fillBatch = 500
	// fillPause is the pause between two reads of the fill, so that it
	// takes a share of the machine, not all of it.
	fillPause = 5 * time.Millisecond
	// retryAfter is how long the fill of a conversation waits after a
	// read failed.
	retryAfter = 3 * time.Second
	// trimEvery is how many rows are kept between two checks of the
	// archive's size.
	trimEvery = 5000
)

// Keeper keeps an archive filled: it reads each conversation the client
// follows from the last id held to the end, in the background, and then
// takes its live messages as they come. Watch hands it the client's
// events; Run does the work, on one goroutine.
type Keeper struct {
	a   *Archive
	src Source
	log *slog.Logger

	in       chan any    // events and requests, to Run
	overflow atomic.Bool // an event could not be queued: read everything again

	// Owned by Run.
	follow    map[string]*followed
	sinceTrim int
}

// followed is a conversation the client follows.
type followed struct {
	caughtUp bool      // the fill reached the end: live messages extend the part held
	retry    time.Time // a read failed: not before then
}

// unfollow asks Run to stop following a conversation.
type unfollow struct{ conv string }

// NewKeeper returns a Keeper of a reading from src (log may be nil).
func NewKeeper(a *Archive, src Source, log *slog.Logger) *Keeper {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Keeper{a: a, src: src, log: log, in: make(chan any, 4096), follow: map[string]*followed{}}
}

// Watch passes every event of in on, unchanged and in order, on the
// channel it returns (closed when in is), and queues a copy for Run
// without ever waiting for it.
func (k *Keeper) Watch(ctx context.Context, in <-chan chat.Event) <-chan chat.Event {
	out := make(chan chat.Event)
	go func() {
		defer close(out)
		for ev := range in {
			select {
			case k.in <- ev:
			default:
				k.overflow.Store(true)
			}
			select {
			case out <- ev:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out
}

// Unfollow says the client left conv: its live messages stop coming, so
// the part held stops where it is (and grows again from there when the
// conversation is joined again).
func (k *Keeper) Unfollow(ctx context.Context, conv string) {
	select {
	case k.in <- unfollow{conv}:
	case <-ctx.Done():
	}
}

// Run keeps the archive until ctx ends.
func (k *Keeper) Run(ctx context.Context) {
	var pause <-chan time.Time
	retry := time.NewTimer(time.Hour) // one timer, set to the first retry due
	defer retry.Stop()
	for {
		if pause == nil && k.pending(time.Now()) != "" {
			pause = time.After(fillPause)
		}
		if first := k.firstRetry(time.Now()); first.IsZero() {
			retry.Stop()
		} else {
			retry.Reset(time.Until(first))
		}
		select {
		case <-ctx.Done():
			return
		case v := <-k.in:
			k.handle(ctx, v)
		case <-pause:
			pause = nil
			if conv := k.pending(time.Now()); conv != "" {
				k.fill(ctx, conv)
			}
		case <-retry.C:
		}
		if k.overflow.Swap(false) {
			k.restart()
		}
	}
}

// firstRetry is when the first conversation whose read failed may be
// read again, after now (zero: none waits; one due now is pending).
func (k *Keeper) firstRetry(now time.Time) time.Time {
	var first time.Time
	for _, f := range k.follow {
		if !f.caughtUp && f.retry.After(now) && (first.IsZero() || f.retry.Before(first)) {
			first = f.retry
		}
	}
	return first
}

// pending is a conversation to fill now ("" for none), the one first in
// name order, so the fill goes through them one by one.
func (k *Keeper) pending(now time.Time) string {
	var names []string
	for name, f := range k.follow {
		if !f.caughtUp && !now.Before(f.retry) {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		return ""
	}
	return slices.Min(names)
}

// restart makes every conversation be read again from the last id held:
// events were missed (the queue was full), or the server changed.
func (k *Keeper) restart() {
	for _, f := range k.follow {
		f.caughtUp = false
	}
}

// handle applies one event or request.
func (k *Keeper) handle(ctx context.Context, v any) {
	switch ev := v.(type) {
	case chat.HistoryEvent:
		// A conversation joined (or joined again): read it from the last
		// id held, wherever it was left.
		k.follow[ev.Channel] = &followed{}
	case chat.MessageEvent:
		k.live(ctx, ev.Message)
	case chat.RetractedEvent:
		if f := k.follow[ev.Channel]; f != nil {
			f.caughtUp = false
		}
		if !ev.Lost {
			if err := k.a.Retract(ctx, ev.Channel, ev.IDs); err != nil {
				k.log.Warn("local archive", "err", err)
			}
		}
	case chat.TruncatedEvent:
		if f := k.follow[ev.Channel]; f != nil {
			f.caughtUp = false
		}
	case chat.RemovedEvent:
		delete(k.follow, ev.Channel)
		if err := k.a.Forget(ctx, ev.Channel); err != nil {
			k.log.Warn("local archive", "err", err)
		}
	case chat.ResetEvent:
		k.restart()
	case chat.StateEvent:
		if ev.State == chat.StateConnected {
			k.restart() // one short read each, to be sure nothing passed by
		}
	case unfollow:
		delete(k.follow, ev.conv)
	}
}

// live keeps a message delivered live, when the fill of its conversation
// has reached the end: the client delivers every entry after that in
// stream order, so the part held grows by it. Before that the fill will
// read it. An edit or a delete is read from the stream instead: a live
// payload is only a claim (anyone who may publish on the topic can make
// one up, in anyone's name), and while a made-up message is taken back
// with a RetractedEvent, a change it made to a message kept would stay.
func (k *Keeper) live(ctx context.Context, m chat.Message) {
	f := k.follow[m.Channel]
	if f == nil || !f.caughtUp || m.ID.IsZero() || m.Ephemeral {
		return
	}
	if m.Kind == chat.KindEdit || m.Kind == chat.KindDelete {
		f.caughtUp = false // the fill reads it, and what follows, from the stream
		return
	}
	if !m.ID.After(k.a.readTo(m.Channel)) {
		return // held already
	}
	if err := k.a.Store(ctx, m.Channel, []chat.Message{m}, chat.ID{}, m.ID); err != nil {
		k.log.Warn("local archive", "err", err)
		f.caughtUp = false
		return
	}
	k.trimMaybe(ctx, 1)
}

// fill reads the next batch of conv after the last id held.
func (k *Keeper) fill(ctx context.Context, conv string) {
	f := k.follow[conv]
	after := k.a.readTo(conv)
	msgs, err := k.src.ConsumeMessages(ctx, conv, after, fillBatch)
	if ctx.Err() != nil {
		return
	}
	if redis.IsPermissionError(err) {
		delete(k.follow, conv) // not theirs to read (any more)
		return
	}
	if err != nil {
		k.log.Info("local archive: fill", "channel", conv, "err", err)
		f.retry = time.Now().Add(retryAfter)
		return
	}
	f.retry = time.Time{}
	if len(msgs) > 0 {
		if err := k.a.Store(ctx, conv, msgs, chat.ID{}, msgs[len(msgs)-1].ID); err != nil {
			k.log.Warn("local archive", "err", err)
			f.retry = time.Now().Add(retryAfter)
			return
		}
	}
	f.caughtUp = len(msgs) < fillBatch
	k.trimMaybe(ctx, len(msgs))
}

// trimMaybe checks the archive's size every trimEvery rows kept.
func (k *Keeper) trimMaybe(ctx context.Context, added int) {
	k.sinceTrim += added
	if k.sinceTrim < trimEvery {
		return
	}
	k.sinceTrim = 0
	if err := k.a.Trim(ctx); err != nil {
		k.log.Warn("local archive", "err", err)
	}
}

// Kept is a client whose events pass a Keeper on their way to the window
// (Events), and whose Leave tells it: what the window runs on when it
// keeps an archive.
type Kept struct {
	*chat.Client
	keeper *Keeper
	events <-chan chat.Event
	done   chan struct{}
}

// Keep starts keeping a for client until ctx ends: first removing what
// the person may no longer read (Reconcile), then filling it. Read the
// events from the Kept it returns, not from client.
func Keep(ctx context.Context, client *chat.Client, a *Archive, log *slog.Logger) *Kept {
	k := NewKeeper(a, client, log)
	kept := &Kept{Client: client, keeper: k, events: k.Watch(ctx, client.Events()), done: make(chan struct{})}
	go func() {
		defer close(kept.done)
		// What was taken from the person while no window of theirs ran
		// goes first.
		if err := Reconcile(ctx, a, client); err != nil {
			k.log.Info("local archive", "err", err)
		}
		k.Run(ctx)
	}()
	return kept
}

// Events are the client's, once the keeper saw them.
func (k *Kept) Events() <-chan chat.Event { return k.events }

// Leave leaves channel, and the archive stops growing it.
func (k *Kept) Leave(ctx context.Context, channel string) error {
	if err := k.Client.Leave(ctx, channel); err != nil {
		return err
	}
	k.keeper.Unfollow(ctx, channel)
	return nil
}

// Wait returns once the keeping stopped (its ctx ended).
func (k *Kept) Wait() { <-k.done }
