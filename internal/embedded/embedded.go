// Package embedded runs rtchat's zero-setup server: an in-memory,
// Redis-compatible server (miniredis) inside the rtchat process, listening
// on loopback so that other rtchat processes on the machine can join it.
// Nothing it holds survives the process.
package embedded

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// DefaultAddr is where the embedded server listens unless told otherwise,
// so that a second rtchat finds it like any local Redis.
const DefaultAddr = "127.0.0.1:6379"

// MarkerKey holds the id of the embedded server a process hosts; clients
// read it to know they are on an embedded server, and notice a new host
// when it changes.
const MarkerKey = "rtchat:embedded"

// Server is a running embedded server. It is safe for concurrent use.
type Server struct {
	m *miniredis.Miniredis
	// Addr is the address it listens on.
	Addr string
	// ID identifies this server; it is stored under MarkerKey.
	ID string
}

// Start listens on addr ("127.0.0.1:0" picks a free port).
func Start(addr string) (*Server, error) { return StartWith(addr, "") }

// StartWith listens on addr and, when password is not empty, requires it
// of every client (AUTH, or REDIS_PASSWORD for rtchat).
func StartWith(addr, password string) (*Server, error) {
	m := miniredis.NewMiniRedis()
	if password != "" {
		m.RequireAuth(password)
	}
	if err := m.StartAddr(addr); err != nil {
		return nil, fmt.Errorf("start the embedded server on %s: %w", addr, err)
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	s := &Server{m: m, Addr: m.Addr(), ID: hex.EncodeToString(b[:])}
	if err := m.Set(MarkerKey, s.ID); err != nil {
		m.Close()
		return nil, fmt.Errorf("mark the embedded server: %w", err)
	}
	return s, nil
}

// Connections returns the number of open client connections and the
// number ever accepted.
func (s *Server) Connections() (open, total int) {
	return s.m.CurrentConnectionCount(), s.m.TotalConnectionCount()
}

// Close stops the server; its data is gone.
func (s *Server) Close() { s.m.Close() }

// Marker returns the embedded server id that rdb's server carries, or ""
// when it is not an embedded server (a real Redis).
func Marker(ctx context.Context, rdb redis.UniversalClient) (string, error) {
	return MarkerOf(rdb.Get(ctx, MarkerKey))
}

// MarkerOf is Marker for the answer of a GET of MarkerKey (in a pipeline).
func MarkerOf(get *redis.StringCmd) (string, error) {
	id, err := get.Result()
	if err == redis.Nil || redis.IsPermissionError(err) {
		// No marker, or an ACL user who may not read it: a real Redis.
		return "", nil
	}
	return id, err
}
