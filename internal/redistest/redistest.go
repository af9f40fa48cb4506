// Package redistest starts a real redis-server for a test, on a free
// 127.0.0.1 port, and stops it when the test ends. Where no redis-server is
// on PATH it falls back to the embedded server (miniredis) and says so —
// except when RTCHAT_REQUIRE_REDIS=1, where the test fails instead.
package redistest

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// Option changes how the server is started.
type Option func(*settings)

type settings struct {
	password string
	aof      bool
	extra    []string
	realOnly bool
	tls      bool
}

// WithPassword makes the server require password (requirepass).
func WithPassword(p string) Option { return func(s *settings) { s.password = p } }

// WithAOF turns on append-only persistence with appendfsync always, so a
// kill -9 loses no acknowledged write.
func WithAOF() Option { return func(s *settings) { s.aof = true } }

// WithConfig passes extra "name value" config lines to redis-server.
func WithConfig(lines ...string) Option {
	return func(s *settings) { s.extra = append(s.extra, lines...) }
}

// RealOnly skips the test (or fails it under RTCHAT_REQUIRE_REDIS=1) when no
// redis-server is available, instead of falling back to the embedded server.
func RealOnly() Option { return func(s *settings) { s.realOnly = true } }

// Server is a running test server.
type Server struct {
	// Addr is host:port on 127.0.0.1.
	Addr string
	// Password is the requirepass value, if any.
	Password string
	// Embedded is true when this is the miniredis fallback.
	Embedded bool
	// TLSAddr and CAFile are set by WithTLS: the TLS port and the CA that
	// signed its certificate.
	TLSAddr, CAFile string

	t    testing.TB
	dir  string
	args []string
	mu   sync.Mutex
	cmd  *exec.Cmd
	mini *miniredis.Miniredis
}

// Required reports whether RTCHAT_REQUIRE_REDIS=1 forbids fallbacks and skips.
func Required() bool { return os.Getenv("RTCHAT_REQUIRE_REDIS") == "1" }

// SkipUnless skips t (or fails it when Required) unless the named program is on PATH.
func SkipUnless(t testing.TB, program string) {
	t.Helper()
	if _, err := exec.LookPath(program); err != nil {
		if Required() {
			t.Fatalf("%s is not on PATH and RTCHAT_REQUIRE_REDIS=1", program)
		}
		t.Skipf("%s is not on PATH; skipping", program)
	}
}

// Start starts a server for t and registers its shutdown with t.Cleanup.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	var set settings
	for _, o := range opts {
		o(&set)
	}
	s := &Server{t: t, Password: set.password}
	if _, err := exec.LookPath("redis-server"); err != nil {
		if set.realOnly || Required() {
			SkipUnless(t, "redis-server")
		}
		t.Log("redis-server is not on PATH: using the embedded server (install redis-server to test against the real thing)")
		s.startEmbedded(set)
		return s
	}
	s.dir = t.TempDir()
	port := FreePort(t)
	s.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	s.args = []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", s.dir,
		"--save", "", "--appendonly", "no", "--protected-mode", "no", "--logfile", filepath.Join(s.dir, "redis.log")}
	if set.aof {
		s.args = append(s.args, "--appendonly", "yes", "--appendfsync", "always")
	}
	if set.password != "" {
		s.args = append(s.args, "--requirepass", set.password)
	}
	if set.tls {
		s.args = append(s.args, s.tlsArgs(t)...)
	}
	for _, l := range set.extra {
		name, value, _ := strings.Cut(l, " ")
		s.args = append(s.args, "--"+name, value)
	}
	s.start()
	t.Cleanup(s.Stop)
	return s
}

func (s *Server) startEmbedded(set settings) {
	m := miniredis.NewMiniRedis()
	if set.password != "" {
		m.RequireAuth(set.password)
	}
	if err := m.StartAddr("127.0.0.1:0"); err != nil {
		s.t.Fatalf("start embedded server: %v", err)
	}
	s.mini, s.Addr, s.Embedded = m, m.Addr(), true
	s.t.Cleanup(m.Close)
}

