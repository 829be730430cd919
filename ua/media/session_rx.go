package media

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"time"

	"github.com/pion/rtp"
)

// readRTP receives RTP until the socket is closed.
func (s *Session) readRTP() {
	defer s.wg.Done()
	buf, plain := make([]byte, 1500), make([]byte, 1500)
	var h rtp.Header
	for {
		n, src, err := s.rtp.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			s.log.Debug("RTP read", "err", err)
			continue
		}
		s.rxDatagram(buf[:n], plain, netip.AddrPortFrom(src.Addr().Unmap(), src.Port()), &h)
	}
}

// rxDatagram handles one datagram received on the RTP socket from src:
// STUN is answered, SRTP unprotected into plain, RTP parsed into h and
// handled. Run's loop and the reader goroutine both end here.
func (s *Session) rxDatagram(pkt, plain []byte, src netip.AddrPort, h *rtp.Header) {
	if s.stunPacket(pkt, src, s.rtp) { // RFC 7983: ICE checks, keep-alives
		return
	}
	pkt, ok := s.unprotectRTP(plain, pkt, src)
	if !ok {
		return
	}
	s.handleRTP(pkt, src, h, s.clock.Now())
}

// rtpPayload parses pkt's header into h and returns the payload without
// padding, or false for a malformed packet.
func rtpPayload(pkt []byte, h *rtp.Header) ([]byte, bool) {
	hl, err := h.Unmarshal(pkt)
	if err != nil || h.Version != 2 || hl > len(pkt) {
		return nil, false
	}
	payload := pkt[hl:]
	if h.Padding {
		if len(payload) == 0 || int(payload[len(payload)-1]) > len(payload) {
			return nil, false
		}
		payload = payload[:len(payload)-int(payload[len(payload)-1])]
	}
	return payload, true
}

// handleRTP processes one received RTP packet.
func (s *Session) handleRTP(pkt []byte, src netip.AddrPort, h *rtp.Header, now time.Time) {
	payload, ok := rtpPayload(pkt, h)
	s.mu.Lock()
	defer s.mu.Unlock()
	if !ok {
		s.reject("malformed RTP", src)
		return
	}
	pt := int(h.PayloadType)
	isAudio := h.PayloadType == s.neg.Codec.PT
	isEvent := pt >= 0 && (pt == s.neg.RecvEventPT || pt == s.neg.EventPT)
	if !isAudio && !isEvent {
		s.reject("RTP payload type not negotiated", src, "pt", pt)
		return
	}
	if s.peer.latched && src != s.peer.rtpAddr && !s.relatchToSDP(src) {
		s.reject("RTP from a source other than the latched peer", src)
		return
	}
	if !s.peer.latched { // symmetric RTP: answer where the peer sends from
		if src != s.peer.rtpAddr { // behind a NAT: guess its RTCP mapping too
			s.log.Info("RTP latched to the peer's source", "sdp", s.peer.rtpAddr, "source", src)
			if !s.peer.rtcpLatch && src.Port() < 65535 {
				s.peer.rtcpAddr = netip.AddrPortFrom(src.Addr(), src.Port()+1)
			}
		}
		s.peer.latched, s.peer.rtpAddr = true, src
	}
	if !s.peer.haveSSRC || h.SSRC != s.peer.ssrc {
		if s.peer.haveSSRC { // the peer restarted its stream
			s.foldRecvStats()
		}
		s.peer.ssrc, s.peer.haveSSRC, s.peer.haveEvent = h.SSRC, true, false
	}
	s.lastRx = now
	arr := s.arrival(now)
	if isEvent {
		if !s.rx.stats.update(h.SequenceNumber, h.Timestamp, arr, false) {
			s.handleEvent(h.Timestamp, payload, now)
		}
		return
	}
	s.rx.push(h.SequenceNumber, h.Timestamp, s.neg.Codec, payload, arr)
}

// foldRecvStats moves the current source's counters into rxPrev and
// starts fresh sequence tracking and playout for a new source.
func (s *Session) foldRecvStats() {
	st := &s.rx.stats
	s.rxPrev.Received += st.received
	s.rxPrev.Duplicate += st.duplicates
	s.rxPrev.Lost += st.lost()
	*st = recvStats{}
	s.rx.jb.anchored = false
}

// handleEvent reports an RFC 4733 digit once per event (keyed on the
// event's RTP timestamp), whichever of its packets arrives first.
func (s *Session) handleEvent(ts uint32, payload []byte, now time.Time) {
	ev, ok := parseEvent(payload)
	if !ok {
		s.reject("short telephone-event payload", s.peer.rtpAddr)
		return
	}
	if s.peer.haveEvent && int32(ts-s.peer.lastEvent) <= 0 {
		return // a repeat or end packet of an event already reported, or older
	}
	s.peer.haveEvent, s.peer.lastEvent = true, ts
	if d, ok := eventDigit(ev.Code); ok {
		s.digit(DTMFRFC4733, d, now)
	}
}

// ReadFrame writes the next 20 ms of received audio (jitter buffered and
// concealed) into out: 160 samples at 8 kHz or 320 at 16 kHz (see
// Codec.FrameSamples). Call it from the playout loop.
func (s *Session) ReadFrame(out []int16) {
	s.mu.Lock()
	s.rx.pop(out)
	s.mu.Unlock()
}

// reject counts a dropped packet and says why at debug level. Called with
// s.mu held.
func (s *Session) reject(why string, src netip.AddrPort, args ...any) {
	s.peer.rejected++
	if s.log.Enabled(context.Background(), slog.LevelDebug) {
		s.log.Debug("packet dropped: "+why, append([]any{"from", src}, args...)...)
	}
}
