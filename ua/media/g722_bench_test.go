package media

import (
	"testing"

	"github.com/pion/rtp"
)

// BenchmarkCodecFrame is one 20 ms frame through both halves of a call's
// codec path: encoded and packetised by the sender, depacketised,
// decoded, jitter buffered and played by the receiver. G.722 (320
// samples at 16 kHz) against G.711 (160 at 8 kHz); 0 allocations each.
func BenchmarkCodecFrame(b *testing.B) {
	for _, c := range []Codec{{G722, 9}, {PCMU, 0}} {
		b.Run(c.Name, func(b *testing.B) {
			var tx sender
			tx.init(DefaultConfig())
			tx.configure(Negotiated{Codec: c, EventPT: -1, PTime: 20e6})
			r := newReceiver(20, 200)
			r.codec(c)
			n := c.FrameSamples()
			in, out := wideSignal(c.Rate(), 0, n), make([]int16, n)
			var h rtp.Header
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				tx.frame(in, true)
				pkt := tx.packet()
				payload, _ := rtpPayload(pkt, &h)
				r.push(h.SequenceNumber, h.Timestamp, c, payload, uint32(i*frameLen))
				r.pop(out)
			}
		})
	}
}
