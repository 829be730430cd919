package ua

import (
	"context"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/interop"
)

// TestRegisterTLSFromDNS: a registrar given as the domain pbx.test over
// TLS is found by DNS (RFC 3263: NAPTR SIPS+D2T for a sips: registrar, or
// the _sips._tcp SRV record for transport tls), which names the host
// sip.pbx.test. Kamailio's certificate (from the account's CA) is checked
// against the SIP domain (RFC 5922 §4.1): one for pbx.test is taken (the
// door registers over TLS and calls alice through it); one only for the
// SRV target sip.pbx.test, or for another name, is refused with a log
// line, and no REGISTER reaches Kamailio; tls_server_name: sip.pbx.test
// takes the SRV target's certificate.
func TestRegisterTLSFromDNS(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		certNames  []string
		naptr      bool   // registrar sips:pbx.test, no transport (else pbx.test, transport tls)
		serverName string // tls_server_name
		ok         bool
	}{
		{"NAPTR SIPS+D2T, certificate for the domain", []string{"pbx.test"}, true, "", true},
		{"_sips._tcp SRV, certificate for the domain", []string{"pbx.test"}, false, "", true},
		{"certificate only for the SRV target host", []string{"sip.pbx.test"}, true, "", false},
		{"certificate for another name", []string{"other.test"}, false, "", false},
		{"tls_server_name names the SRV target", []string{"sip.pbx.test"}, false, "sip.pbx.test", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			k := interop.StartKamailio(t, interop.KamailioOptions{TLS: true, TLSNames: tc.certNames, Aliases: []string{"pbx.test"}})
			_, p, _ := net.SplitHostPort(k.TLS)
			tlsPort, _ := strconv.Atoi(p)
			d := interop.StartDnsmasq(t, interop.DnsmasqOptions{Domains: []string{"pbx.test"}, TTL: 60,
				Hosts: []interop.HostRecord{{Name: "sip.pbx.test", Addr: "127.0.0.1"}},
				SRV: []interop.SRVRecord{
					{Name: "_sips._tcp.pbx.test", Target: "sip.pbx.test", Port: tlsPort, Priority: 10, Weight: 10},
					{Name: "_sip._udp.pbx.test", Target: "sip.pbx.test", Port: k.Port, Priority: 10, Weight: 10}},
				NAPTR: []interop.NAPTRRecord{
					{Name: "pbx.test", Order: 10, Preference: 10, Flags: "s", Service: "SIP+D2U", Replacement: "_sip._udp.pbx.test"},
					{Name: "pbx.test", Order: 20, Preference: 10, Flags: "s", Service: "SIPS+D2T", Replacement: "_sips._tcp.pbx.test"}}})
			cfg := testConfig()
			cfg.DNSServer = d.Addr
			acc := Account{Registrar: "pbx.test", Transport: "tls", User: "door", Password: interop.Password,
				TLSCAFile: k.CA.CertFile, TLSServerName: tc.serverName, Expires: time.Hour}
			if tc.naptr {
				acc.Registrar, acc.Transport = "sips:pbx.test", ""
			}
			cfg.Accounts = []Account{acc}
			door := start(t, cfg, func(u *UA) { u.timing.BackoffBase = time.Hour }, WithStateDir(t.TempDir()))
			if !tc.ok {
				ev := door.wait(t, 15*time.Second, "registration failed", regIs(RegFailed))
				t.Logf("refused: %s", ev.Reason)
				waitLogged(t, door, "TLS certificate is refused")
				if !strings.Contains(door.logs.String(), "must_name=pbx.test") {
					t.Errorf("the log does not say the certificate must name pbx.test:\n%s", door.logs)
				}
				if n := k.Log.Count("IN REGISTER"); n != 0 {
					t.Errorf("Kamailio saw %d REGISTERs over a connection whose certificate was refused", n)
				}
				return
			}
			door.wait(t, 15*time.Second, "registered", regIs(Registered))
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			contacts, err := k.WaitContacts(ctx, "door", 1)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(contacts[0], "transport=tls") {
				t.Errorf("registered contact %q, want one over TLS", contacts[0])
			}
			caller := testConfig()
			caller.Accounts = []Account{{Registrar: k.UDP, User: "alice", Password: interop.Password, Expires: time.Hour}}
			alice := start(t, caller, nil)
			alice.wait(t, 10*time.Second, "alice registered", regIs(Registered))
			c, err := door.Call(ctx, []string{"sip:alice@pbx.test"}, Hunt)
			if err != nil {
				t.Fatal(err)
			}
			alice.wait(t, 15*time.Second, "alice answered the door's call over TLS", func(e Event) bool {
				return callIs(CallAnswered)(e) && e.Incoming
			})
			hangup(t, c)
		})
	}
}
