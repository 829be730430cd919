package ua

import (
	"context"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/interop"
	"github.com/sipbell/sipbell/ua/sipdns"
)

// TestTLSNamesResolver: the resolver the SIP stack is given answers a TLS
// hop's domain with the address the UA chose, and passes any other name
// on to the name server it meant to ask (a real dnsmasq), over UDP and
// over TCP. dest gives "domain:port" for TLS only.
func TestTLSNamesResolver(t *testing.T) {
	t.Parallel()
	d := interop.StartDnsmasq(t, interop.DnsmasqOptions{Domains: []string{"zone.test"}, TTL: 60,
		Hosts: []interop.HostRecord{{Name: "other.zone.test", Addr: "127.0.0.7"}}})
	var n tlsNames
	hop := sipdns.Hop{Addr: netip.MustParseAddrPort("127.0.0.9:5071"), Transport: "tls", Name: "sip.zone.test."}
	if got := n.dest(hop, "PBX.zone.test"); got != "pbx.zone.test:5071" {
		t.Errorf("dest of a TLS hop = %q, want pbx.zone.test:5071", got)
	}
	udp := hop
	udp.Transport = "udp"
	if got := n.dest(udp, "pbx.zone.test"); got != "127.0.0.9:5071" {
		t.Errorf("dest of a UDP hop = %q, want its address", got)
	}
	for _, network := range []string{"udp", "tcp"} {
		t.Run(network, func(t *testing.T) {
			r := n.resolver()
			dial := r.Dial
			// Go's resolver asks the server of resolv.conf; here dnsmasq.
			r.Dial = func(ctx context.Context, _, _ string) (net.Conn, error) { return dial(ctx, network, d.Addr) }
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			for name, want := range map[string]string{"pbx.zone.test": "127.0.0.9", "other.zone.test": "127.0.0.7"} {
				ips, err := r.LookupNetIP(ctx, "ip4", name)
				if err != nil || len(ips) != 1 || ips[0].String() != want {
					t.Errorf("%s over %s: %v, %v; want %s", name, network, ips, err, want)
				}
			}
		})
	}
}
