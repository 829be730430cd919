package media

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/sipbell/sipbell/audio/g711"
)

func pcmuNeg(remote netip.AddrPort) Negotiated {
	return Negotiated{Remote: remote, RemoteRTCP: netip.AddrPortFrom(remote.Addr(), remote.Port()+1),
		Codec: Codec{"PCMU", 0}, EventPT: 101, RecvEventPT: 101, PTime: 20 * time.Millisecond, Direction: SendRecv}
}

func rtpPacket(t testing.TB, pt uint8, seq uint16, ts, ssrc uint32, marker bool, payload []byte) []byte {
	t.Helper()
	b, err := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: pt, SequenceNumber: seq, Timestamp: ts,
		SSRC: ssrc, Marker: marker}, Payload: payload}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestListenPortRange(t *testing.T) {
	t.Parallel()
	// Occupy the RTCP port of the first pair: the session must move on.
	busy, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	p := busy.LocalAddr().(*net.UDPAddr).Port
	lo := p - 1 + (p-1)&1 // the even port whose RTCP is p, or p's pair
	cfg := testConfig()
	cfg.RTPPortMin, cfg.RTPPortMax = lo, lo+3
	for i := 0; i < 20; i++ { // random start: both orders must land on the free pair
		s, err := Listen(cfg, loopback, Options{})
		if err != nil {
			if errors.Is(err, ErrNoPort) {
				t.Skipf("neighbouring ports %d-%d busy on this machine", lo, lo+3)
			}
			t.Fatal(err)
		}
		port := int(s.LocalAddr().Port())
		s.Close()
		if port%2 != 0 || port == lo && p <= lo+1 {
			t.Fatalf("bound %d with %d busy in %d-%d", port, p, lo, lo+3)
		}
	}
	cfg.RTPPortMin, cfg.RTPPortMax = p-p%2, p-p%2+1
	if _, err := Listen(cfg, loopback, Options{}); !errors.Is(err, ErrNoPort) {
		t.Errorf("range with the only pair busy: err = %v, want ErrNoPort", err)
	}
	if _, err := Listen(cfg, netip.MustParseAddr("192.0.2.1"), Options{}); err == nil || errors.Is(err, ErrNoPort) {
		t.Errorf("unassigned address: err = %v, want a bind error", err)
	}
}

// TestSenderPackets inspects what a session sends: random SSRC and start
// values, marker at talkspurt start and after hold, ptime honoured.
func TestSenderPackets(t *testing.T) {
	t.Parallel()
	peer := newRawPeer(t)
	s := listen(t, testConfig(), Options{})
	neg := pcmuNeg(peer.addr)
	neg.PTime = 40 * time.Millisecond
	if err := s.Start(context.Background(), neg); err != nil {
		t.Fatal(err)
	}
	frame := tone(1000, 5000, 0, frameLen)
	var h rtp.Header
	read := func() []byte {
		payload, ok := rtpPayload(peer.read(t), &h)
		if !ok {
			t.Fatal("malformed packet")
		}
		return payload
	}
	s.WriteFrame(frame)
	s.WriteFrame(frame)
	p := read()
	first := h
	if !h.Marker || h.PayloadType != 0 || len(p) != 320 {
		t.Fatalf("first packet marker=%v pt=%d len=%d, want marker, PT 0, 40 ms", h.Marker, h.PayloadType, len(p))
	}
	s.WriteFrame(frame)
	s.WriteFrame(frame)
	read()
	if h.Marker || h.SequenceNumber != first.SequenceNumber+1 || h.Timestamp != first.Timestamp+320 || h.SSRC != first.SSRC {
		t.Errorf("second packet %+v after %+v", h, first)
	}
	neg.Direction = RecvOnly // the peer put us on hold
	s.Start(context.Background(), neg)
	for i := 0; i < 10; i++ {
		s.WriteFrame(frame)
	}
	neg.Direction = SendRecv
	s.Start(context.Background(), neg)
	s.WriteFrame(frame)
	s.WriteFrame(frame)
	read()
	if !h.Marker || h.SequenceNumber != first.SequenceNumber+2 || h.Timestamp != first.Timestamp+640+1600 {
		t.Errorf("after hold: %+v, want marker, next seq, timestamp advanced by the held frames", h)
	}
	if st := s.Stats(); st.Sent != 3 {
		t.Errorf("Sent = %d, want 3", st.Sent)
	}
	s2 := listen(t, testConfig(), Options{})
	if s2.tx.ssrc == s.tx.ssrc && s2.tx.seq == s.tx.seq {
		t.Error("SSRC and sequence are not random")
	}
}

