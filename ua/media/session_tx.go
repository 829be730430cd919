package media

import (
	"fmt"
	"math/rand/v2"

	"github.com/pion/rtp"
)

const (
	dtmfVolume   = 10 // -10 dBm0
	dtmfEnds     = 3  // end packets per event (RFC 4733 §2.5.1.4)
	dtmfGapFrame = 2  // frames of audio between two events
	dtmfQueueLen = 32
)

// sender is the outgoing half of the session: sequence, timestamp,
// packetisation and RFC 4733 events. Guarded by Session.mu.
type sender struct {
	ssrc     uint32
	seq      uint16
	ts       uint32 // timestamp of the next sample
	marker   bool   // next packet starts a talkspurt
	enc      voiceEncoder
	perTick  int // samples per RTP clock tick: 1 (G.711), 2 (G.722)
	conv     rateConv
	pt       uint8
	evPT     int
	spp      int    // samples per audio packet
	accTS    uint32 // timestamp of acc[0]
	n        int    // encoded bytes waiting in acc
	acc      [maxSamples + frameLen]byte
	ready    int // bytes of a finished event packet in pkt, 0 if none
	pkt      [12 + maxSamples]byte
	sent     uint64
	octets   uint32
	reported uint64 // sent at the last RTCP report
	evLen    int    // samples per DTMF digit

	queue    [dtmfQueueLen]uint8
	qHead    int
	qLen     int
	evActive bool
	ev       telephoneEvent
	evTS     uint32
	evEnds   int
	gap      int
}

func (t *sender) init(cfg Config) {
	t.ssrc, t.seq, t.ts = rand.Uint32(), uint16(rand.Uint32()), rand.Uint32()
	t.marker = true
	t.evLen = int(cfg.DTMFDuration.Milliseconds()) * 8
	t.evLen = max((t.evLen+frameLen-1)/frameLen*frameLen, frameLen)
	t.configure(Negotiated{Codec: Codec{Name: "PCMU"}, EventPT: -1, PTime: 20e6})
}

// configure applies negotiated parameters; a partly filled packet is
// dropped when the packetisation changes.
func (t *sender) configure(neg Negotiated) {
	t.enc.set(neg.Codec)
	t.perTick = neg.Codec.Rate() / ClockRate
	t.pt, t.evPT = neg.Codec.PT, neg.EventPT
	spp := int(neg.PTime.Milliseconds()) * 8 // bytes = ticks, G.711 and G.722 alike
	if spp < slotSamples || spp > maxSamples {
		spp = frameLen
	}
	if spp != t.spp {
		t.spp, t.n = spp, 0 // a partly filled packet is dropped
	}
}

// header writes an RTP header into pkt and advances the sequence number.
func (t *sender) header(pt uint8, ts uint32, marker bool) {
	h := rtp.Header{Version: 2, Marker: marker, PayloadType: pt, SequenceNumber: t.seq, Timestamp: ts, SSRC: t.ssrc}
	_, _ = h.MarshalTo(t.pkt[:12])
	t.seq++
}

// frame takes one 20 ms frame of audio (at any rate: it is resampled to
// the codec's when they differ). When send is false (hold) the clock runs
// on but nothing is queued. The packets it completes are then taken with
// packet.
func (t *sender) frame(pcm []int16, send bool) {
	pcm = t.conv.convert(pcm, frameLen*t.perTick)
	ticks := len(pcm) / t.perTick
	if !send {
		t.ts += uint32(ticks)
		t.n, t.qLen, t.evActive, t.ready = 0, 0, false, 0
		t.marker = true
		return
	}
	if t.evActive || (t.qLen > 0 && t.n == 0 && t.gap == 0 && t.evPT >= 0) {
		t.eventFrame(ticks)
		return
	}
	if t.gap > 0 {
		t.gap--
	}
	if t.n == 0 {
		t.accTS = t.ts
	}
	t.n += t.enc.encode(t.acc[t.n:], pcm)
	t.ts += uint32(ticks)
}

