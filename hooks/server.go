package hooks

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/redis/go-redis/v9"
	"github.com/rtchat/rtchat/chat"
)

const (
	// MaxBody is the largest POST taken (413 above it).
	MaxBody = 1 << 20
	// DefaultRate is how many POSTs a second one hook may make.
	DefaultRate = 20
	// dedupeFor is how long a POST's body is remembered: the same body
	// again within it (a sender that timed out and resent) is stored once.
	dedupeFor = time.Minute
	// pendingClaim starts the value of a body's claim while its message
	// is being stored (then the value is the stream id).
	pendingClaim = "pending "
)

// ServerOptions configure a Server.
type ServerOptions struct {
	// Rate is how many POSTs a second one hook may make (default
	// DefaultRate); over it the answer is 429 with Retry-After.
	Rate int
	// MaxMessageBytes is the message size limit; a longer text is cut
	// (default chat.DefaultMaxMessageBytes).
	MaxMessageBytes int
	// Keys is the key schema (default chat.DefaultKeys()).
	Keys chat.Keys
	// ScriptMode says how the chat clients run rtchat's programs.
	ScriptMode chat.ScriptMode
	// MaxLen is the channels' retention, as every client keeps it.
	MaxLen int64
	// Logger receives one line per POST (never a secret).
	Logger *slog.Logger
	// PublicURL is where the services of slash commands reach this
	// server, for their response_url (default http://127.0.0.1:8065).
	PublicURL string
}

// Server answers incoming webhooks. It keeps nothing of its own between
// requests but a chat client per hook: several may run behind a load
// balancer.
type Server struct {
	rdb  redis.UniversalClient
	opts ServerOptions
	// token marks the claims this server made (claim).
	token string

	mu      sync.Mutex
	clients map[string]*hookClient // by hook id and key
}

type hookClient struct {
	c        *chat.Client
	signer   *chat.Signer
	mu       sync.Mutex
	prepared map[string]bool // channels whose id the client has
	keyed    bool            // its key is registered
}

// NewServer returns a server storing messages on rdb.
func NewServer(rdb redis.UniversalClient, opts ServerOptions) *Server {
	if opts.Rate <= 0 {
		opts.Rate = DefaultRate
	}
	if opts.MaxMessageBytes <= 0 {
		opts.MaxMessageBytes = chat.DefaultMaxMessageBytes
	}
	if opts.Keys == (chat.Keys{}) {
		opts.Keys = chat.DefaultKeys()
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.PublicURL == "" {
		opts.PublicURL = "http://127.0.0.1:8065"
	}
	return &Server{rdb: rdb, opts: opts, token: rand.Text(), clients: map[string]*hookClient{}}
}

// claim sets key to token for ttl unless it is set, and reports whether
// the key is token's: the first of several servers (or requests) to ask
// has it. go-redis tries a command again on its own when the link is
// cut, so a SET NX whose first answer was lost answers "not set" to the
// one that set it; the value tells.
func (s *Server) claim(ctx context.Context, key, token string, ttl time.Duration) (bool, error) {
	claimed, err := s.rdb.SetNX(ctx, key, token, ttl).Result()
	if err != nil || claimed {
		return claimed, err
	}
	owner, err := s.rdb.Get(ctx, key).Result()
	if errors.Is(err, redis.Nil) {
		return false, nil // it ran out meanwhile: not ours
	}
	return owner == token, err
}

// Close closes the hooks' chat clients.
func (s *Server) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, hc := range s.clients {
		hc.c.Close()
	}
	clear(s.clients)
}

// Handler serves POST /hooks/<id>/<secret>.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /hooks/{id}/{secret}", s.post)
	mux.HandleFunc("/hooks/{id}/{secret}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", http.MethodPost)
		answer(w, http.StatusMethodNotAllowed, "invalid_method")
	})
	mux.HandleFunc("POST /commands/{trigger}/{secret}", s.respond)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		if err := s.rdb.Ping(r.Context()).Err(); err != nil {
			answer(w, http.StatusServiceUnavailable, "redis_unavailable")
			return
		}
		answer(w, http.StatusOK, "ok")
	})
	return mux
}

// answer writes Slack's kind of answer: a short plain-text word.
func answer(w http.ResponseWriter, status int, word string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, word)
}

// readBody reads a POST's body, MaxBody at most; when it cannot, it has
// answered (413 over the limit), and returns nil and the answer for the
// log.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, int, string) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	status, word := http.StatusBadRequest, "invalid_payload"
	var tooBig *http.MaxBytesError
	switch {
	case err == nil:
		return body, 0, ""
	case errors.As(err, &tooBig):
		status, word = http.StatusRequestEntityTooLarge, "request_too_large"
	}
	answer(w, status, word)
	return nil, status, word
}

