package sipdns

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/interop"
)

// pbxZone is an installer's SIP zone: NAPTR for UDP and TCP, two UDP
// servers by priority, one TCP server, and a name with so many SRV
// records that its answer does not fit a UDP datagram.
func pbxZone() interop.DnsmasqOptions {
	o := interop.DnsmasqOptions{Domains: []string{"pbx.test"}, TTL: 60,
		Hosts: []interop.HostRecord{{Name: "pbx.test", Addr: "127.0.0.1"}, {Name: "sip1.pbx.test", Addr: "127.0.0.2"}, {Name: "sip2.pbx.test", Addr: "127.0.0.3"}},
		SRV: []interop.SRVRecord{
			{Name: "_sip._udp.pbx.test", Target: "sip2.pbx.test", Port: 5080, Priority: 20, Weight: 10},
			{Name: "_sip._udp.pbx.test", Target: "sip1.pbx.test", Port: 5070, Priority: 10, Weight: 10},
			{Name: "_sip._tcp.pbx.test", Target: "sip1.pbx.test", Port: 5071, Priority: 10, Weight: 10},
		},
		NAPTR: []interop.NAPTRRecord{
			{Name: "pbx.test", Order: 20, Preference: 50, Flags: "s", Service: "SIP+D2T", Replacement: "_sip._tcp.pbx.test"},
			{Name: "pbx.test", Order: 10, Preference: 50, Flags: "s", Service: "SIP+D2U", Replacement: "_sip._udp.pbx.test"},
		},
	}
	for i := range 60 {
		o.SRV = append(o.SRV, interop.SRVRecord{Name: "_sip._udp.big.pbx.test", Target: "sip1.pbx.test",
			Port: 6000 + i, Priority: 1, Weight: 1})
	}
	return o
}

// TestDnsmasq resolves through a real dnsmasq: NAPTR to SRV to A, an
// explicit transport, NXDOMAIN, the TTL cache, and an answer too big for
// UDP that is fetched again over TCP.
func TestDnsmasq(t *testing.T) {
	t.Parallel()
	d := interop.StartDnsmasq(t, pbxZone())
	r, err := New(Options{Server: d.Addr})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	tests := []struct {
		q    Query
		want []string
		err  error
	}{
		{Query{Host: "pbx.test"}, []string{"udp 127.0.0.2:5070", "udp 127.0.0.3:5080", "tcp 127.0.0.2:5071"}, nil},
		{Query{Host: "pbx.test", Transport: "tcp"}, []string{"tcp 127.0.0.2:5071"}, nil},
		{Query{Host: "sip2.pbx.test", Port: 5090}, []string{"udp 127.0.0.3:5090"}, nil},
		{Query{Host: "nosuch.pbx.test"}, nil, ErrNotFound},
	}
	for _, tc := range tests {
		hops, err := r.Resolve(ctx, tc.q)
		if tc.err != nil {
			if !errors.Is(err, tc.err) {
				t.Errorf("Resolve(%+v) = %v, %v; want %v", tc.q, hopStrings(hops), err, tc.err)
			}
			continue
		}
		if err != nil || !slices.Equal(hopStrings(hops), tc.want) {
			t.Errorf("Resolve(%+v) = %v, %v; want %v", tc.q, hopStrings(hops), err, tc.want)
		}
	}
	// Cached: asking again sends no query.
	n := d.Log.Count("query[NAPTR] pbx.test")
	if _, err := r.Resolve(ctx, Query{Host: "pbx.test"}); err != nil || d.Log.Count("query[NAPTR] pbx.test") != n {
		t.Errorf("second resolution asked dnsmasq again (err %v)", err)
	}
	hops, err := r.Resolve(ctx, Query{Host: "big.pbx.test", Transport: "udp"})
	if err != nil || len(hops) != MaxHops {
		t.Fatalf("Resolve(big.pbx.test) = %d hops, %v; want %d (a truncated answer fetched over TCP)", len(hops), err, MaxHops)
	}
	if !slices.ContainsFunc(hops, func(h Hop) bool { return h.Addr.Port() >= 6000 }) {
		t.Errorf("hops %v are not from the big SRV set", hopStrings(hops))
	}
	// dnsmasq logs the TCP query from a child process: wait for the line.
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := d.Log.WaitFor(wctx, "query[SRV] _sip._udp.big.pbx.test", 2); err != nil {
		t.Errorf("the big SRV answer was asked once; want UDP then TCP (dnsmasq logs both): %v", err)
	}
}
