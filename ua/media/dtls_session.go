package media

import (
	"context"
	"errors"
	"net/netip"
	"sync/atomic"
)

// The session's side of DTLS-SRTP: when Start gets a DTLS descriptor
// (dtls_sdp.go) it runs one handshake on the RTP socket and one on the
// RTCP socket (RTCP is not muxed), each in a goroutine bounded by
// dtlsHandshakeTimeout. Until the RTP handshake has keyed the transform
// nothing is sent and nothing received counts: never a packet in clear.
// A failed RTP handshake (a certificate that does not match the SDP
// fingerprint, no answer) ends the call (EventSecurity); a failed RTCP
// one only means no RTCP is sent.

// dtlsState is a session's DTLS-SRTP association.
type dtlsState struct {
	on     atomic.Bool              // the call is DTLS-SRTP
	rtp    atomic.Pointer[dtlsLink] // the RTP socket's handshake
	rtcp   atomic.Pointer[dtlsLink] // the RTCP socket's, nil when muxed
	srtcp  atomic.Pointer[SRTP]     // RTCP's transform (keyed by rtcp)
	desc   *SRTP                    // the negotiated descriptor; s.mu
	cancel context.CancelFunc       // ends the handshakes; s.mu
}

// startDTLS runs the association the descriptor d negotiated, unless it
// runs already. Called with s.mu held (Start).
func (s *Session) startDTLS(d *SRTP, neg Negotiated) {
	if s.dtls.desc == d {
		return
	}
	s.stopDTLSLocked()
	if s.closed {
		return
	}
	s.srtp.Store(nil)
	s.dtls.on.Store(true)
	s.dtls.desc = d
	ctx, cancel := context.WithCancel(context.Background())
	s.dtls.cancel = cancel
	rtp := newDTLSLink(s.rtp, neg.Remote)
	s.dtls.rtp.Store(rtp)
	s.wg.Add(1)
	go s.runDTLS(ctx, d, rtp, false)
	if neg.RemoteRTCP.IsValid() && neg.RemoteRTCP != neg.Remote {
		rtcp := newDTLSLink(s.rtcp, neg.RemoteRTCP)
		s.dtls.rtcp.Store(rtcp)
		s.wg.Add(1)
		go s.runDTLS(ctx, d, rtcp, true)
	}
	s.log.Info("DTLS-SRTP handshake started", "role", role(d.dtls.client), "peer", neg.Remote)
}

// stopDTLSLocked ends the association's handshakes (Close, or a
// re-INVITE to plain, SDES or a new fingerprint). Called with s.mu held.
func (s *Session) stopDTLSLocked() {
	if s.dtls.cancel != nil {
		s.dtls.cancel()
	}
	s.dtls.cancel, s.dtls.desc = nil, nil
	s.dtls.rtp.Store(nil)
	s.dtls.rtcp.Store(nil)
	s.dtls.srtcp.Store(nil)
	s.dtls.on.Store(false)
}

// runDTLS is one socket's handshake; once keyed it keeps reading the
// association (retransmitted flights, close_notify) until ctx ends.
func (s *Session) runDTLS(ctx context.Context, d *SRTP, link *dtlsLink, rtcp bool) {
	defer s.wg.Done()
	defer link.Close()
	conn, tr, err := link.handshake(ctx, d.dtls.client, d.dtls.remoteFP)
	if err != nil {
		if ctx.Err() == nil || errors.Is(err, ErrFingerprint) {
			s.dtlsFailed(d, err, rtcp)
		}
		return
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()
	if !s.installDTLS(d, tr, rtcp) {
		return
	}
	buf := make([]byte, 1500)
	for {
		if _, err := conn.Read(buf); err != nil {
			return
		}
	}
}

// installDTLS puts a finished handshake's transform in place, unless the
// association was replaced meanwhile.
func (s *Session) installDTLS(d *SRTP, tr *SRTP, rtcp bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dtls.desc != d || s.closed {
		return false
	}
	if rtcp {
		s.dtls.srtcp.Store(tr)
		s.log.Debug("DTLS-SRTP keys agreed for RTCP", "suite", tr.Suite())
		return true
	}
	suite := tr.Suite()
	d.dtls.suite.Store(&suite)
	if s.dtls.rtcp.Load() == nil { // RTCP shares the RTP socket's peer
		s.dtls.srtcp.Store(tr)
	}
	s.srtp.Store(tr)
	s.log.Info("media encrypted (SRTP)", "suite", suite, "keys", "DTLS", "role", role(d.dtls.client), "local", s.local)
	return true
}

// dtlsFailed reports a failed handshake: the RTP one ends the call.
func (s *Session) dtlsFailed(d *SRTP, err error, rtcp bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dtls.desc != d || s.closed {
		return
	}
	if rtcp {
		s.log.Info("no DTLS-SRTP on the RTCP port: RTCP is not sent", "err", err)
		return
	}
	reason := "handshake failed"
	if errors.Is(err, ErrFingerprint) {
		reason = "the peer's certificate does not match its SDP fingerprint"
	}
	s.log.Warn("DTLS-SRTP failed, ending the call: "+reason, "err", err, "local", s.local)
	s.emit(Event{Kind: EventSecurity, At: s.clock.Now()})
}

// dtlsPacket takes a DTLS datagram (RFC 7983) off the RTP or RTCP socket:
// to the handshake when it comes from the peer, else dropped. It reports
// whether pkt was DTLS.
func (s *Session) dtlsPacket(pkt []byte, src netip.AddrPort, rtcp bool) bool {
	if !isDTLS(pkt) {
		return false
	}
	link := s.dtls.rtp.Load()
	if rtcp {
		link = s.dtls.rtcp.Load()
	}
	if link == nil || !link.deliver(pkt, src) {
		s.mu.Lock()
		s.reject("DTLS not expected from this source", src)
		s.mu.Unlock()
	}
	return true
}

// dtlsPendingDrop counts a media packet that arrived before the DTLS-SRTP
// keys (the peer may finish its side of the handshake first: normal, not
// an attack, so not a warning).
func (s *Session) dtlsPendingDrop(src netip.AddrPort) {
	s.mu.Lock()
	s.reject("media before the DTLS-SRTP keys", src)
	s.mu.Unlock()
}

// rtcpTransform is the transform of RTCP: the RTP one, or with DTLS-SRTP
// the RTCP socket's own; pending is true while a DTLS call has none yet
// (nothing is sent or taken in clear).
func (s *Session) rtcpTransform() (tr *SRTP, pending bool) {
	if s.dtls.on.Load() {
		tr = s.dtls.srtcp.Load()
		return tr, tr == nil
	}
	return s.srtp.Load(), false
}
