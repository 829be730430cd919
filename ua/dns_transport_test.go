package ua

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/interop"
)

// TestRegisterTransportFromDNS: the account names no transport and its
// registrar is "sip:pbx.test"; DNS says the server speaks TCP (RFC 3263
// §4.1), by a NAPTR SIP+D2T record ahead of SIP+D2U, or by a _sip._tcp
// SRV record alone. The door registers over TCP (Kamailio holds a
// transport=tcp contact); a call through the registrar reaches alice, and
// alice's call reaches the door.
func TestRegisterTransportFromDNS(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		naptr []interop.NAPTRRecord
	}{
		{"NAPTR prefers SIP+D2T", []interop.NAPTRRecord{
			{Name: "pbx.test", Order: 10, Preference: 10, Flags: "s", Service: "SIP+D2T", Replacement: "_sip._tcp.pbx.test"},
			{Name: "pbx.test", Order: 20, Preference: 10, Flags: "s", Service: "SIP+D2U", Replacement: "_sip._udp.pbx.test"},
		}},
		{"only a _sip._tcp SRV record", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			k := interop.StartKamailio(t, interop.KamailioOptions{Aliases: []string{"pbx.test"}})
			zone := interop.DnsmasqOptions{Domains: []string{"pbx.test"}, TTL: 60,
				Hosts: []interop.HostRecord{{Name: "sip.pbx.test", Addr: "127.0.0.1"}},
				SRV: []interop.SRVRecord{
					{Name: "_sip._tcp.pbx.test", Target: "sip.pbx.test", Port: k.Port, Priority: 10, Weight: 10}},
				NAPTR: tc.naptr}
			if tc.naptr != nil { // UDP is there too, but NAPTR says TCP first
				zone.SRV = append(zone.SRV, interop.SRVRecord{Name: "_sip._udp.pbx.test", Target: "sip.pbx.test",
					Port: k.Port, Priority: 10, Weight: 10})
			}
			d := interop.StartDnsmasq(t, zone)
			cfg := testConfig()
			cfg.DNSServer = d.Addr
			cfg.Accounts = []Account{{Registrar: "sip:pbx.test", User: "door", Password: interop.Password, Expires: time.Hour}}
			door := start(t, cfg, nil)
			door.wait(t, 15*time.Second, "registered", regIs(Registered))
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			contacts, err := k.WaitContacts(ctx, "door", 1)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(contacts[0], "transport=tcp") {
				t.Errorf("registered contact %q, want one over TCP", contacts[0])
			}
			if !strings.Contains(door.logs.String(), "DNS chose the transport") {
				t.Errorf("the transport DNS chose is not logged")
			}

			caller := testConfig()
			caller.Accounts = []Account{{Registrar: k.UDP, User: "alice", Password: interop.Password, Expires: time.Hour}}
			alice := start(t, caller, nil)
			alice.wait(t, 10*time.Second, "alice registered", regIs(Registered))
			c, err := door.Call(ctx, []string{"sip:alice@pbx.test"}, Hunt)
			if err != nil {
				t.Fatal(err)
			}
			alice.wait(t, 15*time.Second, "alice answered the door's call", func(e Event) bool {
				return callIs(CallAnswered)(e) && e.Incoming
			})
			hangup(t, c)
			callDoor(t, alice, door, k) // Kamailio reaches the door over its TCP registration
		})
	}
}
