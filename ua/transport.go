package ua

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"
)

// A note on sipgo (v1.7.2): sip.TransportTCP.Serve returns on the first
// error Accept gives and nothing serves the listener after that, so one
// moment without file descriptors (EMFILE) used to end SIP over TCP for
// good, silently. tcpListener works around it in our code: its Accept
// rides out accept errors itself (with a backoff, logged at a bounded
// rate), opens the socket again when it was closed under it, and
// serveTCP serves it again should sipgo's loop return all the same.
// sipgo's UDP loop likewise ends on any read error: serveUDP serves the
// socket again.

const (
	acceptBackoffMin = 5 * time.Millisecond
	acceptBackoffMax = time.Second
	tcpLogEvery      = 10 * time.Second // at most one line per kind per this
)

// admitter decides about each accepted connection: it returns the
// connection (possibly wrapped) to serve, or nil when it closed it.
type admitter interface {
	admit(net.Conn) net.Conn
}

// tcpListener is the SIP TCP listener as sipgo sees it: it survives
// accept errors and applies the connection limits (limits may be nil).
type tcpListener struct {
	addr   string
	log    *slog.Logger
	limits admitter
	frame  func(net.Conn) net.Conn // wraps each admitted connection (tcpframe.go), when set

	mu     sync.Mutex
	inner  net.Listener
	closed bool
	done   chan struct{}

	failLog logEvery
}

func newTCPListener(l net.Listener, log *slog.Logger, limits admitter) *tcpListener {
	return &tcpListener{addr: l.Addr().String(), log: log, limits: limits, inner: l, done: make(chan struct{})}
}

// Accept returns the next admitted connection. Accept errors (no file
// descriptors, an aborted handshake) are waited out with a backoff; it
// fails only once Close was called.
func (l *tcpListener) Accept() (net.Conn, error) {
	delay := time.Duration(0)
	for {
		l.mu.Lock()
		inner, closed := l.inner, l.closed
		l.mu.Unlock()
		if closed {
			return nil, fmt.Errorf("ua: accept on %s: %w", l.addr, net.ErrClosed)
		}
		c, err := inner.Accept()
		if err == nil {
			delay = 0
			if l.limits != nil {
				c = l.limits.admit(c)
			}
			if c != nil && l.frame != nil {
				c = l.frame(c)
			}
			if c != nil {
				return c, nil
			}
			continue
		}
		if l.isClosed() {
			return nil, fmt.Errorf("ua: accept on %s: %w", l.addr, net.ErrClosed)
		}
		if delay == 0 {
			delay = acceptBackoffMin
		} else if delay *= 2; delay > acceptBackoffMax {
			delay = acceptBackoffMax
		}
		if errors.Is(err, net.ErrClosed) {
			// Closed under us: open the same address again.
			err = l.reopen(inner, err)
		}
		if n, ok := l.failLog.allow(time.Now()); ok {
			l.log.Warn("sip tcp: accept failed, retrying", "addr", l.addr, "err", err,
				"retry_in", delay, "failures_since_last_log", n)
		}
		select {
		case <-l.done:
		case <-time.After(delay):
		}
	}
}

func (l *tcpListener) isClosed() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.closed
}

// reopen replaces a listener that was closed behind our back with a new
// one on the same address, returning why that failed or the original
// error once it worked.
func (l *tcpListener) reopen(old net.Listener, why error) error {
	nl, err := net.Listen("tcp", l.addr)
	if err != nil {
		return fmt.Errorf("%w; listen again on %s: %w", why, l.addr, err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed || l.inner != old {
		nl.Close()
		return why
	}
	l.inner = nl
	l.log.Warn("sip tcp: listener reopened", "addr", l.addr, "after", why)
	return why
}

// Close stops Accept and closes the socket.
func (l *tcpListener) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	close(l.done)
	return l.inner.Close()
}

// Addr returns the listening address.
func (l *tcpListener) Addr() net.Addr {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.inner.Addr()
}

// serveTCP runs sipgo's TCP loop on l until ctx is done, serving again
// (after a pause, logged) whenever sipgo's loop returns before that.
func (u *UA) serveTCP(ctx context.Context, l *tcpListener) {
	for {
		err := u.server.ServeTCP(l)
		if ctx.Err() != nil || l.isClosed() {
			return
		}
		u.log.Error("sip tcp: listener stopped, serving it again", "addr", l.addr, "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(acceptBackoffMax):
		}
	}
}

// serveUDP runs sipgo's UDP loop on pc until ctx is done, serving the
// socket again whenever sipgo's loop returns before that (sipgo ends it on
// any read error but a closed socket, silently).
func (u *UA) serveUDP(ctx context.Context, pc net.PacketConn) {
	var stopped logEvery
	for {
		began := time.Now()
		_ = u.server.ServeUDP(pc)
		if ctx.Err() != nil {
			return
		}
		if n, ok := stopped.allow(time.Now()); ok {
			u.log.Error("sip udp: listener stopped (read error), serving it again", "addr", pc.LocalAddr().String(),
				"stops_since_last_log", n)
		}
		if time.Since(began) < time.Second { // stopping again and again: pace it
			select {
			case <-ctx.Done():
				return
			case <-time.After(udpReserveAfter):
			}
		}
	}
}

// udpReserveAfter paces serving the UDP socket again when its loop keeps
// stopping (meanwhile, answers leave from another port).
const udpReserveAfter = 100 * time.Millisecond

// logEvery lets one line through per tcpLogEvery and counts the rest.
type logEvery struct {
	mu         sync.Mutex
	last       time.Time
	suppressed int
}

func (r *logEvery) allow(now time.Time) (int, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.last.IsZero() && now.Sub(r.last) < tcpLogEvery {
		r.suppressed++
		return 0, false
	}
	n := r.suppressed
	r.last, r.suppressed = now, 0
	return n, true
}
