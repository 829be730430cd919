package media

import (
	"net/netip"
	"testing"
	"time"

	"github.com/pion/rtp"
)

// FuzzHandleRTP feeds arbitrary datagrams to the receive path (header
// parse, filtering, statistics, decode, jitter buffer, RFC 4733) and
// plays a frame after each: nothing may panic and every frame is full.
func FuzzHandleRTP(f *testing.F) {
	f.Add(rtpPacket(f, 0, 1, 160, 7, true, make([]byte, 160)))
	f.Add(rtpPacket(f, 101, 2, 320, 7, false, []byte{5, 0x8a, 3, 0x20}))
	f.Add(rtpPacket(f, 0, 3, 480, 7, false, make([]byte, 1200)))
	f.Add([]byte{0xa0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 7, 1, 2, 3})    // padding
	f.Add([]byte{0x91, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 0}) // extension, CSRC
	f.Fuzz(func(t *testing.T, pkt []byte) {
		s := &Session{cfg: DefaultConfig(), rx: newReceiver(20, 200), merger: NewDTMFMerger(time.Second),
			events: make(chan Event, 64), log: discardLogger()}
		s.neg = pcmuNeg(netip.MustParseAddrPort("127.0.0.1:9"))
		src := netip.MustParseAddrPort("127.0.0.1:9")
		var h rtp.Header
		out := make([]int16, frameLen)
		now := time.Unix(0, 0)
		for i := 0; i < 3; i++ {
			s.handleRTP(pkt, src, &h, now)
			s.ReadFrame(out)
			now = now.Add(20 * time.Millisecond)
		}
		_ = s.Stats()
	})
}