func (s *Server) start() {
	s.t.Helper()
	cmd := exec.Command("redis-server", s.args...)
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("start redis-server: %v", err)
	}
	s.mu.Lock()
	s.cmd = cmd
	s.mu.Unlock()
	s.waitReady()
}

func (s *Server) waitReady() {
	s.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		c := redis.NewClient(&redis.Options{Addr: s.Addr, Password: s.Password, MaxRetries: -1})
		err := c.Ping(context.Background()).Err()
		_ = c.Close()
		if err == nil {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	log, _ := os.ReadFile(filepath.Join(s.dir, "redis.log"))
	s.t.Fatalf("redis-server on %s did not answer within 10s; its log:\n%s", s.Addr, log)
}

// Kill stops the server with SIGKILL (no shutdown save) and waits for it.
func (s *Server) Kill() {
	s.t.Helper()
	if s.Embedded {
		s.t.Fatal("Kill needs a real redis-server")
	}
	s.Stop()
}

// Restart starts the server again on the same port and data directory,
// killing it first (SIGKILL, no shutdown save) if it still runs.
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	s.start()
}

// Stop ends the server (SIGKILL) and waits for it; it is registered with
// t.Cleanup by Start.
func (s *Server) Stop() {
	s.mu.Lock()
	cmd := s.cmd
	s.cmd = nil
	s.mu.Unlock()
	if cmd != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}
}

// Client returns a go-redis client for the server, closed at test end.
func (s *Server) Client(t testing.TB) *redis.Client {
	c := redis.NewClient(s.Options())
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// Options returns go-redis options for the server.
func (s *Server) Options() *redis.Options {
	return &redis.Options{Addr: s.Addr, Password: s.Password}
}

// URL returns a redis:// URL for the server (with the password, for tests).
func (s *Server) URL() string {
	if s.Password != "" {
		return "redis://:" + s.Password + "@" + s.Addr
	}
	return "redis://" + s.Addr
}

// Log returns what the server logged so far (empty for the embedded one).
func (s *Server) Log() string {
	if s.dir == "" {
		return ""
	}
	b, _ := os.ReadFile(filepath.Join(s.dir, "redis.log"))
	return string(b)
}

// FreePort returns a loopback TCP port that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Info returns one field of INFO from the server (for assertions).
func (s *Server) Info(t testing.TB, section, field string) string {
	t.Helper()
	c := s.Client(t)
	txt, err := c.Info(context.Background(), section).Result()
	if err != nil {
		t.Fatalf("INFO %s: %v", section, err)
	}
	sc := bufio.NewScanner(strings.NewReader(txt))
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && k == field {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// CommandCalls returns how many times the server ran command (lower case,
// as INFO commandstats names it) since it started or since the last
// CONFIG RESETSTAT.
func (s *Server) CommandCalls(t testing.TB, command string) int64 {
	t.Helper()
	stat := s.Info(t, "commandstats", "cmdstat_"+command) // calls=N,usec=…
	calls, _, _ := strings.Cut(strings.TrimPrefix(stat, "calls="), ",")
	if calls == "" {
		return 0
	}
	n, err := strconv.ParseInt(calls, 10, 64)
	if err != nil {
		t.Fatalf("INFO commandstats: %s: %q", command, stat)
	}
	return n
}

// String describes the server for test logs.
func (s *Server) String() string {
	kind := "redis-server"
	if s.Embedded {
		kind = "embedded"
	}
	return fmt.Sprintf("%s on %s", kind, s.Addr)
}

// Eventually polls check until it returns nil, failing t after timeout
// with what was awaited and check's last word on how things stand. Tests
// wait on an outcome with a deadline this way rather than sleep and
// assert.
func Eventually(t testing.TB, timeout time.Duration, what string, check func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s: %v", timeout, what, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
