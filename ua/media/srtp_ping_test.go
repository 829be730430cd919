package media

import (
	"context"
	"encoding/hex"
	"net/netip"
	"testing"
)

// TestSessionSRTCPPing: baresip's RTCP APP "PING"/"PONG" (16 bytes, in
// clear at the start of every stream, captured from baresip 1.0) reaching
// an SRTP call's RTCP port is dropped without the "SRTCP authentication
// failed" warning; a forged SRTCP packet still gets it.
func TestSessionSRTCPPing(t *testing.T) {
	t.Parallel()
	ping, _ := hex.DecodeString("80cc000305cc217e50494e47504f4e47")
	forged := append([]byte{0x81, 0xc9, 0, 1, 0, 0, 0, 9}, make([]byte, 14)...)
	tests := []struct {
		name    string
		pkt     []byte
		warning bool
	}{
		{"libre PING", ping, false},
		{"forged SRTCP", forged, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			trA, _, _ := srtpPair(t, SuiteAESCM128SHA1_80)
			var logs logLines
			s := listen(t, testConfig(), Options{Logger: logs.logger()})
			peer := newRawPeer(t)
			neg := pcmuNeg(peer.addr)
			neg.SRTP = trA
			if err := s.Start(context.Background(), neg); err != nil {
				t.Fatal(err)
			}
			peer.send(t, netip.AddrPortFrom(s.LocalAddr().Addr(), s.LocalAddr().Port()+1), tt.pkt)
			waitFor(t, "the packet dropped", func() bool { return s.Stats().Rejected == 1 })
			if got := logs.has("SRTCP authentication failed"); got != tt.warning {
				t.Errorf("warning logged %v, want %v:\n%s", got, tt.warning, logs.buf.String())
			}
		})
	}
}
