package media

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"net/netip"
	"time"

	"github.com/pion/rtcp"
)

// rtcpInterval is the mean RTCP report interval (RFC 3550 §6.2 minimum).
const rtcpInterval = 5 * time.Second

// readRTCP receives RTCP until the socket is closed. (The peer's
// reports come every few seconds: this goroutine, unlike an RTP reader,
// does not wake every frame.)
func (s *Session) readRTCP() {
	defer s.wg.Done()
	buf, plain := make([]byte, 1500), make([]byte, 1500)
	for {
		n, src, err := s.rtcp.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		s.rxRTCP(buf[:n], plain, netip.AddrPortFrom(src.Addr().Unmap(), src.Port()))
	}
}

// rxRTCP handles one datagram received on the RTCP socket from src: STUN
// is answered, SRTCP unprotected into plain, reports recorded.
func (s *Session) rxRTCP(buf, plain []byte, src netip.AddrPort) {
	if s.stunPacket(buf, src, s.rtcp) { // RFC 7983
		return
	}
	pkt, ok := s.unprotectRTCP(plain, buf, src)
	if !ok {
		return
	}
	pkts, err := parseRTCP(pkt)
	s.mu.Lock()
	defer s.mu.Unlock()
	// Accept RTCP from the peer's RTP host: the latched source, or the
	// SDP address before the first RTP packet.
	if err != nil || src.Addr() != s.peer.rtpAddr.Addr() {
		s.reject("RTCP malformed or from a stranger", src, "err", err)
		return
	}
	s.peer.rtcpLatch, s.peer.rtcpAddr = true, src // symmetric RTCP
	s.handleRTCP(pkts, s.clock.Now())
}

// handleRTCP records what the peer reports. Called with s.mu held.
func (s *Session) handleRTCP(pkts []rtcp.Packet, now time.Time) {
	for _, p := range pkts {
		var reports []rtcp.ReceptionReport
		switch p := p.(type) {
		case *rtcp.SenderReport:
			s.rx.stats.lastSRMiddle = uint32(p.NTPTime >> 16)
			s.rx.stats.lastSRAt = now.UnixNano()
			reports = p.Reports
		case *rtcp.ReceiverReport:
			reports = p.Reports
		}
		for _, r := range reports {
			if r.SSRC == s.tx.ssrc {
				lost := int64(r.TotalLost & 0xffffff)
				if lost&0x800000 != 0 {
					lost -= 1 << 24
				}
				s.remLost = lost
			}
		}
	}
}

// control sends RTCP reports every ~5 s and watches for RTP inactivity
// on a timer of its own. While Run's loop receives it does both on its
// frames (loopControl) and control waits for the loop to end.
func (s *Session) control(ctx context.Context) {
	defer s.wg.Done()
	if s.raw != nil && !s.loop.awaitEnd(ctx) {
		return
	}
	s.controlTimer(ctx)
}

// controlTimer is control's timer loop.
func (s *Session) controlTimer(ctx context.Context) {
	next := s.clock.Now().Add(jittered())
	for {
		s.mu.Lock()
		wake := next
		watch := s.cfg.RTPTimeout > 0 && s.neg.Direction.Receives() && !s.timedOut
		if deadline := s.lastRx.Add(s.cfg.RTPTimeout); watch && deadline.Before(wake) {
			wake = deadline
		}
		s.mu.Unlock()
		if err := s.clock.WaitUntil(ctx, wake); err != nil {
			return
		}
		next = s.controlAt(s.clock.Now(), next)
	}
}

// controlAt is one look at the call at now: it reports a timeout once
// RTP stopped arriving, and sends a report when next has come. It returns
// when the next report is due.
func (s *Session) controlAt(now, next time.Time) time.Time {
	s.mu.Lock()
	if s.cfg.RTPTimeout > 0 && s.neg.Direction.Receives() && !s.timedOut && now.Sub(s.lastRx) >= s.cfg.RTPTimeout {
		s.timedOut = true
		s.emit(Event{Kind: EventTimeout, At: now})
	}
	var pkt []byte
	var dst netip.AddrPort
	if !now.Before(next) {
		pkt, dst = s.report(now), s.peer.rtcpAddr
		next = now.Add(jittered())
	}
	s.mu.Unlock()
	pkt = s.protectRTCP(pkt)
	if pkt != nil && dst.IsValid() && !dst.Addr().IsUnspecified() {
		if _, err := s.rtcp.WriteToUDPAddrPort(pkt, dst); err != nil {
			s.log.Debug("RTCP send", "to", dst, "err", err)
		}
	}
	return next
}

// jittered returns the report interval randomised to 0.5-1.5 times.
func jittered() time.Duration {
	return rtcpInterval/2 + rand.N(rtcpInterval)
}

// ntpTime converts t to the 64-bit NTP format.
func ntpTime(t time.Time) uint64 {
	const ntpEpochOffset = 2208988800
	secs := uint64(t.Unix() + ntpEpochOffset)
	frac := uint64(t.Nanosecond()) << 32 / 1e9
	return secs<<32 | frac
}

// report builds a compound RTCP packet: SR when we sent RTP since the
// last report, RR otherwise, plus SDES CNAME. Called with s.mu held.
func (s *Session) report(now time.Time) []byte {
	var blocks []rtcp.ReceptionReport
	if s.peer.haveSSRC {
		st := &s.rx.stats
		frac, cum, ext := st.report()
		rr := rtcp.ReceptionReport{SSRC: s.peer.ssrc, FractionLost: frac, TotalLost: cum,
			LastSequenceNumber: ext, Jitter: st.jitterSamples()}
		if st.lastSRAt != 0 {
			rr.LastSenderReport = st.lastSRMiddle
			rr.Delay = uint32(now.Sub(time.Unix(0, st.lastSRAt)) * 65536 / time.Second)
		}
		blocks = append(blocks, rr)
	}
	var first rtcp.Packet
	if s.tx.sent > s.tx.reported {
		first = &rtcp.SenderReport{SSRC: s.tx.ssrc, NTPTime: ntpTime(now), RTPTime: s.tx.ts,
			PacketCount: uint32(s.tx.sent), OctetCount: s.tx.octets, Reports: blocks}
	} else {
		first = &rtcp.ReceiverReport{SSRC: s.tx.ssrc, Reports: blocks}
	}
	s.tx.reported = s.tx.sent
	b, err := rtcp.Marshal([]rtcp.Packet{first, rtcp.NewCNAMESourceDescription(s.tx.ssrc, "sipbell@"+s.local.Addr().String())})
	if err != nil {
		s.log.Debug("RTCP marshal", "err", err)
		return nil
	}
	return b
}

// goodbye returns a final report with an RTCP BYE (RFC 3550 §6.6) and its
// destination, or nil when the session never started. Called with s.mu
// held.
func (s *Session) goodbye() ([]byte, netip.AddrPort) {
	dst := s.peer.rtcpAddr
	if !s.started || !dst.IsValid() || dst.Addr().IsUnspecified() {
		return nil, dst
	}
	b, err := rtcp.Marshal([]rtcp.Packet{&rtcp.ReceiverReport{SSRC: s.tx.ssrc},
		&rtcp.Goodbye{Sources: []uint32{s.tx.ssrc}}})
	if err != nil {
		return nil, dst
	}
	return b, dst
}
