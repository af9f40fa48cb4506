package redistest

import (
	"context"
	"net"
	"sync"
	"sync/atomic"
)

// RoundTrips counts the round trips of the connections it dials: one for
// each TCP connect, and one each time the client writes after it has read
// (a request, or a pipeline of them, then its answer). A test measures an
// operation of a client made with Dial as its dialer, so that one more
// sequential round trip on a hot path fails a test and not only the bench.
// Pub/Sub connections count too: measure clients that are not started.
type RoundTrips struct{ n atomic.Int64 }

// Dial is a go-redis Dialer (redis.Options.Dialer) that counts.
func (r *RoundTrips) Dial(ctx context.Context, network, addr string) (net.Conn, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	r.n.Add(1)
	return &countedConn{Conn: c, r: r, answered: true}, nil
}

// Count returns the round trips so far.
func (r *RoundTrips) Count() int64 { return r.n.Load() }

// Since returns the round trips made while f ran.
func (r *RoundTrips) Since(f func()) int64 {
	before := r.Count()
	f()
	return r.Count() - before
}

// countedConn counts a round trip at the first write after a read.
type countedConn struct {
	net.Conn
	r        *RoundTrips
	mu       sync.Mutex
	answered bool
}

func (c *countedConn) Write(b []byte) (int, error) {
	c.mu.Lock()
	if c.answered {
		c.answered = false
		c.r.n.Add(1)
	}
	c.mu.Unlock()
	return c.Conn.Write(b)
}

func (c *countedConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if n > 0 {
		c.mu.Lock()
		c.answered = true
		c.mu.Unlock()
	}
	return n, err
}
