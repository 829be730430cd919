package main

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/interop"
)

// dnsTLSNetnsEnv names the network namespace TestDNSTLSBinary runs in.
const dnsTLSNetnsEnv = "SIPBELL_DNS_TLS_NETNS"

// TestDNSTLSBinary: two sipbells with "registrar: sips:<domain>", in a
// network namespace whose resolv.conf names a dnsmasq on 127.0.0.1:53,
// find their registrar by NAPTR SIPS+D2T and _sips._tcp SRV (RFC 3263),
// which name the host sip.<domain>. The certificate is checked against the
// SIP domain (RFC 5922): pbx.test's Kamailio shows one for pbx.test, and
// the door registers over TLS; bad.test's shows one only for its SRV
// target sip.bad.test, and that door refuses it with a log line naming
// the domain, and sends no REGISTER.
func TestDNSTLSBinary(t *testing.T) {
	if !inBinaryNetns(t, dnsTLSNetnsEnv, "nameserver 127.0.0.1\n") {
		return
	}
	good := interop.StartKamailio(t, interop.KamailioOptions{TLS: true, TLSNames: []string{"pbx.test"}, Aliases: []string{"pbx.test"}})
	bad := interop.StartKamailio(t, interop.KamailioOptions{TLS: true, TLSNames: []string{"sip.bad.test"}, Aliases: []string{"bad.test"}})
	zone := interop.DnsmasqOptions{Port: 53, Domains: []string{"pbx.test", "bad.test"}, TTL: 60}
	for _, z := range []struct {
		domain string
		k      *interop.Kamailio
	}{{"pbx.test", good}, {"bad.test", bad}} {
		_, p, _ := net.SplitHostPort(z.k.TLS)
		port, _ := strconv.Atoi(p)
		zone.Hosts = append(zone.Hosts, interop.HostRecord{Name: "sip." + z.domain, Addr: "127.0.0.1"})
		zone.SRV = append(zone.SRV, interop.SRVRecord{Name: "_sips._tcp." + z.domain, Target: "sip." + z.domain, Port: port, Priority: 10, Weight: 10})
		zone.NAPTR = append(zone.NAPTR, interop.NAPTRRecord{Name: z.domain, Order: 10, Preference: 10, Flags: "s",
			Service: "SIPS+D2T", Replacement: "_sips._tcp." + z.domain})
	}
	d := interop.StartDnsmasq(t, zone)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	door := func(domain string, k *interop.Kamailio) *doorProc {
		return startDoor(t, fmt.Sprintf(`sip:
  listen: 127.0.0.1:0
  user: door
  accounts:
    - registrar: sips:%s
      user: door
      password: %s
      tls_ca_file: %s
board:
  profile: sim
%s`, domain, interop.Password, k.CA.CertFile, testProvisioning(t.TempDir())))
	}
	pg, pb := door("pbx.test", good), door("bad.test", bad)
	pg.awaitLog(ctx, t, "registered", map[string]string{"component": "door"})
	contacts, err := good.WaitContacts(ctx, "door", 1)
	if err != nil {
		t.Fatalf("Kamailio has no contact for door: %v", err)
	}
	if !strings.Contains(contacts[0], "transport=tls") {
		t.Errorf("registered contact %q, want one over TLS", contacts[0])
	}
	if err := d.Log.WaitFor(ctx, "query[SRV] _sips._tcp.pbx.test"); err != nil {
		t.Errorf("sipbell did not follow the SIPS+D2T NAPTR record: %v", err)
	}
	pb.awaitLog(ctx, t, "registration: the server's TLS certificate is refused", map[string]string{"must_name": "bad.test"})
	if n := bad.Log.Count("IN REGISTER"); n != 0 {
		t.Errorf("bad.test's Kamailio saw %d REGISTERs over a connection whose certificate names only the SRV target", n)
	}
}