// TestSymmetricRTPAndFiltering: the SDP names a dead address; the peer's
// packets come from elsewhere; we answer there, and drop other sources
// and unknown payload types once latched.
func TestSymmetricRTPAndFiltering(t *testing.T) {
	t.Parallel()
	peer, intruder := newRawPeer(t), newRawPeer(t)
	s := listen(t, testConfig(), Options{})
	if err := s.Start(context.Background(), pcmuNeg(netip.MustParseAddrPort("127.0.0.1:9"))); err != nil {
		t.Fatal(err)
	}
	payload := make([]byte, 160)
	peer.send(t, s.LocalAddr(), rtpPacket(t, 99, 1, 0, 7, false, payload)) // unknown PT: no latch
	peer.send(t, s.LocalAddr(), rtpPacket(t, 0, 2, 160, 7, true, payload))
	waitFor(t, "first packet", func() bool { return s.Stats().Received == 1 })
	intruder.send(t, s.LocalAddr(), rtpPacket(t, 0, 3, 320, 7, false, payload))
	peer.send(t, s.LocalAddr(), []byte{0x80, 0}) // malformed
	waitFor(t, "rejections", func() bool { return s.Stats().Rejected == 3 })
	s.WriteFrame(make([]int16, frameLen))
	var h rtp.Header
	if _, ok := rtpPayload(peer.read(t), &h); !ok || h.PayloadType != 0 {
		t.Fatalf("peer did not get our RTP at its source address")
	}
	if st := s.Stats(); st.Received != 1 || st.Rejected != 3 {
		t.Errorf("stats %+v", st)
	}
}

