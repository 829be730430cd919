package media

import (
	"fmt"
	"log/slog"
	"net/netip"
)

// A spare is a session bound ahead of its call (issue 16, INVITE→200):
// binding the RTP/RTCP pair (two socket and bind system calls and the
// non-blocking receiver's set-up) was about a third of the work before an
// incoming call's 200 OK. The Manager keeps at most one spare, on the
// address the user agent advertises; Open hands it to the next call on
// that address, and the user agent asks for the next spare once its 200
// is out (PrepareSpare), off the answer path.
//
// A spare's ports are open to anyone while it waits, and a stranger can
// find them (they do not answer with ICMP port unreachable). Whatever
// arrived before the call took the spare is not the call's: handOver
// discards it, so a stranger cannot queue packets that would latch the
// call's symmetric RTP to it. A stranger who keeps more queued than
// spareDrainMax per socket makes Open give the spare up and bind a fresh
// pair, as it would without spares.

// spareDrainMax bounds the datagrams discarded from each socket of a
// spare at handover: a default receive buffer holds a few hundred small
// datagrams, and one arriving faster than they are read must not hold up
// the call.
const spareDrainMax = 1024

// spareState is the Manager's spare, under Manager.mu.
type spareState struct {
	s       *Session   // bound, no call's yet; nil when none
	ip      netip.Addr // what s is bound on
	binding bool       // a PrepareSpare binds outside the lock
	closed  bool       // CloseSpare ran: no more spares
}

// PrepareSpare binds a spare RTP/RTCP pair on ip for the next call,
// unless one is ready there (one on another address is closed). Call it
// when binding costs nothing that waits: at start and once an answer is
// out. After CloseSpare it does nothing.
func (m *Manager) PrepareSpare(ip netip.Addr) error {
	if !spareSupported {
		return nil
	}
	m.mu.Lock()
	if m.spare.closed || m.spare.binding || (m.spare.s != nil && m.spare.ip == ip) {
		m.mu.Unlock()
		return nil
	}
	old := m.spare.s
	m.spare.s, m.spare.binding = nil, true
	m.mu.Unlock()
	if old != nil {
		old.Close()
	}
	s, err := Listen(m.cfg, ip, m.options(m.log))
	m.mu.Lock()
	m.spare.binding = false
	if err == nil && !m.spare.closed {
		m.spare.s, m.spare.ip, s = s, ip, nil
	}
	m.mu.Unlock()
	if s != nil {
		s.Close() // CloseSpare ran meanwhile
	}
	if err != nil {
		return fmt.Errorf("prepare spare media on %v: %w", ip, err)
	}
	return nil
}

// CloseSpare closes the spare, if any, and stops PrepareSpare from
// binding another: the user agent calls it as it stops.
func (m *Manager) CloseSpare() {
	m.mu.Lock()
	s := m.spare.s
	m.spare.s, m.spare.closed = nil, true
	m.mu.Unlock()
	if s != nil {
		s.Close()
	}
}

// SparePort returns the RTP port of the spare, or 0 when there is none.
func (m *Manager) SparePort() uint16 {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.spare.s == nil {
		return 0
	}
	return m.spare.s.local.Port()
}

// options are the Session options of the Manager's calls; log is the
// call's logger.
func (m *Manager) options(log *slog.Logger) Options {
	return Options{Logger: log, LoopReceives: true, AudioRate: m.AudioRate}
}

// takeSpare returns the spare, handed over to the call (its logger set,
// what it received discarded), when it is bound on ip; else nil.
func (m *Manager) takeSpare(ip netip.Addr, log *slog.Logger) *Session {
	m.mu.Lock()
	s := m.spare.s
	if s == nil || m.spare.ip != ip {
		m.mu.Unlock()
		return nil
	}
	m.spare.s = nil
	m.mu.Unlock()
	if !s.handOver(log, m.AudioRate) {
		s.Close()
		return nil
	}
	return s
}

// handOver makes a spare session a call's: it discards what its sockets
// received while spare and reports false when it could not (a stranger
// keeps them full, or a socket failed). No goroutine uses s yet.
func (s *Session) handOver(log *slog.Logger, rate int) bool {
	if !drain(s.rtp, spareDrainMax) || !drain(s.rtcp, spareDrainMax) {
		return false
	}
	s.log, s.audioRate = log, audioRate(rate)
	s.epoch = s.clock.Now()
	return true
}
