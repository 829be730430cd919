package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/interop"
)

// presenceDNSNetnsEnv names the network namespace TestPresenceDNSServerBinary
// runs in.
const presenceDNSNetnsEnv = "SIPBELL_PRESENCE_DNS_NETNS"

// TestPresenceDNSServerBinary: sipbell configured with "registrar:
// sip:pbx.test" and sip.dns_server naming a dnsmasq that alone knows
// pbx.test's SRV records publishes its presence to the Kamailio the
// registration found there, or, with presence.server sip:pres.test, to
// the one pres.test's SRV records name, and never asks the system
// resolver about either. It runs in a network namespace whose resolv.conf names a
// second dnsmasq on 127.0.0.1:53 that answers NXDOMAIN and logs every
// query: the system resolver reaches nothing else.
func TestPresenceDNSServerBinary(t *testing.T) {
	if !inBinaryNetns(t, presenceDNSNetnsEnv, "nameserver 127.0.0.1\n") {
		return
	}
	k := interop.StartKamailio(t, interop.KamailioOptions{Presence: true, Aliases: []string{"pbx.test"}})
	pres := interop.StartKamailio(t, interop.KamailioOptions{Presence: true, Aliases: []string{"pbx.test", "pres.test"}})
	system := interop.StartDnsmasq(t, interop.DnsmasqOptions{Port: 53, Domains: []string{"pbx.test", "pres.test"}})
	d := interop.StartDnsmasq(t, interop.DnsmasqOptions{Domains: []string{"pbx.test", "pres.test"}, TTL: 60,
		Hosts: []interop.HostRecord{{Name: "sip1.pbx.test", Addr: "127.0.0.1"}},
		SRV: []interop.SRVRecord{{Name: "_sip._udp.pbx.test", Target: "sip1.pbx.test", Port: k.Port, Priority: 10, Weight: 10},
			{Name: "_sip._udp.pres.test", Target: "sip1.pbx.test", Port: pres.Port, Priority: 10, Weight: 10}},
	})
	for _, tc := range []struct {
		name, user, presence string
		server               *interop.Kamailio // where the PUBLISH goes
		query                string
	}{
		{"registrar", "door", "", k, "query[SRV] _sip._udp.pbx.test"},
		{"presence.server", "bob", "\n  server: sip:pres.test", pres, "query[SRV] _sip._udp.pres.test"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			p := startDoor(t, fmt.Sprintf(`sip:
  listen: 127.0.0.1:0
  user: %s
  dns_server: %s
  accounts:
    - registrar: sip:pbx.test
      transport: udp
      user: %s
      password: %s
board:
  profile: sim
presence:
  expires: 2m%s
%s`, tc.user, d.Addr, tc.user, interop.Password, tc.presence, testProvisioning(t.TempDir())))
			p.awaitLog(ctx, t, "registered", map[string]string{"component": "door"})
			if err := tc.server.Log.WaitFor(ctx, "IN PUBLISH"); err != nil {
				t.Fatalf("no PUBLISH reached the Kamailio it is for: %v", err)
			}
			if err := d.Log.WaitFor(ctx, tc.query); err != nil {
				t.Errorf("sipbell did not ask its dns_server %q: %v", tc.query, err)
			}
			if n := system.Log.Count(".test from"); n > 0 {
				t.Errorf("the system resolver was asked about the SIP servers %d times:\n%s", n, system.Log.String())
			}
		})
	}
}
