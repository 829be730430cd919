package ua

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo/sip"
)

// guard is the admission control in front of sipgo. It sees every UDP
// datagram and TCP read before sipgo parses it, pools its source address
// or creates a transaction, and drops, silently and cheaply, what comes
// from scanners, from sources that keep failing, from sources over their
// rate, or from anyone but the registrar while memory is short.
type guard struct {
	lim      Limits
	clock    Clock
	logs     *LogLimiter
	conn     atomic.Pointer[net.PacketConn] // the UDP socket, for stateless answers
	memLimit int64                          // the process's memory ceiling, bytes

	trusted atomic.Pointer[[]netip.AddrPort] // registrar/proxy: never limited
	known   []netip.Prefix                   // allow_from networks: no global budget
	shed    atomic.Bool                      // memory short: strangers dropped

	// active is set while the guard holds state to expire (sources in
	// the table, log summaries owed, memory short); wake starts the
	// housekeeping again when it was asleep, so that an idle device
	// wakes for nothing.
	active atomic.Bool
	wake   chan struct{}

	mu      sync.Mutex
	global  bucket
	other   bucket // sources that do not fit in the table
	sources map[netip.Addr]*source
	swept   time.Time
	logged  time.Time // the last line given to logs

	dropped [dropReasons]atomic.Uint64
}

type source struct {
	bucket
	fails        int
	failsSince   time.Time
	blockedUntil time.Time
}

type dropReason int

const (
	dropScanner dropReason = iota
	dropBlocked
	dropRate
	dropGlobal
	dropMemory
	dropMalformed
	dropReasons
)

var dropText = [dropReasons]string{"scanner", "blocked after failures", "rate limit",
	"global rate limit", "memory short", "malformed"}

// dropLogInterval is how often the guard logs a summary per source.
const dropLogInterval = 10 * time.Second

// errDropConn makes sipgo close a TCP connection the guard refuses.
var errDropConn = errors.New("ua: connection refused by the request guard")

func newGuard(lim Limits, clock Clock, logs *LogLimiter, allow []allowEntry) *guard {
	g := &guard{lim: lim.withDefaults(), clock: clock, logs: logs, sources: map[netip.Addr]*source{},
		wake: make(chan struct{}, 1)}
	for _, e := range allow {
		if e.prefix.IsValid() {
			g.known = append(g.known, e.prefix)
		}
	}
	return g
}

// setTrusted installs the registrar/proxy addresses (resolved off the
// read path, so that no datagram waits for DNS).
func (g *guard) setTrusted(aps []netip.AddrPort) { g.trusted.Store(&aps) }

func (g *guard) isTrusted(ap netip.AddrPort) bool {
	if p := g.trusted.Load(); p != nil {
		for _, t := range *p {
			if t == ap {
				return true
			}
		}
	}
	return false
}

