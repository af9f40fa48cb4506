package chat

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Verification (docs/DESIGN.md, "Verified authors"). An ed25519 check
// costs tens of µs, too much for every delivery when a hundred clients
// share a process, so a message is checked only when someone looks at it:
// the window asks Verify for the lines it draws, tail calls VerifyNow.
// The client remembers what it needs to check the messages it delivered
// lately (bounded), and each person's registered keys; what it does not
// have, a background loop reads (one pipeline), answering with a
// VerifiedEvent.

// Verdict says whether a message is known to be its author's.
type Verdict uint8

const (
	// VerdictPending: being checked; a VerifiedEvent brings the answer.
	VerdictPending Verdict = iota
	// Verified: signed by a key registered to its author (or, on a server
	// without accounts, pinned for the author).
	Verified
	// Unverified: no signature, a wrong one, or a key that is not the
	// author's.
	Unverified
)

// VerifiedEvent answers Verify calls that returned VerdictPending.
type VerifiedEvent struct{ Results []VerifyResult }

// VerifyResult is the verdict on message ID of Channel.
type VerifyResult struct {
	Channel string
	ID      ID
	Verdict Verdict
}

func (VerifiedEvent) isEvent() {}

// KeyPins keeps the keys a reader has seen on a server without accounts
// (trust on first use): a person's keys are pinned when first seen, and a
// key that appears later is pinned with a notice.
type KeyPins interface {
	// Pinned returns the keys pinned for user: key id → public key.
	Pinned(user string) map[string]string
	// Pin records key id of user.
	Pin(user, id, key string) error
}

// memoryPins keeps pins for the client's life.
type memoryPins struct {
	mu   sync.Mutex
	pins map[string]map[string]string
}

func (p *memoryPins) Pinned(user string) map[string]string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return maps.Clone(p.pins[user])
}

func (p *memoryPins) Pin(user, id, key string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.pins == nil {
		p.pins = map[string]map[string]string{}
	}
	if p.pins[user] == nil {
		p.pins[user] = map[string]string{}
	}
	p.pins[user][id] = key
	return nil
}

// Bounds of what the verifier remembers.
const (
	// rememberCount and rememberBytes bound the delivered messages kept
	// for checking (their texts count towards the bytes).
	rememberCount = 4096
	rememberBytes = 4 << 20
	// keysFresh is how long a person's keys are taken as read before an
	// unknown key id makes the verifier read them again.
	keysFresh = 5 * time.Second
)

type msgRef struct {
	conv string
	id   ID
}

// person is what the verifier knows of one person's keys.
type person struct {
	keys   map[string]ed25519.PublicKey
	loaded time.Time
}

// verifier is the client's part that checks signatures: it remembers what
// was delivered, reads the authors' keys, and answers Verify at once or
// later (verifyLoop). mu guards every field but c and wake; it is taken
// under a follow's mu (delivery remembers what it delivers), never the
// other way round, and never held across a Redis call.
type verifier struct {
	c  *Client
	mu sync.Mutex
	// seen holds delivered messages by reference; ring is their order of
	// arrival (the oldest go first), bytes their texts' size.
	seen  map[msgRef]Message
	ring  []msgRef
	next  int
	bytes int
	// people by name; waiting are the messages asked for and not answered.
	people  map[string]*person
	waiting map[msgRef]bool
	wake    chan struct{}
}

func newVerifier(c *Client) *verifier {
	return &verifier{c: c, seen: map[msgRef]Message{}, people: map[string]*person{}, waiting: map[msgRef]bool{}, wake: make(chan struct{}, 1)}
}

// refuses reports whether e is an edit or a delete that Apply refuses on
// the message it changes, as far as the verifier remembers that message:
// another's, or signed with another key than the original. (One it does
// not remember any more is not judged here; the reader's own Apply, with
// the original at hand, still is.)
func (v *verifier) refuses(e Message) bool {
	if e.Kind != KindEdit && e.Kind != KindDelete {
		return false
	}
	v.mu.Lock()
	t, ok := v.seen[msgRef{e.Channel, e.Ref}]
	v.mu.Unlock()
	if !ok {
		return false
	}
	return !Apply(&Message{ID: t.ID, User: t.User, Key: t.Key, Sig: t.Sig}, e)
}

