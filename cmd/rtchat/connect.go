package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rtchat/rtchat/chat"
	"github.com/rtchat/rtchat/config"
	"github.com/rtchat/rtchat/internal/embedded"
)

// conn is a live connection to Redis, real or embedded.
type conn struct {
	rdb redis.UniversalClient
	// host is the embedded server this process runs, if any.
	host *embedded.Server
	// embeddedID is the id of the embedded server we are on ("" for real Redis).
	embeddedID string
	// server describes where we are connected, without credentials.
	server string
	// addr is the host:port of a single-node server.
	addr string
	// accounts is set when the connection is an account of its own (an
	// ACL user other than "default"): the server enforces who may write
	// what of rtchat's, and the user's name is the account's.
	accounts bool
	// whoami is ACL WHOAMI's answer, asked with the first command (nil
	// when it was not: identify asks then).
	whoami *redis.Cmd
	// aheadRan is set when connect's ahead rode on the first exchange.
	aheadRan bool
}

// Embedded reports whether the server is an embedded (in-memory) one.
func (c *conn) Embedded() bool { return c.embeddedID != "" }

// Close closes the client, then the server this process hosts.
func (c *conn) Close() {
	_ = c.rdb.Close()
	if c.host != nil {
		c.host.Close()
	}
}

// connect reaches the configured Redis. When no address was configured and
// nothing answers on localhost:6379, it starts the embedded server there
// (docs/DESIGN.md, "Zero setup"); with --embedded it always does, on a
// free port if 6379 is taken.
//
// ahead, when not nil, queues more commands on the connection's first
// exchange (the reads a headless command would make next, as the
// configured user): they cost no round trip of their own. Their answers
// are the caller's to read once connect returned a conn whose aheadRan is
// set (a joined server; not an embedded one started here).
//
// patience, when not zero, is how long a configured server that does not
// answer is tried again (rtchat send waits out a restart, as it waits out a
// failover); otherwise the first failure is the answer.
func connect(ctx context.Context, cfg *config.Config, log *slog.Logger, notice io.Writer, ahead func(redis.UniversalClient, redis.Pipeliner), patience time.Duration) (*conn, error) {
	if cfg.Embedded {
		srv, err := embedded.Start(embedded.DefaultAddr)
		if err != nil {
			if srv, err = embedded.Start("127.0.0.1:0"); err != nil {
				return nil, err
			}
			fmt.Fprintf(notice, "rtchat: port 6379 is taken; the embedded server listens on %s (join it with --redis redis://%s)\n", srv.Addr, srv.Addr)
		}
		return hostedConn(ctx, cfg, srv, log)
	}
	opts, err := cfg.RedisOptions()
	if err != nil {
		return nil, err
	}
	opts.DialTimeout = dialTimeout
	if !cfg.AddressSet {
		opts.DialTimeout = 300 * time.Millisecond
	}
	// One dial a try: rtchat's own loops retry with backoff, and a first
	// contact that fails should say so in seconds, not after five dials.
	opts.DialerRetries = 1
	rdb := redis.NewUniversalClient(opts)
	// The first command tells at once whether this is an embedded server.
	// On a cluster it is tried again through a failover.
	// ACL WHOAMI goes with it (identify reads its answer): one round trip.
	var id string
	var who *redis.Cmd
	first := func() error {
		// A pipeline waits out a paused server; a paused one is to be
		// told apart from a slow one, as a single command's read
		// timeout does.
		ctx, cancel := context.WithTimeout(ctx, firstAnswer)
		defer cancel()
		pipe := rdb.Pipeline()
		marker := pipe.Get(ctx, embedded.MarkerKey)
		who = pipe.Do(ctx, "ACL", "WHOAMI")
		if ahead != nil {
			ahead(rdb, pipe)
		}
		cmds, err := pipe.Exec(ctx)
		if err != nil && !slices.ContainsFunc(cmds, func(c redis.Cmder) bool { return c.Err() != nil }) {
			return err // the connection's (a refused AUTH…), not a reply's
		}
		id, err = embedded.MarkerOf(marker)
		return err
	}
	perr := first()
	if perr != nil && patience > 0 && cfg.AddressSet && (dialFailed(perr) || unreachable(perr)) && !errors.Is(perr, context.Canceled) {
		log.Info("Redis does not answer; trying again", "for", patience, "err", perr)
		perr = retrying(ctx, rdb, patience, first)
	}
	if perr != nil && opts.IsClusterMode && chat.Retryable(perr) && anyNodeAnswers(ctx, opts) {
		perr = retrying(ctx, rdb, chat.DefaultSendTimeout, first)
	}
	if perr == nil {
		c := joinedConn(cfg, rdb, id, log)
		c.whoami, c.aheadRan = who, ahead != nil
		return c, nil
	}
	_ = rdb.Close()
	if cfg.AddressSet || !unreachable(perr) {
		return nil, connectError(cfg, perr)
	}
	log.Info("no Redis on localhost:6379; starting the embedded server", "err", perr)
	srv, err := embedded.Start(embedded.DefaultAddr)
	if err != nil {
		return nil, fmt.Errorf("nothing answers on localhost:6379 and the embedded server could not start there (%w); start redis-server, or run rtchat --embedded", err)
	}
	return hostedConn(ctx, cfg, srv, log)
}