// unavailable says Redis is away: try again soon.
func unavailable(w http.ResponseWriter) {
	w.Header().Set("Retry-After", "5")
	answer(w, http.StatusServiceUnavailable, "redis_unavailable")
}

// dummySum is compared against when no hook has the id, so an unknown id
// and a wrong secret cost the same.
var dummySum = sum("no hook has this secret")

func (s *Server) post(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id, secret := r.PathValue("id"), r.PathValue("secret")
	status, word := s.store(ctx, w, r, id, secret)
	s.opts.Logger.Info("hook POST", "hook", id, "status", status, "answer", word, "from", r.RemoteAddr)
}

// store does the work of a POST and answers it; it returns the answer
// for the log.
func (s *Server) store(ctx context.Context, w http.ResponseWriter, r *http.Request, id, secret string) (int, string) {
	body, status, word := readBody(w, r)
	if body == nil {
		return status, word
	}
	h, err := Get(ctx, s.rdb, id)
	want := dummySum
	if err == nil {
		want = h.secretSum
	}
	given := sum(secret)
	match := subtle.ConstantTimeCompare([]byte(given), []byte(want)) == 1
	if err == nil && (h.Out || h.Command != "") {
		err = ErrNoHook // an outgoing hook or a command takes no POSTs
	}
	switch {
	case errors.Is(err, ErrNoHook):
		answer(w, http.StatusNotFound, "no_service")
		return http.StatusNotFound, "no_service"
	case err != nil:
		if chat.Retryable(err) {
			unavailable(w)
			return http.StatusServiceUnavailable, "redis_unavailable"
		}
		answer(w, http.StatusInternalServerError, "internal_error")
		return http.StatusInternalServerError, err.Error()
	case !match:
		answer(w, http.StatusForbidden, "invalid_token")
		return http.StatusForbidden, "invalid_token"
	}
	if ok, err := s.allow(ctx, h); err != nil {
		unavailable(w)
		return http.StatusServiceUnavailable, "redis_unavailable"
	} else if !ok {
		w.Header().Set("Retry-After", "1")
		answer(w, http.StatusTooManyRequests, "rate_limited")
		return http.StatusTooManyRequests, "rate_limited"
	}
	p, err := parsePayload(r.Header.Get("Content-Type"), body)
	if err != nil {
		answer(w, http.StatusBadRequest, err.Error())
		return http.StatusBadRequest, err.Error()
	}
	text, err := p.message()
	if err != nil {
		answer(w, http.StatusBadRequest, err.Error())
		return http.StatusBadRequest, err.Error()
	}
	channel := h.Channels[0]
	if c := strings.TrimPrefix(strings.TrimSpace(p.Channel), "#"); c != "" {
		if !slices.Contains(h.Channels, c) {
			answer(w, http.StatusNotFound, "channel_not_found")
			return http.StatusNotFound, "channel_not_found"
		}
		channel = c
	}
	text = cut(text, s.opts.MaxMessageBytes)

	// The same body again within a minute is stored once: the first
	// POST claims it; a second waits for the first's outcome.
	bodySum := sha256.Sum256(append([]byte(channel+"\n"), body...))
	seen := recordKey(h.ID) + ":seen:" + hex.EncodeToString(bodySum[:])
	// The claim is this request's own ("pending <token>"): go-redis may
	// have set it on a try whose answer was lost.
	pending := pendingClaim + rand.Text()
	failed := 0
claim:
	for deadline := time.Now().Add(5 * time.Second); ; {
		claimed, err := s.rdb.SetNX(ctx, seen, pending, dedupeFor).Result()
		if err != nil {
			// Asked again at once: a lost answer may have left the claim
			// set, and then it would hold this body's resends off for
			// dedupeFor. Redis away answers 503 after a few tries.
			if failed++; failed < 3 && ctx.Err() == nil {
				time.Sleep(chat.Backoff(failed, 200*time.Millisecond))
				continue
			}
			unavailable(w)
			return http.StatusServiceUnavailable, "redis_unavailable"
		}
		if claimed {
			break claim
		}
		v, err := s.rdb.Get(ctx, seen).Result()
		switch {
		case errors.Is(err, redis.Nil):
			continue // the first gave up: claim it
		case err != nil:
			unavailable(w)
			return http.StatusServiceUnavailable, "redis_unavailable"
		case v == pending:
			break claim // a try whose answer was lost set it
		case !strings.HasPrefix(v, pendingClaim):
			answer(w, http.StatusOK, "ok")
			return http.StatusOK, "ok (stored before as " + v + ")"
		}
		if time.Now().After(deadline) {
			unavailable(w)
			return http.StatusServiceUnavailable, "the same body is being stored"
		}
		select {
		case <-ctx.Done():
			return 0, "gone"
		case <-time.After(50 * time.Millisecond):
		}
	}
	sent, err := s.send(ctx, h, channel, text, p.as())
	if err != nil {
		// Nothing stored: a resend must not be taken for a duplicate.
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		s.rdb.Del(dctx, seen)
		cancel()
		switch {
		case errors.Is(err, chat.ErrNoSuchChannel):
			answer(w, http.StatusNotFound, "channel_not_found")
			return http.StatusNotFound, "channel_not_found"
		case chat.Retryable(err) || errors.Is(err, context.DeadlineExceeded):
			unavailable(w)
			return http.StatusServiceUnavailable, "redis_unavailable"
		}
		answer(w, http.StatusInternalServerError, "internal_error")
		return http.StatusInternalServerError, err.Error()
	}
	s.rdb.SetArgs(context.WithoutCancel(ctx), seen, sent.ID.String(), redis.SetArgs{KeepTTL: true})
	answer(w, http.StatusOK, "ok")
	return http.StatusOK, "ok " + sent.ID.String()
}

