package media

import (
	"fmt"
	"net/netip"
	"time"
)

// The session's SRTP seam: each packet passes through the negotiated
// transform (Negotiated.SRTP) right before it is sent and right after it
// is read (after STUN is told apart, RFC 7983). With no transform the
// packets pass unchanged at the cost of one atomic load.

// srtpFailEvery is how often a failing SRTP check is logged; the packets
// in between are only counted (a stranger can send any number).
const srtpFailEvery = 10 * time.Second

// srtpFailLog rate-limits the log of packets that fail the SRTP check.
// Guarded by Session.mu.
type srtpFailLog struct {
	last   time.Time
	missed uint64
}

// setSRTP installs the call's transform (nil: plain RTP) and logs a
// change. Called with s.mu held.
func (s *Session) setSRTP(tr *SRTP) {
	if tr != nil && tr.dtls != nil {
		s.startDTLS(tr, s.neg) // dtls_session.go: keyed by the handshake
		return
	}
	if s.dtls.desc != nil {
		s.stopDTLSLocked()
	}
	if old := s.srtp.Swap(tr); old != tr {
		if tr != nil {
			s.log.Info("media encrypted (SRTP)", "suite", tr.Suite(), "local", s.local)
		} else if old != nil {
			s.log.Warn("media no longer encrypted: the peer renegotiated plain RTP", "local", s.local)
		}
	}
}

// protectRTP returns pkt encrypted when the call is, in the sender's
// buffer (valid until the next call), else pkt itself; nil (send
// nothing) while a DTLS-SRTP call has no keys yet. Called by the single
// sending goroutine.
func (s *Session) protectRTP(pkt []byte) ([]byte, error) {
	tr := s.srtp.Load()
	if tr == nil {
		if s.dtls.on.Load() {
			return nil, nil // no keys yet: nothing in clear
		}
		return pkt, nil
	}
	out, err := tr.Protect(s.txSRTP[:0], pkt)
	if err != nil {
		return nil, fmt.Errorf("send RTP: %w", err)
	}
	return out, nil
}

// unprotectRTP returns the RTP packet in pkt, decrypted into plain when
// the call is encrypted; false when it fails the check (counted as
// rejected).
func (s *Session) unprotectRTP(plain, pkt []byte, src netip.AddrPort) ([]byte, bool) {
	tr := s.srtp.Load()
	if tr == nil {
		if s.dtls.on.Load() {
			s.dtlsPendingDrop(src)
			return nil, false
		}
		return pkt, true
	}
	out, err := tr.Unprotect(plain, pkt)
	if err != nil {
		s.srtpFailed("SRTP", src, err)
		return nil, false
	}
	return out, true
}

// unprotectRTCP is unprotectRTP for the RTCP socket.
func (s *Session) unprotectRTCP(plain, pkt []byte, src netip.AddrPort) ([]byte, bool) {
	tr, pending := s.rtcpTransform() // dtls_session.go
	if pending {
		s.dtlsPendingDrop(src)
		return nil, false
	}
	if tr == nil {
		return pkt, true
	}
	out, err := tr.UnprotectRTCP(plain, pkt)
	if err != nil && isRTCPPing(pkt) {
		s.mu.Lock()
		s.reject("RTCP APP PING in clear (a NAT opener, carries nothing)", src)
		s.mu.Unlock()
		return nil, false
	}
	if err != nil {
		s.srtpFailed("SRTCP", src, err)
		return nil, false
	}
	return out, true
}

// protectRTCP returns the RTCP packet pkt as SRTCP when the call is
// encrypted (a new slice: reports are built once per interval), pkt
// itself when it is not, and nil when it cannot be protected (never sent
// in clear).
func (s *Session) protectRTCP(pkt []byte) []byte {
	tr, pending := s.rtcpTransform()
	if pending {
		return nil
	}
	if tr == nil || pkt == nil {
		return pkt
	}
	out, err := tr.ProtectRTCP(make([]byte, 0, len(pkt)+SRTCPOverhead), pkt)
	if err != nil {
		s.log.Debug("SRTCP protect", "err", err)
		return nil
	}
	return out
}

// srtpFailed counts a packet that failed the SRTP check as rejected and
// logs it at most once per srtpFailEvery with the number left unlogged.
func (s *Session) srtpFailed(what string, src netip.AddrPort, err error) {
	now := s.clock.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.peer.rejected++
	f := &s.srtpFail
	if !f.last.IsZero() && now.Sub(f.last) < srtpFailEvery {
		f.missed++
		return
	}
	s.log.Warn("media packet dropped: "+what+" authentication failed", "from", src, "err", err,
		"unlogged_since_last", f.missed)
	f.last, f.missed = now, 0
}

// isRTCPPing reports whether pkt is the 16-byte RTCP APP packet named
// "PING" with the data "PONG" that baresip (libre) sends in clear to the
// RTCP port when a stream starts, to open NAT bindings, even on an SRTP
// call. It carries nothing and cannot be authenticated: it is dropped
// like any packet failing the check, but not logged as a failed
// authentication (it came once per call and looked like an attack).
func isRTCPPing(pkt []byte) bool {
	return len(pkt) == 16 && pkt[0]&0xc0 == 0x80 && pkt[1] == 204 &&
		pkt[2] == 0 && pkt[3] == 3 && string(pkt[8:16]) == "PINGPONG"
}