// identify asks Redis which ACL user the connection is (ACL WHOAMI).
// Signed in as an account — any ACL user but "default" — the user's name
// is the account's: another one given with --user, RTCHAT_USER or the
// config file is refused. The embedded server and servers without ACL
// have no accounts.
func (c *conn) identify(ctx context.Context, cfg *config.Config) error {
	who := c.whoami
	if who == nil {
		who = c.rdb.Do(ctx, "ACL", "WHOAMI")
	}
	name, err := who.Text()
	var rerr redis.Error
	switch {
	case errors.As(err, &rerr):
		return nil // no ACL here, or not allowed to ask: not an account rtchat made
	case err != nil:
		return connectError(cfg, err)
	case name == "default":
		return nil
	case chat.ValidateAccount(name) != nil:
		return fmt.Errorf("you are signed in to Redis as %q, which is not a valid rtchat user name (%s); ask an admin for an account made with 'rtchat admin user add'", name, chat.NameHint)
	case cfg.UserSet && cfg.User != name:
		return fmt.Errorf("you are signed in to Redis as account %s, so you are %s here, not %s; leave out --user, RTCHAT_USER and the config's user (or sign in with %s's account)", name, name, cfg.User, cfg.User)
	}
	cfg.User, c.accounts = name, true
	return nil
}

// anyNodeAnswers reports whether one of a cluster's given nodes answers a
// PING: the cluster is there, and an error is a failover under way, worth
// waiting out, not a wrong address.
func anyNodeAnswers(ctx context.Context, opts *redis.UniversalOptions) bool {
	for _, addr := range opts.Addrs {
		o := opts.Simple()
		o.Addr, o.MaxRetries, o.DialerRetries = addr, -1, 1
		c := redis.NewClient(o)
		err := c.Ping(ctx).Err()
		_ = c.Close()
		if err == nil {
			return true
		}
	}
	return false
}

// firstAnswer bounds the wait for the first answer of a server that
// accepted the connection (go-redis's default read timeout).
const firstAnswer = 3 * time.Second

// dialTimeout bounds a connection attempt (and a TLS handshake).
const dialTimeout = 2 * time.Second

// joinedConn finishes a connection to a server someone else runs; id is
// the embedded server's id, "" for a real Redis.
func joinedConn(cfg *config.Config, rdb redis.UniversalClient, id string, log *slog.Logger) *conn {
	c := &conn{rdb: rdb, embeddedID: id, server: cfg.Server()}
	if o, err := cfg.RedisOptions(); err == nil && !o.IsClusterMode {
		c.addr = o.Addrs[0]
	}
	if c.Embedded() {
		applyEmbeddedRetention(cfg)
		log.Info("joined an embedded server", "server", c.server)
	} else {
		log.Info("connected", "server", c.server)
	}
	return c
}

// hostedConn connects to the embedded server this process just started.
func hostedConn(ctx context.Context, cfg *config.Config, srv *embedded.Server, log *slog.Logger) (*conn, error) {
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	if err := rdb.Ping(ctx).Err(); err != nil {
		_ = rdb.Close()
		srv.Close()
		return nil, fmt.Errorf("connect to the embedded server on %s: %w", srv.Addr, err)
	}
	applyEmbeddedRetention(cfg)
	log.Info("hosting the embedded server", "addr", srv.Addr)
	return &conn{rdb: rdb, host: srv, embeddedID: srv.ID, server: srv.Addr, addr: srv.Addr}, nil
}

func applyEmbeddedRetention(cfg *config.Config) {
	if !cfg.RetentionSet {
		cfg.Retention = config.EmbeddedRetention
	}
}

// unreachable reports whether err means nothing is listening (or answering).
func unreachable(err error) bool {
	var ne net.Error
	return errors.Is(err, syscall.ECONNREFUSED) || (errors.As(err, &ne) && ne.Timeout()) || errors.Is(err, context.DeadlineExceeded)
}

// dialFailed reports whether err happened while connecting (nothing
// answered at the address), as opposed to after a connection was made.
func dialFailed(err error) bool {
	var op *net.OpError
	return errors.Is(err, syscall.ECONNREFUSED) || (errors.As(err, &op) && op.Op == "dial")
}

