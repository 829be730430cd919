package ua

import (
	"context"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/google/uuid"
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

// BenchmarkSipgoPerRequest is what sipgo does per incoming INVITE beside
// parsing it, that this package cannot leave out (issue 16): the
// transaction layer's context.WithTimeout (10 s) for every new server
// transaction's connection (sip/transaction_layer.go, serverTxRequest)
// and DialogUA.ReadInvite's copy of the request and random To tag
// (dialog_ua.go):
//
//	go test -run '^$' -bench SipgoPerRequest ./ua
func BenchmarkSipgoPerRequest(b *testing.B) {
	local := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 5070}
	msg, err := checkParser.ParseSIP([]byte(request("INVITE", "127.0.0.1:5060", local, "bench-sipgo", "Content-Type: application/sdp\r\n", offerSDP)))
	if err != nil {
		b.Fatal(err)
	}
	req := msg.(*sip.Request)
	b.Run("context-with-timeout", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			_, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			cancel()
		}
	})
	b.Run("request-clone", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			_ = req.Clone()
		}
	})
	b.Run("uuid", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			if _, err := uuid.NewRandom(); err != nil {
				b.Fatal(err)
			}
		}
	})
}
