package media

import (
	"context"
	"net/netip"
	"testing"

	"github.com/pion/rtp"
	"github.com/sipbell/sipbell/audio/g711"
)

// BenchmarkEncodePacketize20ms: one 20 ms frame G.711-encoded into an RTP
// packet (the sender's per-frame work, without the syscall).
func BenchmarkEncodePacketize20ms(b *testing.B) {
	var t sender
	t.init(DefaultConfig())
	t.configure(pcmuNeg(netip.MustParseAddrPort("127.0.0.1:9")))
	pcm := tone(440, 8000, 0, frameLen)
	b.ReportAllocs()
	for b.Loop() {
		t.frame(pcm, true)
		if p := t.packet(); len(p) != 172 {
			b.Fatalf("packet of %d bytes", len(p))
		}
	}
}

// BenchmarkDepacketizeDecode20ms: one received packet parsed, checked,
// decoded into the jitter buffer, and one frame played out.
func BenchmarkDepacketizeDecode20ms(b *testing.B) {
	r := newReceiver(20, 200)
	payload := make([]byte, frameLen)
	g711.Ulaw.Encode(payload, tone(440, 8000, 0, frameLen))
	pkt := rtpPacket(b, 0, 0, 0, 1, false, payload)
	out := make([]int16, frameLen)
	var h rtp.Header
	b.ReportAllocs()
	i := uint32(0)
	for b.Loop() {
		pkt[2], pkt[3] = byte(i>>8), byte(i)
		ts := i * frameLen
		pkt[4], pkt[5], pkt[6], pkt[7] = byte(ts>>24), byte(ts>>16), byte(ts>>8), byte(ts)
		p, ok := rtpPayload(pkt, &h)
		if !ok {
			b.Fatal("bad packet")
		}
		r.push(h.SequenceNumber, h.Timestamp, Codec{Name: PCMU}, p, ts)
		r.pop(out)
		i++
	}
}

// BenchmarkJitterPushPop: one 20 ms frame in and out of the jitter buffer.
func BenchmarkJitterPushPop(b *testing.B) {
	j := newJitterBuffer(20, 200)
	pcm := tone(440, 8000, 0, frameLen)
	out := make([]int16, frameLen)
	b.ReportAllocs()
	ts := uint32(0)
	for b.Loop() {
		j.push(ts, pcm)
		j.pop(out)
		ts += frameLen
	}
}

// BenchmarkWriteFrame: the whole send path including the UDP write.
func BenchmarkWriteFrame(b *testing.B) {
	peer := newRawPeer(b)
	s := listen(b, testConfig(), Options{})
	s.Start(context.Background(), pcmuNeg(peer.addr))
	pcm := tone(440, 8000, 0, frameLen)
	b.ReportAllocs()
	for b.Loop() {
		if err := s.WriteFrame(pcm); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoopFrame is one frame of a call's loop on both ends (issue
// 16): A encodes and sends a frame, B takes it from its socket without
// waiting (Options.LoopReceives), jitter-buffers, decodes and plays one
// frame. Allocations must stay 0.
func BenchmarkLoopFrame(b *testing.B) {
	a := listen(b, testConfig(), Options{})
	r := listen(b, testConfig(), Options{LoopReceives: true})
	a.Start(context.Background(), pcmuNeg(r.LocalAddr()))
	r.Start(context.Background(), pcmuNeg(a.LocalAddr()))
	if r.raw == nil {
		b.Skip("no non-blocking receive on this platform")
	}
	pcm, out := tone(440, 8000, 0, frameLen), make([]int16, frameLen)
	b.ReportAllocs()
	for b.Loop() {
		if err := a.WriteFrame(pcm); err != nil {
			b.Fatal(err)
		}
		r.drainRTP()
		r.ReadFrame(out)
	}
	if r.Stats().Received == 0 {
		b.Fatal("nothing received")
	}
}