// allow counts a POST of h against its rate (per second, in Redis, so
// every server behind a balancer counts together).
func (s *Server) allow(ctx context.Context, h *Hook) (bool, error) {
	key := recordKey(h.ID) + ":rate:" + strconv.FormatInt(time.Now().Unix(), 10)
	pipe := s.rdb.Pipeline()
	n := pipe.Incr(ctx, key)
	pipe.Expire(ctx, key, 2*time.Second)
	if _, err := pipe.Exec(ctx); err != nil {
		return false, err
	}
	return n.Val() <= int64(s.opts.Rate), nil
}

// send stores text in channel as hook h's message, signed with its key;
// as is the name the payload gave it ("": none).
func (s *Server) send(ctx context.Context, h *Hook, channel, text, as string) (chat.Sent, error) {
	hc, err := s.client(h)
	if err != nil {
		return chat.Sent{}, err
	}
	hc.mu.Lock()
	ready := hc.prepared[channel]
	hc.mu.Unlock()
	if !ready {
		// The hook's key is registered (again: an admin may have wiped
		// it) before its first message a channel.
		if err := s.register(ctx, hc); err != nil {
			return chat.Sent{}, err
		}
		if _, err := hc.c.Prepare(ctx, channel, false); err != nil {
			return chat.Sent{}, err
		}
		hc.mu.Lock()
		hc.prepared[channel] = true
		hc.mu.Unlock()
	}
	return hc.c.Broadcast(ctx, chat.Draft{Channel: channel, Text: text, As: as})
}

// registered registers hc's key once (for the answers a command sends to
// a person alone, which carry no channel).
func (s *Server) registered(ctx context.Context, hc *hookClient) error {
	hc.mu.Lock()
	keyed := hc.keyed
	hc.mu.Unlock()
	if keyed {
		return nil
	}
	return s.register(ctx, hc)
}

// register registers hc's key.
func (s *Server) register(ctx context.Context, hc *hookClient) error {
	if err := hc.c.RegisterKey(ctx); err != nil {
		return err
	}
	hc.mu.Lock()
	hc.keyed = true
	hc.mu.Unlock()
	return nil
}

// client is h's chat client, made on first use.
func (s *Server) client(h *Hook) (*hookClient, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if hc := s.clients[h.ID+h.key]; hc != nil {
		return hc, nil
	}
	signer, err := chat.SignerFromKey(h.key)
	if err != nil {
		return nil, fmt.Errorf("hook %s: %w", h.Name, err)
	}
	c, err := chat.New(chat.Options{Redis: s.rdb, User: chat.HookAuthor(h.Name), Signer: signer, Keys: s.opts.Keys,
		MaxMessageBytes: s.opts.MaxMessageBytes, MaxLen: s.opts.MaxLen, SendTimeout: 5 * time.Second, Scripts: s.opts.ScriptMode, Logger: s.opts.Logger})
	if err != nil {
		return nil, err
	}
	hc := &hookClient{c: c, signer: signer, prepared: map[string]bool{}}
	s.clients[h.ID+h.key] = hc
	return hc, nil
}

// cut shortens text to at most max bytes, at a character's edge, saying
// it was cut.
func cut(text string, max int) string {
	if len(text) <= max {
		return text
	}
	const more = "… (cut)"
	end := max - len(more)
	for end > 0 && !utf8.RuneStart(text[end]) {
		end--
	}
	return text[:end] + more
}