// packet returns the next complete packet, or nil. The slice is valid
// until the next call to frame or packet.
func (t *sender) packet() []byte {
	if t.ready > 0 {
		n := t.ready
		t.ready = 0
		return t.done(n)
	}
	if t.n < t.spp {
		return nil
	}
	t.header(t.pt, t.accTS, t.marker)
	t.marker = false
	copy(t.pkt[12:], t.acc[:t.spp])
	t.n = copy(t.acc[:], t.acc[t.spp:t.n])
	t.accTS += uint32(t.spp)
	return t.done(12 + t.spp)
}

func (t *sender) done(size int) []byte {
	t.sent++
	t.octets += uint32(size - 12)
	return t.pkt[:size]
}

// eventFrame prepares the telephone-event packet for one frame period.
func (t *sender) eventFrame(samples int) {
	start := false
	if !t.evActive {
		t.evActive, start, t.evEnds = true, true, 0
		t.ev = telephoneEvent{Code: t.queue[t.qHead], Volume: dtmfVolume}
		t.qHead, t.qLen = (t.qHead+1)%dtmfQueueLen, t.qLen-1
		t.evTS = t.ts
	}
	t.ts += uint32(samples)
	if !t.ev.End {
		t.ev.Duration = uint16(min(int(t.ev.Duration)+samples, t.evLen, 0xffff))
		t.ev.End = int(t.ev.Duration) >= t.evLen
	}
	if t.ev.End {
		if t.evEnds++; t.evEnds >= dtmfEnds {
			t.evActive, t.gap = false, dtmfGapFrame
		}
	}
	t.header(uint8(t.evPT), t.evTS, start)
	t.ev.put(t.pkt[12:16])
	t.ready = 16
}

// WriteFrame sends one 20 ms frame of audio to the peer (160 samples at
// 8 kHz for G.711, 320 at 16 kHz for G.722: see Codec.FrameSamples; a
// frame at the other rate is resampled): encoded, packetised at the negotiated ptime, replaced by RFC 4733
// packets while a digit is being sent. Nothing is sent while the call's
// direction does not include sending (hold), but the RTP clock runs on.
// Call it from one goroutine, paced by the audio source.
func (s *Session) WriteFrame(pcm []int16) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	dst := s.peer.rtpAddr
	send := s.started && s.neg.Direction.Sends() && dst.IsValid() && !dst.Addr().IsUnspecified() && dst.Port() != 0
	s.tx.frame(pcm, send)
	for {
		pkt := s.tx.packet()
		s.mu.Unlock()
		if pkt == nil {
			return nil
		}
		// pkt stays valid: only this (the single sending) goroutine
		// calls frame and packet.
		pkt, err := s.protectRTP(pkt)
		if err != nil {
			return err
		}
		if pkt == nil { // DTLS-SRTP keys not agreed yet: nothing in clear
			s.mu.Lock()
			continue
		}
		if err := s.sendRTP(pkt, dst); err != nil { // loop.go
			return err
		}
		s.mu.Lock()
	}
}

// SendDTMF queues digits ('0'-'9', '*', '#', 'A'-'D') to be sent as RFC
// 4733 events, each lasting Config.DTMFDuration, in the frames WriteFrame
// sends next. It fails when the peer did not negotiate telephone-event.
func (s *Session) SendDTMF(digits string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if s.neg.EventPT < 0 || !s.started {
		return fmt.Errorf("send DTMF %q: %w: peer has no telephone-event", digits, ErrBadDTMF)
	}
	codes := make([]uint8, 0, len(digits))
	for _, d := range digits {
		c, ok := digitEvent(d)
		if !ok {
			return fmt.Errorf("send DTMF %q: %w: %q is not a DTMF digit", digits, ErrBadDTMF, d)
		}
		codes = append(codes, c)
	}
	t := &s.tx
	if t.qLen+len(codes) > dtmfQueueLen {
		return fmt.Errorf("send DTMF %q: %w: queue full", digits, ErrBadDTMF)
	}
	for _, c := range codes {
		t.queue[(t.qHead+t.qLen)%dtmfQueueLen] = c
		t.qLen++
	}
	return nil
}
