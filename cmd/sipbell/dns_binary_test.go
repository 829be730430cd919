package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/sipbell/sipbell/internal/interop"
)

// dnsNetnsEnv names the network namespace TestDNSRegistrarBinary runs in.
const dnsNetnsEnv = "SIPBELL_DNS_NETNS"

// TestDNSRegistrarBinary: sipbell configured with "registrar: sip:pbx.test"
// and no DNS server of its own, in a network namespace whose resolv.conf
// names a dnsmasq on 127.0.0.1:53, finds Kamailio through DNS on a port
// no A record could tell, registers, trusts Kamailio as its registrar,
// and answers alice's call relayed by it. Over UDP the NAPTR record leads
// to the SRV records; over TCP (configured, so no NAPTR) the first SRV
// target is a port nothing listens on, and the refused connection sends
// the REGISTER on to Kamailio.
func TestDNSRegistrarBinary(t *testing.T) {
	if !inBinaryNetns(t, dnsNetnsEnv, "nameserver 127.0.0.1\n") {
		return
	}
	k := interop.StartKamailio(t, interop.KamailioOptions{Aliases: []string{"pbx.test"}})
	dead := interop.FreePort(t)
	d := interop.StartDnsmasq(t, interop.DnsmasqOptions{Port: 53, Domains: []string{"pbx.test"}, TTL: 60,
		Hosts: []interop.HostRecord{{Name: "sip1.pbx.test", Addr: "127.0.0.1"}},
		SRV: []interop.SRVRecord{
			{Name: "_sip._udp.pbx.test", Target: "sip1.pbx.test", Port: k.Port, Priority: 10, Weight: 10},
			{Name: "_sip._tcp.pbx.test", Target: "sip1.pbx.test", Port: dead, Priority: 10, Weight: 10},
			{Name: "_sip._tcp.pbx.test", Target: "sip1.pbx.test", Port: k.Port, Priority: 20, Weight: 10},
		},
		NAPTR: []interop.NAPTRRecord{{Name: "pbx.test", Order: 10, Preference: 10, Flags: "s", Service: "SIP+D2U",
			Replacement: "_sip._udp.pbx.test"}},
	})
	for _, tc := range []struct {
		transport, user, query string
		failover               bool // the first SRV target is dead
	}{
		{"", "door", "query[NAPTR] pbx.test", false}, // no transport: NAPTR says which SRV name (UDP)
		{"tcp", "bob", "query[SRV] _sip._tcp.pbx.test", true},
	} {
		t.Run("transport="+tc.transport, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			p := startDoor(t, fmt.Sprintf(`sip:
  listen: 127.0.0.1:0
  user: %s
  accounts:
    - registrar: sip:pbx.test%s
      user: %s
      password: %s
board:
  profile: sim
device:
  door:
    allowed: [alice]
%s`, tc.user, transportLine(tc.transport), tc.user, interop.Password, testProvisioning(t.TempDir())))
			if tc.failover {
				p.awaitLog(ctx, t, "registration: trying the next server DNS gave", nil)
			}
			p.awaitLog(ctx, t, "registered", map[string]string{"component": "door"})
			if _, err := k.WaitContacts(ctx, tc.user, 1); err != nil {
				t.Fatalf("Kamailio has no contact for %s: %v", tc.user, err)
			}
			if err := d.Log.WaitFor(ctx, tc.query); err != nil { // the log is read concurrently
				t.Errorf("sipbell did not ask dnsmasq %q: %v", tc.query, err)
			}
			alice := newSIPCaller(t, "127.0.0.1")
			door := sip.Uri{Scheme: "sip", User: tc.user, Host: "pbx.test"}
			from := sip.Uri{Scheme: "sip", User: "alice", Host: "127.0.0.1", Port: k.Port}
			dlg, code := alice.invite(ctx, t, door, from, k.UDP, "alice", interop.Password)
			if dlg == nil {
				t.Fatalf("alice's call to %s through Kamailio: answered %d, want 200", door.String(), code)
			}
			p.awaitLog(ctx, t, "call answered", map[string]string{"incoming": "true"})
			_ = dlg.Bye(ctx)
		})
	}
}

// transportLine is the account's transport key, or nothing for "".
func transportLine(tr string) string {
	if tr == "" {
		return ""
	}
	return "\n      transport: " + tr
}
