package ua

import (
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults of the inbound TCP limits (Config.TCPIdleTimeout,
// TCPMaxConnections, TCPMaxPerSource), sized for a Raspberry Pi Zero:
// each connection costs sipgo a 32 KiB read buffer and a goroutine, so 128
// connections stay under about 6 MB and a few hundred file descriptors.
const (
	DefaultTCPIdleTimeout    = 3 * time.Minute
	DefaultTCPMaxConnections = 128
	DefaultTCPMaxPerSource   = 8
)

// connLimits are the effective inbound TCP limits.
type connLimits struct {
	idle      time.Duration
	max       int // all inbound connections
	perSource int // from one address that is not a registrar/proxy
	reserved  int // of max, only for registrars and proxies
}

func (c Config) connLimits() connLimits {
	l := connLimits{idle: c.TCPIdleTimeout, max: c.TCPMaxConnections, perSource: c.TCPMaxPerSource}
	if l.idle <= 0 {
		l.idle = DefaultTCPIdleTimeout
	}
	if l.max <= 0 {
		l.max = DefaultTCPMaxConnections
	}
	if l.perSource <= 0 {
		l.perSource = DefaultTCPMaxPerSource
	}
	l.reserved = max(1, l.max/8)
	return l
}

// within keeps the inbound connections to a quarter of the process's file
// descriptor limit fds (0: unknown), leaving the rest for RTP ports, the
// admin page, the registration and files.
func (l connLimits) within(fds int) connLimits {
	if fds <= 0 || l.max <= fds/4 {
		return l
	}
	l.max = max(fds/4, 2)
	l.perSource = min(l.perSource, l.max)
	l.reserved = max(1, l.max/8)
	return l
}

// connLimiter bounds the inbound SIP TCP connections: an idle timeout, a
// cap per source address and a total cap. A registrar's or proxy's
// address (trusted) is exempt from the per-source cap and has slots of
// its own; when the others are full, the connection idle the longest is
// closed to make room (a scanner's idle connections give way to a new
// caller), and only when every one is busy is the newcomer refused.
// Our own outgoing connections (the registration's) never pass here.
type connLimiter struct {
	lim     connLimits
	log     *slog.Logger
	trusted func(netip.Addr) bool

	mu        sync.Mutex
	conns     map[*limitedConn]struct{}
	perSource map[netip.Addr]int
	others    int // connections from untrusted sources

	refusedSource, refusedFull, evicted, idleClosed atomic.Int64
	summary                                         logEvery
}

func newConnLimiter(lim connLimits, log *slog.Logger, trusted func(netip.Addr) bool) *connLimiter {
	return &connLimiter{lim: lim, log: log, trusted: trusted,
		conns: map[*limitedConn]struct{}{}, perSource: map[netip.Addr]int{}}
}

// minIdleToEvict keeps a connection that has just carried something from
// being closed to make room for another.
const minIdleToEvict = time.Second

// admit returns c wrapped (idle timeout, counted) or, over a cap, closes
// it and returns nil.
func (l *connLimiter) admit(c net.Conn) net.Conn {
	src := remoteIP(c)
	trusted := l.trusted != nil && src.IsValid() && l.trusted(src)
	lc := &limitedConn{Conn: c, owner: l, src: src, trusted: trusted, idle: l.lim.idle}
	lc.touch()
	var victim *limitedConn
	l.mu.Lock()
	switch {
	case !trusted && l.perSource[src] >= l.lim.perSource:
		l.mu.Unlock()
		c.Close()
		l.refused(&l.refusedSource, "per-source cap", src)
		return nil
	case len(l.conns) >= l.lim.max || (!trusted && l.others >= l.lim.max-l.lim.reserved):
		victim = l.oldestIdleLocked()
		if victim == nil {
			l.mu.Unlock()
			c.Close()
			l.refused(&l.refusedFull, "connection cap", src)
			return nil
		}
		l.forgetLocked(victim)
	}
	l.conns[lc] = struct{}{}
	l.perSource[src]++
	if !trusted {
		l.others++
	}
	l.mu.Unlock()
	if victim != nil {
		victim.Conn.Close() // sipgo's reader sees the error and cleans up
		l.refused(&l.evicted, "idle connection closed to make room", victim.src)
	}
	return lc
}

// oldestIdleLocked returns the untrusted connection idle the longest, if
// it has been idle at least minIdleToEvict.
func (l *connLimiter) oldestIdleLocked() *limitedConn {
	var best *limitedConn
	var bestAt int64
	for c := range l.conns {
		if c.trusted {
			continue
		}
		if at := c.last.Load(); best == nil || at < bestAt {
			best, bestAt = c, at
		}
	}
	if best == nil || time.Since(time.Unix(0, bestAt)) < minIdleToEvict {
		return nil
	}
	return best
}

// forgetLocked removes c from the counts (once).
func (l *connLimiter) forgetLocked(c *limitedConn) {
	if _, ok := l.conns[c]; !ok {
		return
	}
	delete(l.conns, c)
	if l.perSource[c.src]--; l.perSource[c.src] <= 0 {
		delete(l.perSource, c.src)
	}
	if !c.trusted {
		l.others--
	}
}

func (l *connLimiter) release(c *limitedConn) {
	l.mu.Lock()
	l.forgetLocked(c)
	l.mu.Unlock()
}

// refused counts one refusal and logs a summary at most every tcpLogEvery.
func (l *connLimiter) refused(counter *atomic.Int64, why string, src netip.Addr) {
	counter.Add(1)
	if _, ok := l.summary.allow(time.Now()); ok {
		l.log.Warn("sip tcp: inbound connections limited", "last", why, "source", src.String(),
			"open", l.open(), "refused_per_source", l.refusedSource.Load(),
			"refused_full", l.refusedFull.Load(), "evicted", l.evicted.Load(),
			"idle_closed", l.idleClosed.Load())
	}
}

// open returns the number of inbound connections held.
func (l *connLimiter) open() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.conns)
}

func remoteIP(c net.Conn) netip.Addr {
	if ap, err := netip.ParseAddrPort(c.RemoteAddr().String()); err == nil {
		return ap.Addr().Unmap()
	}
	return netip.Addr{}
}

// limitedConn is an inbound connection under a connLimiter: every read
// waits at most the idle timeout, and closing it frees its slot.
type limitedConn struct {
	net.Conn
	owner   *connLimiter
	src     netip.Addr
	trusted bool
	idle    time.Duration
	last    atomic.Int64 // unix nanoseconds of the last data read
	once    sync.Once
}

func (c *limitedConn) touch() { c.last.Store(time.Now().UnixNano()) }

// Read reads with a deadline of the idle timeout; when it passes with
// nothing read, the error ends sipgo's reader, which closes the connection.
func (c *limitedConn) Read(b []byte) (int, error) {
	if err := c.Conn.SetReadDeadline(time.Now().Add(c.idle)); err != nil {
		return 0, err
	}
	n, err := c.Conn.Read(b)
	if n > 0 {
		c.touch()
	}
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		c.owner.idleClosed.Add(1)
	}
	return n, err
}

// Close closes the connection and frees its slot.
func (c *limitedConn) Close() error {
	c.once.Do(func() { c.owner.release(c) })
	return c.Conn.Close()
}

// isTrustedIP reports whether ip is an account's registrar or proxy: its
// connections are exempt from the per-source cap and have reserved slots.
func (u *UA) isTrustedIP(ip netip.Addr) bool {
	for _, t := range u.trustedIPs() {
		if t == ip {
			return true
		}
	}
	return false
}
