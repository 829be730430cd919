package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/sipbell/sipbell/internal/interop"
)

// dnsTransportNetnsEnv names the network namespace
// TestDNSTransportBinary runs in.
const dnsTransportNetnsEnv = "SIPBELL_DNS_TRANSPORT_NETNS"

// TestDNSTransportBinary: sipbell with "registrar: sip:pbx.test" and no
// transport configured, in a network namespace whose resolv.conf names a
// dnsmasq on 127.0.0.1:53 whose NAPTR records put SIP+D2T before
// SIP+D2U, registers over TCP (RFC 3263 §4.1: Kamailio holds a
// transport=tcp contact) and answers alice's call that Kamailio relays to
// it over that connection.
func TestDNSTransportBinary(t *testing.T) {
	if !inBinaryNetns(t, dnsTransportNetnsEnv, "nameserver 127.0.0.1\n") {
		return
	}
	k := interop.StartKamailio(t, interop.KamailioOptions{Aliases: []string{"pbx.test"}})
	d := interop.StartDnsmasq(t, interop.DnsmasqOptions{Port: 53, Domains: []string{"pbx.test"}, TTL: 60,
		Hosts: []interop.HostRecord{{Name: "sip1.pbx.test", Addr: "127.0.0.1"}},
		SRV: []interop.SRVRecord{
			{Name: "_sip._udp.pbx.test", Target: "sip1.pbx.test", Port: k.Port, Priority: 10, Weight: 10},
			{Name: "_sip._tcp.pbx.test", Target: "sip1.pbx.test", Port: k.Port, Priority: 10, Weight: 10},
		},
		NAPTR: []interop.NAPTRRecord{
			{Name: "pbx.test", Order: 10, Preference: 10, Flags: "s", Service: "SIP+D2T", Replacement: "_sip._tcp.pbx.test"},
			{Name: "pbx.test", Order: 10, Preference: 20, Flags: "s", Service: "SIP+D2U", Replacement: "_sip._udp.pbx.test"},
		},
	})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	p := startDoor(t, fmt.Sprintf(`sip:
  listen: 127.0.0.1:0
  user: door
  accounts:
    - registrar: sip:pbx.test
      user: door
      password: %s
board:
  profile: sim
device:
  door:
    allowed: [alice]
%s`, interop.Password, testProvisioning(t.TempDir())))
	p.awaitLog(ctx, t, "registration: DNS chose the transport", map[string]string{"transport": "tcp"})
	p.awaitLog(ctx, t, "registered", map[string]string{"component": "door"})
	contacts, err := k.WaitContacts(ctx, "door", 1)
	if err != nil {
		t.Fatalf("Kamailio has no contact for door: %v", err)
	}
	if !strings.Contains(contacts[0], "transport=tcp") {
		t.Errorf("registered contact %q, want one over TCP", contacts[0])
	}
	if err := d.Log.WaitFor(ctx, "query[SRV] _sip._tcp.pbx.test"); err != nil {
		t.Errorf("sipbell did not follow the SIP+D2T NAPTR record: %v", err)
	}
	alice := newSIPCaller(t, "127.0.0.1")
	door := sip.Uri{Scheme: "sip", User: "door", Host: "pbx.test"}
	from := sip.Uri{Scheme: "sip", User: "alice", Host: "127.0.0.1", Port: k.Port}
	dlg, code := alice.invite(ctx, t, door, from, k.UDP, "alice", interop.Password)
	if dlg == nil {
		t.Fatalf("alice's call to the door through Kamailio: answered %d, want 200", code)
	}
	p.awaitLog(ctx, t, "call answered", map[string]string{"incoming": "true"})
	_ = dlg.Bye(ctx)
}