// tlsFailed reports whether err comes from a TLS handshake that could not
// be completed (not from a certificate check).
func tlsFailed(err error) bool {
	var rec tls.RecordHeaderError
	return errors.As(err, &rec) || strings.Contains(err.Error(), "tls: ")
}

// badCertificate reports whether err is a refused server certificate.
func badCertificate(err error) bool {
	var unknown x509.UnknownAuthorityError
	var invalid x509.CertificateInvalidError
	var host x509.HostnameError
	var verify *tls.CertificateVerificationError
	return errors.As(err, &unknown) || errors.As(err, &invalid) || errors.As(err, &host) || errors.As(err, &verify)
}

// connectError turns a failed first contact into one sentence that says
// what to do. It never quotes the configuration, which may hold a
// password; cfg.Server() has none.
// noAnswer is a server that could not be reached or did not answer:
// the commands that can do without it (search, export: from the local
// archive) tell it by this.
type noAnswer struct{ error }

func (e noAnswer) Unwrap() error { return e.error }

func connectError(cfg *config.Config, err error) error {
	server := cfg.Server()
	usesTLS := cfg.Redis.TLS || strings.HasPrefix(cfg.Redis.URL.Reveal(), "rediss://")
	switch {
	case redis.HasErrorPrefix(err, "NOAUTH"):
		return fmt.Errorf("Redis at %s needs a password; sign in with 'rtchat login %s' if you have an account there, or set REDIS_PASSWORD or the redis.password key", server, server)
	case redis.IsAuthError(err):
		return fmt.Errorf("Redis at %s refused the user name or password; sign in with 'rtchat login %s' if you have an account there, or check REDIS_PASSWORD (and REDIS_USERNAME) or the redis.password key", server, server)
	case redis.IsPermissionError(err):
		return fmt.Errorf("Redis at %s does not allow this user rtchat's commands; see the README's ACL recipe", server)
	case redis.IsLoadingError(err):
		return fmt.Errorf("Redis at %s is still loading its data; try again in a moment", server)
	case badCertificate(err):
		return fmt.Errorf("Redis at %s presented a TLS certificate rtchat does not trust; give its CA with redis.ca_file (redis.insecure_skip_verify = true turns the check off, for tests only)", server)
	case usesTLS && (tlsFailed(err) || unreachable(err)) && !errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Errorf("Redis at %s did not complete a TLS handshake within %v; check that the server speaks TLS on that port, or use redis:// for a plain one", server, dialTimeout)
	case tlsFailed(err):
		return fmt.Errorf("TLS with Redis at %s failed; check that the server speaks TLS on that port (rediss://) or use redis:// for a plain one", server)
	case dialFailed(err):
		return noAnswer{fmt.Errorf("cannot reach Redis at %s; start redis-server there, or point rtchat elsewhere with --redis or REDIS_URL", server)}
	case unreachable(err):
		return noAnswer{fmt.Errorf("Redis at %s accepted the connection but did not answer in time; it may be paused (CLIENT PAUSE), busy or overloaded — try again in a moment", server)}
	case errors.Is(err, context.Canceled):
		return fmt.Errorf("connecting to Redis at %s was interrupted", server)
	}
	return fmt.Errorf("connect to Redis at %s: %w", server, chat.CleanRedisError(err))
}

// openLog opens the application log file, creating its folder; on failure
// it logs nowhere and says so once on notice.
func openLog(cfg config.Config, notice io.Writer) (*slog.Logger, func()) {
	if err := os.MkdirAll(filepath.Dir(cfg.LogFile), 0o700); err == nil {
		f, err := os.OpenFile(cfg.LogFile, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
		if err == nil {
			level, _ := cfg.SlogLevel() // Validate checked it
			log := slog.New(slog.NewTextHandler(f, &slog.HandlerOptions{Level: level}))
			redis.SetLogger(redisLogger{log})
			return log, func() { _ = f.Close() }
		}
	}
	fmt.Fprintf(notice, "rtchat: cannot write the log file %s; set --log-file or log_file to a writable path\n", cfg.LogFile)
	redis.SetLogger(redisLogger{slog.New(slog.DiscardHandler)})
	return slog.New(slog.DiscardHandler), func() {}
}

// redisLogger sends go-redis's own messages to the application log instead
// of stderr (which would scribble over the full-screen window).
type redisLogger struct{ log *slog.Logger }

func (l redisLogger) Printf(_ context.Context, format string, v ...any) {
	l.log.Debug("go-redis: " + fmt.Sprintf(format, v...))
}

// describe turns an error into the one sentence printed on stderr.
func describe(err error) string {
	switch {
	case errors.Is(err, chat.ErrMessageTooLong):
		return strings.TrimPrefix(err.Error(), "send: ") + "; shorten it or raise max_message_bytes"
	case errors.Is(err, chat.ErrEmptyMessage):
		return "the message is empty; type some text"
	}
	return err.Error()
}