// TestInactivityTimeoutAndRTCP drives the control loop with a manual
// clock: RTCP reports go to the peer's RTCP port and a silent peer
// raises EventTimeout once.
func TestInactivityTimeoutAndRTCP(t *testing.T) {
	t.Parallel()
	clk := newManualClock()
	peer := newRawPeer(t)
	peerRTCP := newRawPeer(t)
	cfg := testConfig()
	cfg.RTPTimeout = 30 * time.Second
	s := listen(t, cfg, Options{Clock: clk})
	neg := pcmuNeg(peer.addr)
	neg.RemoteRTCP = peerRTCP.addr
	if err := s.Start(context.Background(), neg); err != nil {
		t.Fatal(err)
	}
	// Five packets with one missing: RR must report the loss.
	for _, seq := range []uint16{10, 11, 13, 14, 15} {
		peer.send(t, s.LocalAddr(), rtpPacket(t, 0, seq, uint32(seq)*160, 42, false, make([]byte, 160)))
	}
	waitFor(t, "packets", func() bool { return s.Stats().Received == 5 })
	s.WriteFrame(make([]int16, frameLen))
	peer.read(t)
	// The RTCP loop takes its first deadline from the clock when it starts:
	// advancing before it waits would move its schedule on with the clock.
	waitFor(t, "the RTCP loop waiting on the clock", func() bool { return clk.Waiters() >= 1 })
	for i := 0; i < 8; i++ { // 8 s: at least one report (interval 2.5-7.5 s)
		clk.Advance(time.Second)
	}
	pkts, err := rtcp.Unmarshal(peerRTCP.read(t))
	if err != nil {
		t.Fatal(err)
	}
	sr, ok := pkts[0].(*rtcp.SenderReport)
	if !ok || len(sr.Reports) != 1 || sr.PacketCount != 1 {
		t.Fatalf("first RTCP packet %v, want SR with one report block", pkts[0])
	}
	if rr := sr.Reports[0]; rr.SSRC != 42 || rr.TotalLost != 1 || rr.LastSequenceNumber != 15 || rr.FractionLost != 256/6 {
		t.Errorf("report block %+v, want SSRC 42, 1 lost of 6, ext seq 15", rr)
	}
	if _, ok := pkts[1].(*rtcp.SourceDescription); !ok {
		t.Errorf("second RTCP packet %T, want SDES", pkts[1])
	}
	for i := 0; i < 30; i++ {
		clk.Advance(time.Second)
	}
	select {
	case ev := <-s.Events():
		if ev.Kind != EventTimeout {
			t.Fatalf("event %+v, want timeout", ev)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no timeout event after 38 s of silence")
	}
}

// TestNoTimeoutOnHold: a peer that holds us (sendonly→we recvonly is
// expected, but inactive means nothing comes) must not time out.
func TestNoTimeoutWhenNotReceiving(t *testing.T) {
	t.Parallel()
	clk := newManualClock()
	s := listen(t, testConfig(), Options{Clock: clk})
	neg := pcmuNeg(netip.MustParseAddrPort("127.0.0.1:9"))
	neg.Direction = Inactive
	s.Start(context.Background(), neg)
	for i := 0; i < 60; i++ {
		clk.Advance(time.Second)
	}
	// Re-enable receiving: the timeout counts from now, and fires.
	neg.Direction = SendRecv
	s.Start(context.Background(), neg)
	for i := 0; i < 29; i++ {
		clk.Advance(time.Second)
	}
	select {
	case ev := <-s.Events():
		t.Fatalf("unexpected event %+v within the timeout", ev)
	default:
	}
	clk.Advance(2 * time.Second)
	select {
	case ev := <-s.Events():
		if ev.Kind != EventTimeout {
			t.Fatalf("event %+v", ev)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no timeout after resuming")
	}
}

// TestTwoSessionsAudio sends a tone from one session to another over
// loopback and reads it back out of the jitter buffer.
func TestTwoSessionsAudio(t *testing.T) {
	t.Parallel()
	a, b := listen(t, testConfig(), Options{}), listen(t, testConfig(), Options{})
	na, nb := pcmuNeg(b.LocalAddr()), pcmuNeg(a.LocalAddr())
	na.Codec, nb.Codec = Codec{"PCMA", 8}, Codec{"PCMA", 8}
	a.Start(context.Background(), na)
	b.Start(context.Background(), nb)
	const n = 50
	out := make([]int16, frameLen)
	var got []int16
	for i := 0; i < n+5; i++ { // one frame sent, one played: a steady call
		if i < n {
			a.WriteFrame(tone(800, 8000, i*frameLen, frameLen))
			waitFor(t, "packet", func() bool { return b.Stats().Received == uint64(i+1) })
		}
		b.ReadFrame(out)
		got = append(got, out...)
		if i == n-1 {
			if st := b.Stats(); st.Lost != 0 || st.Concealed != 0 || st.Duplicate != 0 || st.Late != 0 {
				t.Errorf("clean loopback stats %+v", st)
			}
		}
	}
	// Skip the playout delay (A-law has no zero: silence decodes to 8),
	// then compare with the G.711 round trip.
	start := -1
	for i, v := range got {
		if v != 0 {
			start = i
			break
		}
	}
	if start < 0 {
		t.Fatalf("no audio came out: %+v", b.Stats())
	}
	ref := tone(800, 8000, 0, n*frameLen)
	enc := make([]byte, len(ref))
	g711.Alaw.Encode(enc, ref)
	g711.Alaw.Decode(ref, enc)
	for i := range ref {
		if got[start+i] != ref[i] {
			t.Fatalf("sample %d differs: %d vs %d", i, got[start+i], ref[i])
		}
	}
}

// TestDynamicPayloadTypeG711: PCMA carried in PT 96 (legal per the
// offer's rtpmap) is sent and decoded as A-law.
func TestDynamicPayloadTypeG711(t *testing.T) {
	t.Parallel()
	a, b := listen(t, testConfig(), Options{}), listen(t, testConfig(), Options{})
	na, nb := pcmuNeg(b.LocalAddr()), pcmuNeg(a.LocalAddr())
	na.Codec, nb.Codec = Codec{"PCMA", 96}, Codec{"PCMA", 96}
	na.EventPT, na.RecvEventPT, nb.EventPT, nb.RecvEventPT = 97, 97, 97, 97
	a.Start(context.Background(), na)
	b.Start(context.Background(), nb)
	out := make([]int16, frameLen)
	peak := 0
	for i := 0; i < 5; i++ {
		a.WriteFrame(tone(500, 9000, i*frameLen, frameLen))
		waitFor(t, "packet", func() bool { return b.Stats().Received == uint64(i+1) })
		b.ReadFrame(out)
		peak = max(peak, maxAbs(out))
	}
	if st := b.Stats(); st.Rejected != 0 || peak < 8000 {
		t.Errorf("PCMA in PT 96: stats %+v, peak %d", st, peak)
	}
}

func TestClosedSession(t *testing.T) {
	t.Parallel()
	s := listen(t, testConfig(), Options{})
	s.Start(context.Background(), pcmuNeg(netip.MustParseAddrPort("127.0.0.1:9")))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.WriteFrame(make([]int16, frameLen)); !errors.Is(err, ErrClosed) {
		t.Errorf("WriteFrame after Close: %v", err)
	}
	if err := s.Start(context.Background(), Negotiated{}); !errors.Is(err, ErrClosed) {
		t.Errorf("Start after Close: %v", err)
	}
	if _, open := <-s.Events(); open {
		t.Error("events channel not closed")
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// TestSenderPTime: 10, 20, 30 and 60 ms packets carry contiguous
// timestamps and every sample, whatever the 20 ms frame boundaries.
func TestSenderPTime(t *testing.T) {
	t.Parallel()
	for _, ms := range []int{10, 20, 30, 60} {
		var tx sender
		tx.init(DefaultConfig())
		neg := pcmuNeg(netip.MustParseAddrPort("127.0.0.1:9"))
		neg.PTime = time.Duration(ms) * time.Millisecond
		tx.configure(neg)
		src := tone(700, 9000, 0, 30*frameLen)
		var payload []byte
		var h rtp.Header
		ts0, first := uint32(0), true
		for f := 0; f < 30; f++ {
			tx.frame(src[f*frameLen:(f+1)*frameLen], true)
			for p := tx.packet(); p != nil; p = tx.packet() {
				pl, _ := rtpPayload(p, &h)
				if first {
					ts0, first = h.Timestamp, false
				}
				if len(pl) != ms*8 || h.Timestamp != ts0+uint32(len(payload)) {
					t.Fatalf("ptime %d: packet of %d bytes at ts %d, want %d at %d", ms, len(pl), h.Timestamp, ms*8, ts0+uint32(len(payload)))
				}
				payload = append(payload, pl...)
			}
		}
		want := make([]byte, len(src))
		g711.Ulaw.Encode(want, src)
		if string(payload) != string(want[:len(payload)]) || len(payload) < len(src)-ms*8 {
			t.Errorf("ptime %d: payload stream (%d bytes) differs from the encoded source", ms, len(payload))
		}
	}
}

// TestCloseSendsRTCPBye: the peer learns the stream ended.
func TestCloseSendsRTCPBye(t *testing.T) {
	t.Parallel()
	peerRTCP := newRawPeer(t)
	s := listen(t, testConfig(), Options{})
	neg := pcmuNeg(netip.MustParseAddrPort("127.0.0.1:9"))
	neg.RemoteRTCP = peerRTCP.addr
	s.Start(context.Background(), neg)
	s.Close()
	pkts, err := rtcp.Unmarshal(peerRTCP.read(t))
	if err != nil {
		t.Fatal(err)
	}
	if bye, ok := pkts[len(pkts)-1].(*rtcp.Goodbye); !ok || len(bye.Sources) != 1 || bye.Sources[0] != s.tx.ssrc {
		t.Errorf("last packet %v, want BYE for our SSRC", pkts[len(pkts)-1])
	}
}

// TestIPv6Loopback: sessions bind and talk over ::1, and the SDP says IP6.
func TestIPv6Loopback(t *testing.T) {
	t.Parallel()
	v6 := netip.MustParseAddr("::1")
	a, err := Listen(testConfig(), v6, Options{})
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("IPv6 loopback unavailable in CI: %v", err)
		}
		t.Skipf("no IPv6 loopback here (%v): enable ::1 to run this test", err)
	}
	defer a.Close()
	b, err := Listen(testConfig(), v6, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	sa, sb := NewSDP(testConfig(), a.LocalAddr()), NewSDP(testConfig(), b.LocalAddr())
	offer, _ := sa.Offer(SendRecv)
	answer, nb, err := sb.Answer(offer, SendRecv)
	if err != nil {
		t.Fatal(err)
	}
	na, err := sa.ParseAnswer(answer)
	if err != nil {
		t.Fatal(err)
	}
	if na.Remote != b.LocalAddr() || nb.Remote != a.LocalAddr() {
		t.Fatalf("negotiated %v / %v, want %v / %v", na.Remote, nb.Remote, b.LocalAddr(), a.LocalAddr())
	}
	a.Start(context.Background(), na)
	b.Start(context.Background(), nb)
	a.WriteFrame(tone(500, 9000, 0, frameLen))
	waitFor(t, "packet over ::1", func() bool { return b.Stats().Received == 1 })
}