// remember keeps m for a later check.
func (v *verifier) remember(m Message) {
	if m.ID.IsZero() {
		return
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	ref := msgRef{m.Channel, m.ID}
	if old, ok := v.seen[ref]; ok {
		if m.Kind != KindEdit || old.Text == m.Text && old.Sig == m.Sig {
			return
		}
		// An edit as a message's state records it: what is shown is what
		// must be checked (a state written by another tool may name the
		// id of another entry).
		v.bytes -= len(old.Text)
		delete(v.seen, ref)
	}
	m.ChannelID = ""
	for len(v.ring) > 0 && (len(v.seen) >= rememberCount || v.bytes+len(m.Text) > rememberBytes) {
		v.forget()
	}
	v.seen[ref] = m
	v.bytes += len(m.Text)
	if len(v.ring) < rememberCount {
		v.ring = append(v.ring, ref)
		return
	}
	v.ring[v.next] = ref
	v.next = (v.next + 1) % len(v.ring)
}

// rememberAll keeps msgs for a later check, with the edits their states
// hold and the messages they quote.
func (v *verifier) rememberAll(msgs []Message) {
	for _, m := range msgs {
		v.remember(m)
		if m.State != nil && m.State.Edit != nil {
			v.remember(*m.State.Edit)
		}
		if m.Quote != nil {
			v.remember(*m.Quote)
		}
	}
}

// forget drops the oldest remembered message.
func (v *verifier) forget() {
	ref := v.ring[v.next]
	if m, ok := v.seen[ref]; ok {
		v.bytes -= len(m.Text)
		delete(v.seen, ref)
	}
	if len(v.ring) < rememberCount {
		// The ring is not full yet: drop its head.
		v.ring = v.ring[1:]
		return
	}
	v.ring[v.next] = msgRef{}
	v.next = (v.next + 1) % len(v.ring)
}

// need says what a check of m lacks: nothing, or the author's keys.
func (v *verifier) needKeys(m *Message) bool {
	if m.Sig == "" {
		return false
	}
	p := v.people[m.User]
	if p == nil {
		return true
	}
	_, known := p.keys[m.Key]
	return !known && time.Since(p.loaded) > keysFresh
}

// judge checks m with the author's keys as known (v.mu held by the caller
// while it reads them; the check itself runs on a copy).
func judge(m *Message, pub ed25519.PublicKey, canon string) Verdict {
	if m.Sig == "" || pub == nil || len(m.Sig) != ed25519.SignatureSize {
		return Unverified
	}
	if ed25519.Verify(pub, signedBytes(canon, m), []byte(m.Sig)) {
		return Verified
	}
	return Unverified
}

// keyOf returns the author's key that signed m, if the verifier knows it.
func (v *verifier) keyOf(m *Message) ed25519.PublicKey {
	if p := v.people[m.User]; p != nil {
		return p.keys[m.Key]
	}
	return nil
}

// Verify says whether message id of conv, as this client delivered it, is
// its author's. It never blocks: when the client must first read the
// message or the author's keys, it says VerdictPending and a
// VerifiedEvent brings the answer.
func (c *Client) Verify(conv string, id ID) Verdict {
	v := c.verify
	ref := msgRef{conv, id}
	v.mu.Lock()
	m, ok := v.seen[ref]
	if !ok || v.needKeys(&m) {
		v.waiting[ref] = true
		v.mu.Unlock()
		select {
		case v.wake <- struct{}{}:
		default:
		}
		return VerdictPending
	}
	pub := v.keyOf(&m)
	v.mu.Unlock()
	return judge(&m, pub, c.verify.canonical(conv))
}

// VerifyNow checks msgs, reading the keys it lacks first; it returns
// whether each is its author's, and the notices of keys that changed.
func (c *Client) VerifyNow(ctx context.Context, msgs ...Message) ([]bool, []string, error) {
	v := c.verify
	var users []string
	v.mu.Lock()
	for i := range msgs {
		if v.needKeys(&msgs[i]) && !slices.Contains(users, msgs[i].User) {
			users = append(users, msgs[i].User)
		}
	}
	v.mu.Unlock()
	notices, err := c.verify.loadKeys(ctx, users)
	if err != nil {
		return nil, nil, err
	}
	out := make([]bool, len(msgs))
	for i := range msgs {
		v.mu.Lock()
		pub := v.keyOf(&msgs[i])
		v.mu.Unlock()
		out[i] = judge(&msgs[i], pub, c.verify.canonical(msgs[i].Channel)) == Verified
	}
	return out, notices, nil
}

// canonical is conv as signatures name it (see signedBytes).
func (v *verifier) canonical(conv string) string { return canonicalConv(conv, v.c.opts.User) }

// verifyLoop answers the Verify calls that were pending, until ctx ends.
// A failed read is tried again after a backoff.
func (v *verifier) verifyLoop(ctx context.Context) {

	attempt := 0
	for {
		var retry <-chan time.Time
		if attempt > 0 {
			retry = time.After(Backoff(attempt, v.c.opts.MaxBackoff))
		}
		select {
		case <-ctx.Done():
			return
		case <-v.wake:
		case <-retry:
		}
		if err := v.answerPending(ctx); err != nil {
			if ctx.Err() != nil {
				return
			}
			v.c.opts.Logger.Debug("verify messages", "err", err)
			attempt++
			continue
		}
		attempt = 0
	}
}

// answerPending reads what the waiting checks lack and answers them.
func (v *verifier) answerPending(ctx context.Context) error {

	v.mu.Lock()
	refs := slices.Collect(maps.Keys(v.waiting))
	var missing []msgRef
	for _, r := range refs {
		if _, ok := v.seen[r]; !ok {
			missing = append(missing, r)
		}
	}
	v.mu.Unlock()
	if len(refs) == 0 {
		return nil
	}
	gone, err := v.fetchEntries(ctx, missing)
	if err != nil {
		return err
	}
	var users []string
	v.mu.Lock()
	for _, r := range refs {
		if m, ok := v.seen[r]; ok && v.needKeys(&m) && !slices.Contains(users, m.User) {
			users = append(users, m.User)
		}
	}
	v.mu.Unlock()
	notices, err := v.loadKeys(ctx, users)
	if err != nil {
		return err
	}
	for _, n := range notices {
		v.c.emit(ctx, NoticeEvent{Text: n})
	}
	results := make([]VerifyResult, 0, len(refs))
	for _, r := range refs {
		v.mu.Lock()
		m, ok := v.seen[r]
		pub := v.keyOf(&m)
		delete(v.waiting, r)
		v.mu.Unlock()
		switch {
		case gone[r] || !ok:
			// The entry is no longer in the stream: nothing vouches for it.
			results = append(results, VerifyResult{Channel: r.conv, ID: r.id, Verdict: Unverified})
		default:
			results = append(results, VerifyResult{Channel: r.conv, ID: r.id, Verdict: judge(&m, pub, v.canonical(r.conv))})
		}
	}
	v.c.emit(ctx, VerifiedEvent{Results: results})
	return nil
}

// fetchEntries reads the entries of refs (one pipeline) and remembers
// them; it returns those the stream no longer has.
func (v *verifier) fetchEntries(ctx context.Context, refs []msgRef) (map[msgRef]bool, error) {
	if len(refs) == 0 {
		return nil, nil
	}
	pipe := v.c.rdb.Pipeline()
	cmds := make([]*redis.XMessageSliceCmd, len(refs))
	for i, r := range refs {
		cmds[i] = pipe.XRangeN(ctx, v.c.hist.streamOf(r.conv), r.id.String(), r.id.String(), 1)
	}
	_, _ = pipe.Exec(ctx) // each reply is checked below
	gone := map[msgRef]bool{}
	for i, cmd := range cmds {
		xs, err := cmd.Result()
		switch {
		case err != nil && !isNotFound(err):
			return nil, fmt.Errorf("read a message to verify: %w", CleanRedisError(err))
		case len(xs) == 0:
			gone[refs[i]] = true
		default:
			v.remember(decodeEntry(refs[i].conv, xs[0].ID, xs[0].Values))
		}
	}
	return gone, nil
}

// isNotFound reports an error that means there is nothing to read (a
// key of another type counts: nothing of rtchat's is there).
func isNotFound(err error) bool {
	return err == redis.Nil || redis.HasErrorPrefix(err, "WRONGTYPE")
}

// loadKeys reads the keys of users (one pipeline) and applies them: as
// they are on a server with accounts, through the pins without. It
// returns a notice for each key that changed.
func (v *verifier) loadKeys(ctx context.Context, users []string) ([]string, error) {
	if len(users) == 0 {
		return nil, nil
	}
	pipe := v.c.rdb.Pipeline()
	cmds := make([]*redis.MapStringStringCmd, len(users))
	for i, u := range users {
		cmds[i] = pipe.HGetAll(ctx, v.c.keys.SigningKeys(u))
	}
	_, _ = pipe.Exec(ctx) // each reply is checked below
	var notices []string
	for i, cmd := range cmds {
		h, err := cmd.Result()
		if err != nil && !isNotFound(err) {
			return nil, fmt.Errorf("read the keys of %s: %w", users[i], CleanRedisError(err))
		}
		keys, changed := v.trust(users[i], h)
		notices = append(notices, changed...)
		v.mu.Lock()
		v.people[users[i]] = &person{keys: keys, loaded: time.Now()}
		v.mu.Unlock()
	}
	return notices, nil
}

// trust turns user's registered keys into the keys trusted for them.
// With accounts only the user may register keys: they are trusted as
// they are. Without, the first keys seen are pinned; a key that appears
// later is pinned with a notice; a pinned key stays trusted when it is
// removed or replaced in Redis.
func (v *verifier) trust(user string, registered map[string]string) (map[string]ed25519.PublicKey, []string) {
	keys := map[string]ed25519.PublicKey{}
	if v.c.opts.Accounts {
		for id, raw := range registered {
			if pub, ok := parsePublicKey(id, raw); ok {
				keys[id] = pub
			}
		}
		return keys, nil
	}
	pinned := v.c.opts.Pins.Pinned(user)
	first := len(pinned) == 0
	for id, raw := range pinned {
		if pub, ok := parsePublicKey(id, raw); ok {
			keys[id] = pub
		}
	}
	var notices []string
	for _, id := range slices.Sorted(maps.Keys(registered)) {
		raw := registered[id]
		pub, ok := parsePublicKey(id, raw)
		if !ok || keys[id] != nil {
			continue
		}
		keys[id] = pub
		if err := v.c.opts.Pins.Pin(user, id, raw); err != nil {
			v.c.opts.Logger.Warn("pin a signing key", "user", user, "err", err)
		}
		if !first && (v.c.opts.Signer == nil || id != v.c.opts.Signer.KeyID()) {
			notices = append(notices, fmt.Sprintf("%s has a new signing key (%s): a new device of theirs, or someone posing as them — this server has no accounts, so anyone with its password can add keys", user, id))
		}
	}
	return keys, notices
}
