package main

import (
	"context"
	"fmt"
	"os"
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
// registration found there, and never asks the system resolver about
// pbx.test. It runs in a network namespace whose resolv.conf names a
// second dnsmasq on 127.0.0.1:53 that answers NXDOMAIN and logs every
// query: the system resolver reaches nothing else.
func TestPresenceDNSServerBinary(t *testing.T) {
	if os.Getenv(presenceDNSNetnsEnv) == "" {
		t.Parallel()
		binary(t) // build outside the namespace
		rerunInNetns(t, presenceDNSNetnsEnv, "TestPresenceDNSServerBinary", 3*time.Minute, "nameserver 127.0.0.1\n")
		return
	}
	k := interop.StartKamailio(t, interop.KamailioOptions{Presence: true, Aliases: []string{"pbx.test"}})
	system := interop.StartDnsmasq(t, interop.DnsmasqOptions{Port: 53, Domains: []string{"pbx.test"}})
	d := interop.StartDnsmasq(t, interop.DnsmasqOptions{Domains: []string{"pbx.test"}, TTL: 60,
		Hosts: []interop.HostRecord{{Name: "sip1.pbx.test", Addr: "127.0.0.1"}},
		SRV:   []interop.SRVRecord{{Name: "_sip._udp.pbx.test", Target: "sip1.pbx.test", Port: k.Port, Priority: 10, Weight: 10}},
	})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	p := startDoor(t, fmt.Sprintf(`sip:
  listen: 127.0.0.1:0
  user: door
  dns_server: %s
  accounts:
    - registrar: sip:pbx.test
      transport: udp
      user: door
      password: %s
board:
  profile: sim
presence:
  expires: 2m
%s`, d.Addr, interop.Password, testProvisioning(t.TempDir())))
	p.awaitLog(ctx, t, "registered", map[string]string{"component": "door"})
	if err := k.Log.WaitFor(ctx, "IN PUBLISH"); err != nil {
		t.Fatalf("no PUBLISH reached Kamailio: %v", err)
	}
	if err := d.Log.WaitFor(ctx, "query[SRV] _sip._udp.pbx.test"); err != nil {
		t.Errorf("sipbell did not ask its dns_server: %v", err)
	}
	if n := system.Log.Count("pbx.test from"); n > 0 {
		t.Errorf("the system resolver was asked about pbx.test %d times:\n%s", n, system.Log.String())
	}
}
