// Package faultproxy is a TCP proxy for tests that injects the faults a
// network does: a link that goes silent without closing, a reply lost after
// the request was applied, a connection cut. It only listens on 127.0.0.1.
package faultproxy

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Proxy forwards connections from Addr to a target address. It is safe for
// concurrent use.
type Proxy struct {
	// Addr is the proxy's listening address (127.0.0.1:port).
	Addr string

	target string
	ln     net.Listener

	mu    sync.Mutex
	conns map[*link]struct{}
	cut   []byte // a request containing this loses its reply
	down  bool   // refuse connections (accept and close at once)
	delay time.Duration
	// trips counts round trips: each connection, and each request that
	// follows an answer (or comes first) on a connection.
	trips atomic.Int64
	wg    sync.WaitGroup
}

type link struct {
	client, server net.Conn
	// answered is set when the server last spoke (a request after it is
	// a new round trip).
	answered atomic.Bool

	mu      sync.Mutex
	cond    *sync.Cond
	frozen  bool
	closed  bool
	swallow bool // the next server reply is dropped and the link cut
}

// Start listens on a free loopback port and forwards to target until the
// test ends.
func Start(t testing.TB, target string) *Proxy {
	t.Helper()
	p, err := Listen(target)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

// Listen is Start for programs that are not tests (the bench): the caller
// closes the proxy.
func Listen(target string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("fault proxy: listen: %w", err)
	}
	p := &Proxy{Addr: ln.Addr().String(), target: target, ln: ln, conns: map[*link]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// RoundTrips returns the round trips made through the proxy so far: one
// per connection, and one per request that follows an answer on it (a
// pipeline is one).
func (p *Proxy) RoundTrips() int64 { return p.trips.Load() }

// SetDelay holds every chunk of bytes d before passing it on, each way:
// a network 2d round trip away. Order is kept. A new connection's first
// request waits 2d more: the TCP handshake a real network would take
// before the client could send it.
func (p *Proxy) SetDelay(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.delay = d
}

// pending is bytes on their way, with when they may go.
type pending struct {
	b  []byte
	at time.Time
}

// send writes the chunks of q to dst, each at its time.
func (p *Proxy) send(l *link, dst net.Conn, q <-chan pending) {
	defer p.wg.Done()
	for c := range q {
		time.Sleep(time.Until(c.at))
		if _, err := dst.Write(c.b); err != nil {
			p.drop(l)
			for range q {
			}
			return
		}
	}
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		down := p.down
		p.mu.Unlock()
		if down {
			_ = c.Close()
			continue
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			_ = c.Close()
			continue
		}
		l := &link{client: c, server: s}
		l.answered.Store(true)
		p.trips.Add(1) // the TCP handshake
		l.cond = sync.NewCond(&l.mu)
		// Down may have come while we dialled: a link it did not see
		// to cut would outlive it.
		p.mu.Lock()
		if p.down {
			p.mu.Unlock()
			_ = c.Close()
			_ = s.Close()
			continue
		}
		p.conns[l] = struct{}{}
		p.mu.Unlock()
		p.wg.Add(2)
		go p.pipe(l, c, s, true)
		go p.pipe(l, s, c, false)
	}
}

// pipe copies from src to dst, honouring freezes and armed cuts.
func (p *Proxy) pipe(l *link, src, dst net.Conn, upstream bool) {
	defer p.wg.Done()
	defer p.drop(l)
	buf := make([]byte, 32<<10)
	first := upstream // the first request also waits for the handshake
	q := make(chan pending, 4096)
	defer close(q)
	p.wg.Add(1)
	go p.send(l, dst, q)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			chunk := buf[:n]
			l.mu.Lock()
			for l.frozen && !l.closed {
				l.cond.Wait()
			}
			if l.closed {
				l.mu.Unlock()
				return
			}
			if !upstream && l.swallow {
				l.mu.Unlock()
				return // drop the reply: drop() closes both sides
			}
			if upstream && l.answered.Swap(false) {
				p.trips.Add(1)
			} else if !upstream {
				l.answered.Store(true)
			}
			p.mu.Lock()
			if upstream && p.cut != nil && bytes.Contains(bytes.ToLower(chunk), p.cut) {
				l.swallow, p.cut = true, nil
			}
			at := time.Now().Add(p.delay)
			if first {
				at, first = at.Add(2*p.delay), false
			}
			p.mu.Unlock()
			l.mu.Unlock()
			q <- pending{b: bytes.Clone(chunk), at: at}
		}
		if err != nil {
			return
		}
	}
}

func (p *Proxy) drop(l *link) {
	l.mu.Lock()
	l.closed = true
	l.cond.Broadcast()
	l.mu.Unlock()
	_ = l.client.Close()
	_ = l.server.Close()
	p.mu.Lock()
	delete(p.conns, l)
	p.mu.Unlock()
}

// Freeze makes every open connection silent in both directions without
// closing it, as a dropped link looks to both peers. New connections are
// not affected.
func (p *Proxy) Freeze() {
	p.each(func(l *link) { l.frozen = true })
}

// Down cuts every connection and refuses new ones until Up, as a server
// that went away.
func (p *Proxy) Down() {
	p.mu.Lock()
	p.down = true
	p.mu.Unlock()
	p.dropAll()
}

// dropAll cuts every open connection.
func (p *Proxy) dropAll() {
	for _, l := range p.links() {
		p.drop(l)
	}
}

// links returns the open connections.
func (p *Proxy) links() []*link {
	p.mu.Lock()
	defer p.mu.Unlock()
	ls := make([]*link, 0, len(p.conns))
	for l := range p.conns {
		ls = append(ls, l)
	}
	return ls
}

// Up accepts connections again after Down.
func (p *Proxy) Up() {
	p.mu.Lock()
	p.down = false
	p.mu.Unlock()
}

// Thaw undoes Freeze.
func (p *Proxy) Thaw() {
	p.each(func(l *link) { l.frozen = false; l.cond.Broadcast() })
}

// CutReplyTo arms a fault: the next request containing substr (case
// insensitive) reaches the server, but its reply is dropped and the
// connection is closed.
func (p *Proxy) CutReplyTo(substr string) {
	p.mu.Lock()
	p.cut = bytes.ToLower([]byte(substr))
	p.mu.Unlock()
}

// Armed reports whether a CutReplyTo fault is still waiting to fire.
func (p *Proxy) Armed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cut != nil
}

// Conns returns the number of open connections.
func (p *Proxy) Conns() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.conns)
}

// Close stops the proxy and cuts every connection.
func (p *Proxy) Close() {
	if err := p.ln.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
		return
	}
	p.dropAll()
	p.wg.Wait()
}

func (p *Proxy) each(f func(*link)) {
	for _, l := range p.links() {
		l.mu.Lock()
		f(l)
		l.mu.Unlock()
	}
}
