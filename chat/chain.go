package chat

import (
	"slices"
	"sync/atomic"
	"time"
)

// The stream is the source of truth; live entries only bring it sooner
// (docs/DESIGN.md). Anyone who may publish to a channel's topic can publish
// anything there, so a live entry is shown only when it follows what the
// client has shown (its prev is the last id shown) and its id is not ahead
// of the server's clock. Anything else makes the client read the stream
// after the last point it read from the stream and show what is there.
// Nothing published can therefore move the client past a real entry it has
// not shown: a real entry always follows the real entry before it, so the
// first one after a forged live entry fails the check and the stream read
// that follows brings it (and every other real entry) in.

// clockSkew is how far ahead of the server's clock (as the client knows
// it) a live entry's id may be before it is refused.
const clockSkew = 3 * time.Second

// settleEvery is how many live deliveries a chain takes between two reads
// of the stream that settle them (see chain.delivered).
const settleEvery = 256

// liveVerdict is what to do with a live entry (not a signature's
// Verdict).
type liveVerdict uint8

const (
	deliverIt  liveVerdict = iota // it follows what was shown: show it
	dropIt                        // it was shown already
	readStream                    // it does not follow, or is not plausible: read the stream
	refuseIt                      // its id is ahead of the server's clock: log it, read the stream
)

// chain is what the client knows of one channel's stream. Only the
// goroutine that delivers the channel touches it (under its follow's mu).
type chain struct {
	// last is the newest entry delivered (live or from the stream).
	last ID
	// floor is the newest entry read from the stream: every stream entry up
	// to it has been delivered.
	floor ID
	// live lists entries delivered from live payloads after floor, in
	// stream order, so that a repeat of one of them is dropped, not read
	// for; settleAt is the length at which delivered asks for the read
	// that moves the floor up.
	live     []ID
	settleAt int
	// confirmed[i] is set once a stream read found live[i] there.
	confirmed []bool
}

// newChain starts a chain at id, the newest entry read from the stream.
func newChain(id ID) *chain { return &chain{last: id, floor: id} }

// offer decides what to do with a live entry id whose stream predecessor
// is prev, the server's clock being about now.
func (c *chain) offer(id, prev ID, now serverTime) liveVerdict {
	switch {
	case now.ahead(id):
		return refuseIt
	case prev == c.last && id.After(c.last):
		return deliverIt
	case !id.After(c.last) && (id == c.last || !id.After(c.floor) || c.deliveredLive(id)):
		return dropIt
	}
	return readStream
}

// delivered records that live entry id was shown. It reports when the
// stream should be read to settle what was shown (every settleEvery live
// deliveries): only a read moves the floor. A live entry that chains onto
// the last one shown is not proof that nothing lies between them in the
// stream — a forged payload can chain onto the last one shown, and a real
// entry whose live copy was lost (or never published) then hides behind
// it until the stream is read; moving the floor by time alone would lose
// it for good.
func (c *chain) delivered(id ID) (settle bool) {
	c.last = id
	c.live = append(c.live, id)
	c.confirmed = append(c.confirmed, false)
	if len(c.live) < c.settleAt || len(c.live) < settleEvery {
		return false
	}
	c.settleAt = len(c.live) + settleEvery
	return true
}

// deliveredLive reports whether id was delivered from a live payload
// since the floor.
func (c *chain) deliveredLive(id ID) bool {
	_, found := slices.BinarySearchFunc(c.live, id, ID.Compare)
	return found
}

// shouldDeliver reports whether id, read from the stream after the floor,
// still has to be shown (it was not delivered live). A live delivery it
// finds is confirmed: the stream holds it.
func (c *chain) shouldDeliver(id ID) bool {
	if !id.After(c.floor) {
		return false
	}
	i, found := slices.BinarySearchFunc(c.live, id, ID.Compare)
	if found {
		c.confirmed[i] = true
	}
	return !found
}

// read records that the stream was read after the floor up to its end,
// whose newest entry is newest (zero when nothing was there), every entry
// passing through shouldDeliver. What the stream holds is now what was
// shown last. It returns the live deliveries the stream does not hold:
// they were forged, since a real entry is in the stream before its live
// copy is published, and the caller takes them back (a real entry may
// come later with the same id; it must not pass for one already shown).
func (c *chain) read(newest ID) (phantoms []ID) {
	for i, id := range c.live {
		if !c.confirmed[i] {
			phantoms = append(phantoms, id)
		}
	}
	if newest.After(c.floor) {
		c.floor = newest
	}
	c.last = c.floor
	c.live, c.confirmed, c.settleAt = c.live[:0], c.confirmed[:0], 0
	return phantoms
}

// serverTime is the server's clock as a client knows it: ms is its best
// estimate now (0 when the client knows nothing of it).
type serverTime struct{ ms uint64 }

// ahead reports whether id is further ahead of the server's clock than
// clockSkew.
func (t serverTime) ahead(id ID) bool {
	return t.ms > 0 && id.MS > t.ms+uint64(clockSkew/time.Millisecond)
}

// serverClock tracks the offset between the local clock and the server's,
// learnt from ids the server gave (stream reads, send replies) and from
// TIME. It only ever moves the estimate forward: each observation is a
// lower bound of the server's time when it was made. Safe for concurrent
// use.
type serverClock struct {
	offset atomic.Int64 // server ms - local ms; valid when known
	known  atomic.Bool
}

// observe records that the server's clock read at least ms now.
func (s *serverClock) observe(ms uint64) {
	if ms == 0 || ms > maxTimestamp {
		return
	}
	off := int64(ms) - time.Now().UnixMilli()
	for {
		cur := s.offset.Load()
		if s.known.Load() && off <= cur {
			return
		}
		if s.offset.CompareAndSwap(cur, off) {
			s.known.Store(true)
			return
		}
	}
}

// now returns the estimate of the server's clock. Before anything was
// observed it assumes the server's clock is the local one.
func (s *serverClock) now() serverTime {
	return serverTime{ms: uint64(max(time.Now().UnixMilli()+s.offset.Load(), 1))}
}