func (g *guard) isKnown(ip netip.Addr) bool {
	for _, p := range g.known {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// filter is sipgo's transport read filter: it returns data to go on, nil
// to drop it, or (TCP only) an error to close the connection.
func (g *guard) filter(props sip.TransportReadProps, data []byte) ([]byte, error) {
	ap := addrPort(props.RemoteAddr)
	udp := props.Transport == "UDP"
	if !ap.IsValid() || g.isTrusted(ap) {
		return data, nil
	}
	if isKeepAlive(data) {
		return data, nil
	}
	if r, ok := g.admit(ap.Addr(), data); !ok {
		g.drop(r, ap.Addr())
		if udp {
			return nil, nil // never an error: it would end sipgo's UDP reader
		}
		// A TCP stream cut in the middle of a message cannot be
		// resynchronised: the connection goes.
		return nil, errDropConn
	}
	if udp {
		return g.precheckUDP(ap, data), nil
	}
	return data, nil
}

// admit decides on one message from the untrusted source ip.
func (g *guard) admit(ip netip.Addr, data []byte) (dropReason, bool) {
	req := !bytes.HasPrefix(data, []byte("SIP/"))
	if req && g.scanner(data) {
		g.block(ip)
		return dropScanner, false
	}
	now := g.clock.Now()
	key := sourceKey(ip)
	g.mu.Lock()
	defer g.mu.Unlock()
	s := g.sources[key]
	if s == nil {
		if len(g.sources) >= g.lim.MaxSources {
			g.sweepLocked(now, false)
		}
		if len(g.sources) >= g.lim.MaxSources && g.isKnown(ip) {
			g.evictLocked(now) // an allowed network is not crowded out
		}
		if len(g.sources) < g.lim.MaxSources {
			s = &source{}
			g.sources[key] = s
		}
	}
	// Any request may find memory short: the housekeeping looks at it
	// again once it is awake.
	g.poke()
	if s != nil && now.Before(s.blockedUntil) {
		return dropBlocked, false
	}
	known := g.isKnown(ip)
	if req && !known && g.shed.Load() {
		return dropMemory, false
	}
	b := &g.other
	if s != nil {
		b = &s.bucket
	}
	rate, burst := float64(g.lim.SourceRate), float64(g.lim.SourceBurst)
	if !b.take(now, rate, burst) {
		return dropRate, false
	}
	// Responses answer our own requests and known networks are the
	// callers we expect: neither may be starved by a crowd of strangers.
	if req && !known && !g.global.take(now, float64(g.lim.GlobalRate), float64(g.lim.GlobalBurst)) {
		return dropGlobal, false
	}
	return 0, true
}

// fail counts a refused request (403, a failed challenge, a malformed
// message) against its source; BlockAfter of them within BlockFor blocks
// the source for BlockFor. Trusted sources are never blocked.
func (g *guard) fail(ap netip.AddrPort) {
	if !ap.IsValid() || g.isTrusted(ap) {
		return
	}
	now := g.clock.Now()
	key := sourceKey(ap.Addr())
	g.mu.Lock()
	defer g.mu.Unlock()
	s := g.sources[key]
	if s == nil {
		return // not in the table: its requests share the overflow bucket
	}
	if now.Sub(s.failsSince) > g.lim.BlockFor {
		s.fails, s.failsSince = 0, now
	}
	s.fails++
	if s.fails >= g.lim.BlockAfter {
		s.blockedUntil, s.fails = now.Add(g.lim.BlockFor), 0
	}
}

func (g *guard) block(ip netip.Addr) {
	now := g.clock.Now()
	key := sourceKey(ip)
	g.mu.Lock()
	defer g.mu.Unlock()
	if s := g.sources[key]; s != nil {
		s.blockedUntil = now.Add(g.lim.BlockFor)
	} else if len(g.sources) < g.lim.MaxSources {
		g.sources[key] = &source{blockedUntil: now.Add(g.lim.BlockFor)}
	}
	g.poke()
}

func (g *guard) drop(r dropReason, ip netip.Addr) {
	g.dropped[r].Add(1)
	g.log(slog.LevelWarn, ip.String(), "sip: request dropped: "+dropText[r])
}

// log writes a line a stranger can trigger through the guard's
// LogLimiter and keeps the housekeeping awake until its summaries are
// written.
func (g *guard) log(level slog.Level, source, msg string, args ...any) {
	now := g.clock.Now()
	g.mu.Lock()
	g.logged = now
	g.mu.Unlock()
	g.logs.Log(level, source, msg, args...)
	g.poke()
}

// poke wakes the housekeeping if it is asleep; while it is awake this
// is one atomic load.
func (g *guard) poke() {
	if g.active.Load() || !g.active.CompareAndSwap(false, true) {
		return
	}
	select {
	case g.wake <- struct{}{}:
	default:
	}
}

// sweepLocked forgets sources that are idle (bucket full again, not
// blocked, no recent failure); unless forced, at most once a second.
func (g *guard) sweepLocked(now time.Time, force bool) {
	if !force && now.Sub(g.swept) < time.Second {
		return
	}
	g.swept = now
	refill := time.Duration(float64(g.lim.SourceBurst) / float64(g.lim.SourceRate) * float64(time.Second))
	for k, s := range g.sources {
		if now.Sub(s.last) >= refill && !now.Before(s.blockedUntil) && now.Sub(s.failsSince) > g.lim.BlockFor {
			delete(g.sources, k)
		}
	}
}

// evictLocked forgets one stranger that is not blocked.
func (g *guard) evictLocked(now time.Time) {
	for k, s := range g.sources {
		if !now.Before(s.blockedUntil) && !g.isKnown(k) {
			delete(g.sources, k)
			return
		}
	}
}

// guardTick is how often the awake housekeeping samples memory; it
// sweeps the source table and writes the log summaries every fourth tick.
const guardTick = 250 * time.Millisecond

// run does the housekeeping until ctx ends: it resolves the trusted
// addresses, watches memory and writes the log summaries. It ticks only
// while there is state to expire (see active); idle, it sleeps until a
// stranger's message wakes it.
func (g *guard) run(ctx context.Context, trusted func() []netip.AddrPort) {
	g.setTrusted(trusted())
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	g.active.Store(true)
	for n := 0; ; n++ {
		metrics.Read(sample)
		if sample[0].Value.Kind() == metrics.KindUint64 {
			g.shed.Store(int64(sample[0].Value.Uint64()) > g.memLimit/4*3)
		}
		if n%4 == 0 {
			g.mu.Lock()
			g.sweepLocked(g.clock.Now(), true)
			g.mu.Unlock()
			g.logs.Flush()
		}
		if !g.busy() {
			g.active.Store(false)
			// State added before the store above found active set and
			// sent no wake: look again. A poke after the store wakes us.
			if g.busy() {
				g.active.Store(true)
			} else {
				if !g.sleep(ctx) {
					return
				}
				n = -1 // awake: sweep at once, then every fourth tick
				continue
			}
		}
		t := g.clock.NewTimer(guardTick)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C():
		}
	}
}

// busy reports whether the guard holds state that the housekeeping must
// expire: sources in the table, log lines whose summaries may be owed
// (two intervals after the last), memory short.
func (g *guard) busy() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.sources) > 0 || g.shed.Load() ||
		g.clock.Now().Sub(g.logged) <= 2*g.logs.interval+time.Second
}

// sleep waits for a poke; false when ctx ended.
func (g *guard) sleep(ctx context.Context) bool {
	select {
	case <-ctx.Done():
		return false
	case <-g.wake:
		return true
	}
}

// bucket is a token bucket.
type bucket struct {
	tokens float64
	last   time.Time
}

func (b *bucket) take(now time.Time, rate, burst float64) bool {
	if b.last.IsZero() {
		b.tokens = burst
	} else if d := now.Sub(b.last).Seconds(); d > 0 {
		b.tokens = min(burst, b.tokens+d*rate)
	}
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// sourceKey is the address a source is limited by: IPv4 addresses one by
// one, IPv6 by /64 (one subscriber's network).
func sourceKey(ip netip.Addr) netip.Addr {
	ip = ip.Unmap()
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.Addr()
	}
	return ip
}

func addrPort(a net.Addr) netip.AddrPort {
	switch a := a.(type) {
	case *net.UDPAddr:
		ap := a.AddrPort()
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	case *net.TCPAddr:
		ap := a.AddrPort()
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}
	if a == nil {
		return netip.AddrPort{}
	}
	ap, _ := netip.ParseAddrPort(a.String())
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}

func isKeepAlive(data []byte) bool {
	return len(data) <= 4 && len(bytes.Trim(data, "\r\n")) == 0
}
