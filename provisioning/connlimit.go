package provisioning

import (
	"crypto/tls"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Bounds of the admin server's connections, chosen for a Pi Zero: a person
// needs a handful (a browser opens up to six), a flood must not take the
// file descriptors SIP and RTP need.
const (
	adminMaxConns     = 64               // open at once, all sources
	adminMaxPerSource = 16               // from one address (IPv6: one /64)
	adminEvictAfter   = time.Second      // a connection this long without a request may be closed for a newcomer
	adminLimitLogGap  = 10 * time.Second // at most one summary line per interval
)

// connLimiter caps the admin server's connections in total and per
// source. When a cap is reached, the connection that has waited longest
// without a request in flight (new or idle) is closed to make room, so a
// flood of idle connections cannot keep a person out; only when every
// connection is busy is the newcomer refused. Refusals and evictions are
// logged as a summary at most every adminLimitLogGap.
type connLimiter struct {
	net.Listener
	total, perSource int
	log              *slog.Logger

	mu       sync.Mutex
	open     map[*limitedConn]struct{}
	bySource map[string]int
	refused  int
	evicted  int
	lastLog  time.Time
}

func newConnLimiter(ln net.Listener, total, perSource int, log *slog.Logger) *connLimiter {
	return &connLimiter{Listener: ln, total: total, perSource: perSource, log: log,
		open: map[*limitedConn]struct{}{}, bySource: map[string]int{}}
}

// limitedConn is one admitted connection; Close gives its slot back.
type limitedConn struct {
	net.Conn
	l      *connLimiter
	source string
	busy   atomic.Bool  // a request is in flight
	since  atomic.Int64 // unix nanos of the last state change
	freed  atomic.Bool  // its slot was given back
}

func (c *limitedConn) Close() error {
	if !c.freed.Load() {
		c.l.release(c)
	}
	return c.Conn.Close()
}

// Accept admits the next connection within the caps.
func (l *connLimiter) Accept() (net.Conn, error) {
	for {
		raw, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if c := l.admit(raw); c != nil {
			return c, nil
		}
		raw.Close()
	}
}

// admit records raw, making room by closing an idle connection if a cap
// is reached; nil means refused.
func (l *connLimiter) admit(raw net.Conn) *limitedConn {
	host, _, err := net.SplitHostPort(raw.RemoteAddr().String())
	if err != nil {
		host = raw.RemoteAddr().String()
	}
	src := sourceKey(host) // an IPv4 address or an IPv6 /64
	now := time.Now()
	l.mu.Lock()
	var victim *limitedConn
	if l.bySource[src] >= l.perSource {
		victim = l.idlest(src, now)
	} else if len(l.open) >= l.total {
		victim = l.idlest("", now)
	}
	full := l.bySource[src] >= l.perSource || len(l.open) >= l.total
	if full && victim == nil {
		l.refused++
		l.summaryLocked(now)
		l.mu.Unlock()
		return nil
	}
	if victim != nil {
		l.evicted++
		l.forgetLocked(victim)
	}
	c := &limitedConn{Conn: raw, l: l, source: src}
	c.since.Store(now.UnixNano())
	l.open[c] = struct{}{}
	l.bySource[src]++
	l.summaryLocked(now)
	l.mu.Unlock()
	if victim != nil {
		victim.Conn.Close() // its slot was given to c already
	}
	return c
}

// idlest is the open connection (of source, or any when "") longest
// without a request in flight for at least adminEvictAfter, or nil.
func (l *connLimiter) idlest(source string, now time.Time) *limitedConn {
	var best *limitedConn
	for c := range l.open {
		if c.busy.Load() || (source != "" && c.source != source) || now.Sub(time.Unix(0, c.since.Load())) < adminEvictAfter {
			continue
		}
		if best == nil || c.since.Load() < best.since.Load() {
			best = c
		}
	}
	return best
}

func (l *connLimiter) release(c *limitedConn) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.forgetLocked(c)
}

// forgetLocked frees c's slot once (an evicted connection's later Close
// finds it gone).
func (l *connLimiter) forgetLocked(c *limitedConn) {
	if !c.freed.CompareAndSwap(false, true) {
		return
	}
	delete(l.open, c)
	if l.bySource[c.source]--; l.bySource[c.source] <= 0 {
		delete(l.bySource, c.source)
	}
}

// summaryLocked logs what was refused or evicted since the last line.
func (l *connLimiter) summaryLocked(now time.Time) {
	if l.refused+l.evicted == 0 || now.Sub(l.lastLog) < adminLimitLogGap {
		return
	}
	l.log.Warn("admin page: too many connections", "refused", l.refused, "closed_idle", l.evicted,
		"open", len(l.open), "max", l.total, "max_per_source", l.perSource, "interval", adminLimitLogGap)
	l.refused, l.evicted, l.lastLog = 0, 0, now
}

// track is the http.Server's ConnState hook: it marks which connections
// have a request in flight.
func (l *connLimiter) track(nc net.Conn, st http.ConnState) {
	if t, ok := nc.(*tls.Conn); ok {
		nc = t.NetConn()
	}
	c, ok := nc.(*limitedConn)
	if !ok {
		return
	}
	c.busy.Store(st == http.StateActive)
	c.since.Store(time.Now().UnixNano())
}
