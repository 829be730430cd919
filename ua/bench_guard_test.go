package ua

import (
	"net"
	"net/netip"
	"testing"

	"github.com/emiago/sipgo/sip"
)

// BenchmarkPrecheck is the guard's request checks on one INVITE with SDP
// from an untrusted source (issue 16: they parse the request before sipgo
// parses it again), beside sipgo's own parse of the same bytes:
//
//	go test -run '^$' -bench Precheck ./ua
func BenchmarkPrecheck(b *testing.B) {
	local := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 5070}
	inv := []byte(request("INVITE", "127.0.0.1:5060", local, "bench-precheck", "Content-Type: application/sdp\r\n", offerSDP))
	ap := netip.MustParseAddrPort("127.0.0.1:5070")
	b.Run("precheck", func(b *testing.B) {
		g := newGuard(Limits{}, SystemClock{}, NewLogLimiter(discard(), SystemClock{}, dropLogInterval, 4), nil)
		b.ReportAllocs()
		for range b.N {
			if fwd, answer := g.precheck(ap, inv); fwd == nil || answer != nil {
				b.Fatal("refused")
			}
		}
	})
	b.Run("sipgo-parse", func(b *testing.B) {
		p := sip.NewParser()
		b.ReportAllocs()
		for range b.N {
			if _, err := p.ParseSIP(inv); err != nil {
				b.Fatal(err)
			}
		}
	})
}
