package ua

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/interop"
)

// sipZone serves pbx.test as an installer would set it up: NAPTR to the
// UDP SRV records, sip1.pbx.test (priority 10) before sip2.pbx.test
// (priority 20), each at its own port.
func sipZone(port1, port2 int) interop.DnsmasqOptions {
	return interop.DnsmasqOptions{Domains: []string{"pbx.test"}, TTL: 60,
		Hosts: []interop.HostRecord{{Name: "sip1.pbx.test", Addr: "127.0.0.1"}, {Name: "sip2.pbx.test", Addr: "127.0.0.1"}},
		SRV: []interop.SRVRecord{
			{Name: "_sip._udp.pbx.test", Target: "sip1.pbx.test", Port: port1, Priority: 10, Weight: 10},
			{Name: "_sip._udp.pbx.test", Target: "sip2.pbx.test", Port: port2, Priority: 20, Weight: 10},
		},
		NAPTR: []interop.NAPTRRecord{
			{Name: "pbx.test", Order: 10, Preference: 10, Flags: "s", Service: "SIP+D2U", Replacement: "_sip._udp.pbx.test"},
		},
	}
}

// TestRegisterThroughDNS: the registrar is "sip:pbx.test"; dnsmasq's
// NAPTR and SRV records name two Kamailios. The first (priority 10) is
// down when the door starts: the REGISTER to it times out and the door
// registers with the second. Once the first is back, the next refresh
// goes to it again (fail back).
func TestRegisterThroughDNS(t *testing.T) {
	t.Parallel()
	k1 := interop.StartKamailio(t, interop.KamailioOptions{Aliases: []string{"pbx.test"}})
	k2 := interop.StartKamailio(t, interop.KamailioOptions{Aliases: []string{"pbx.test"}})
	d := interop.StartDnsmasq(t, sipZone(k1.Port, k2.Port))
	k1.Stop()

	cfg := testConfig()
	cfg.DNSServer = d.Addr
	cfg.Accounts = []Account{{Registrar: "sip:pbx.test", User: "door", Password: interop.Password, Expires: 10 * time.Second}}
	door := start(t, cfg, func(u *UA) { u.timing.RegTimeout, u.timing.ProbeTimeout = 2*time.Second, time.Second })
	via2 := fmt.Sprintf("pbx.test (127.0.0.1:%d)", k2.Port)
	door.wait(t, 20*time.Second, "registered with the second Kamailio", func(e Event) bool {
		return regIs(Registered)(e) && strings.Contains(e.Reason, via2)
	})
	if !strings.Contains(door.logs.String(), "trying the next server DNS gave") {
		t.Errorf("no failover logged")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	if _, err := k2.WaitContacts(ctx, "door", 1); err != nil {
		t.Fatalf("the second Kamailio has no contact for door: %v", err)
	}
	for _, q := range []string{"query[NAPTR] pbx.test", "query[SRV] _sip._udp.pbx.test"} {
		if err := d.Log.WaitFor(ctx, q); err != nil { // the log is read concurrently
			t.Errorf("dnsmasq was not asked %q: %v", q, err)
		}
	}

	k1.Restart(t)
	if _, err := k1.WaitContacts(ctx, "door", 1); err != nil {
		t.Fatalf("no fail back: the first Kamailio got no REGISTER at the refresh: %v", err)
	}
	via1 := fmt.Sprintf("pbx.test (127.0.0.1:%d)", k1.Port)
	door.wait(t, 10*time.Second, "registered with the first Kamailio", func(e Event) bool {
		return regIs(Registered)(e) && strings.Contains(e.Reason, via1)
	})
	// A call to sip:alice@pbx.test goes where the registration is.
	caller := testConfig()
	caller.Accounts = []Account{{Registrar: k1.UDP, User: "alice", Password: interop.Password, Expires: time.Hour}}
	alice := start(t, caller, nil)
	alice.wait(t, 10*time.Second, "alice registered", regIs(Registered))
	if _, err := door.Call(ctx, []string{"sip:alice@pbx.test"}, Hunt); err != nil {
		t.Fatal(err)
	}
	door.wait(t, 15*time.Second, "alice answered the door's call to sip:alice@pbx.test", callIs(CallAnswered))
}

// TestCallThroughDNS: a call to sip:alice@alice.test, whose NAPTR says TCP
// and whose SRV records name first a port nothing listens on, then alice:
// the refused connection sends the INVITE on to the next server, over
// TCP, and alice answers.
func TestCallThroughDNS(t *testing.T) {
	t.Parallel()
	alice := start(t, testConfig(), nil)
	port := alice.Addr().Port
	dead := interop.FreePort(t)
	d := interop.StartDnsmasq(t, interop.DnsmasqOptions{Domains: []string{"alice.test"}, TTL: 60,
		Hosts: []interop.HostRecord{{Name: "sip.alice.test", Addr: "127.0.0.1"}},
		SRV: []interop.SRVRecord{
			{Name: "_sip._tcp.alice.test", Target: "sip.alice.test", Port: dead, Priority: 10, Weight: 10},
			{Name: "_sip._tcp.alice.test", Target: "sip.alice.test", Port: port, Priority: 20, Weight: 10},
		},
		NAPTR: []interop.NAPTRRecord{{Name: "alice.test", Order: 10, Preference: 10, Flags: "s", Service: "SIP+D2T",
			Replacement: "_sip._tcp.alice.test"}},
	})
	cfg := testConfig()
	cfg.DNSServer = d.Addr
	door := start(t, cfg, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := door.Call(ctx, []string{"sip:alice@alice.test"}, Hunt); err != nil {
		t.Fatal(err)
	}
	door.wait(t, 20*time.Second, "alice answered", callIs(CallAnswered))
	logs := door.logs.String()
	if !strings.Contains(logs, "call: trying the next server DNS gave") || !strings.Contains(logs, fmt.Sprintf("tcp 127.0.0.1:%d", dead)) {
		t.Errorf("no failover from the dead TCP server logged")
	}
}

func TestDNSServerConfig(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		server string
		ok     bool
	}{
		{"", true}, {"127.0.0.1", true}, {"127.0.0.1:5353", true}, {"::1", true}, {"[::1]:53", true},
		{"dns.example", false}, {"127.0.0.1:0", false}, {"127.0.0.1:x", false},
	} {
		cfg := testConfig()
		cfg.DNSServer = tc.server
		err := cfg.Validate()
		if (err == nil) != tc.ok || (err != nil && !strings.Contains(err.Error(), "dns_server")) {
			t.Errorf("dns_server %q: Validate() = %v, want ok=%v", tc.server, err, tc.ok)
		}
	}
}

// TestOutboundProxyThroughDNS: the outbound proxy is a name whose SRV
// record points at Kamailio. REGISTER and calls go there; the door admits
// nobody by network (allow_from empty), so the call Kamailio relays to it
// is answered only because the proxy's SRV address is trusted.
func TestOutboundProxyThroughDNS(t *testing.T) {
	t.Parallel()
	k := interop.StartKamailio(t, interop.KamailioOptions{Aliases: []string{"pbx.test"}})
	d := interop.StartDnsmasq(t, interop.DnsmasqOptions{Domains: []string{"proxy.test"}, TTL: 60,
		Hosts: []interop.HostRecord{{Name: "edge.proxy.test", Addr: "127.0.0.1"}},
		SRV:   []interop.SRVRecord{{Name: "_sip._udp.proxy.test", Target: "edge.proxy.test", Port: k.Port, Priority: 1, Weight: 1}},
	})
	cfg := testConfig()
	cfg.AllowFrom = nil
	cfg.DNSServer = d.Addr
	cfg.Accounts = []Account{{Registrar: "pbx.test", OutboundProxy: "proxy.test", User: "door",
		Password: interop.Password, Expires: time.Hour}}
	door := start(t, cfg, nil)
	door.wait(t, 10*time.Second, "registered through the proxy", regIs(Registered))

	caller := testConfig()
	caller.Accounts = []Account{{Registrar: k.UDP, User: "alice", Password: interop.Password, Expires: time.Hour}}
	alice := start(t, caller, nil)
	alice.wait(t, 10*time.Second, "alice registered", regIs(Registered))
	callDoor(t, alice, door, k)

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := door.Call(ctx, []string{"sip:alice@pbx.test"}, Hunt); err != nil {
		t.Fatal(err)
	}
	alice.wait(t, 15*time.Second, "alice answered the door's call through the proxy", func(e Event) bool {
		return callIs(CallAnswered)(e) && e.Incoming
	})
}

// TestRegisterDNSFailoverOn503: the first SRV target (sipp) answers
// REGISTER with 503; the door registers with the second (Kamailio).
func TestRegisterDNSFailoverOn503(t *testing.T) {
	t.Parallel()
	down := interop.StartSipp(t, interop.SippOptions{Scenario: "reg_final.xml",
		Replace: map[string]string{"code": "503", "reason": "Service Unavailable", "hdr": ""}, Timeout: 20 * time.Second})
	k := interop.StartKamailio(t, interop.KamailioOptions{Aliases: []string{"pbx.test"}})
	_, port, err := net.SplitHostPort(down.Addr)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := strconv.Atoi(port)
	d := interop.StartDnsmasq(t, sipZone(p, k.Port))
	cfg := testConfig()
	cfg.DNSServer = d.Addr
	cfg.Accounts = []Account{{Registrar: "sip:pbx.test", User: "door", Password: interop.Password, Expires: time.Hour}}
	door := start(t, cfg, nil)
	ev := door.wait(t, 10*time.Second, "registered with Kamailio", regIs(Registered))
	if !strings.Contains(ev.Reason, fmt.Sprintf("127.0.0.1:%d", k.Port)) {
		t.Errorf("registered %q, want with Kamailio at port %d", ev.Reason, k.Port)
	}
	if door.count(func(e Event) bool { return e.Kind == EventRegistration && e.Code == 503 }) == 0 {
		t.Errorf("no 503 seen from the first target:\n%s", door.events())
	}
	sippDone(t, down)
}

// TestTrustWhenDNSComesBack: DNS does not answer when the door starts, so
// the registrar's address is not known when the trusted addresses are
// first taken. Once dnsmasq answers, the door registers, and a call
// Kamailio relays is admitted (allow_from is empty) because the
// registration's DNS servers are trusted as they are found.
func TestTrustWhenDNSComesBack(t *testing.T) {
	t.Parallel()
	k := interop.StartKamailio(t, interop.KamailioOptions{Aliases: []string{"pbx.test"}})
	dnsPort := interop.FreePort(t)
	cfg := testConfig()
	cfg.AllowFrom = nil
	cfg.DNSServer = fmt.Sprintf("127.0.0.1:%d", dnsPort)
	cfg.Accounts = []Account{{Registrar: "sip:pbx.test", User: "door", Password: interop.Password, Expires: time.Hour}}
	door := start(t, cfg, nil)
	door.wait(t, 10*time.Second, "failed while DNS is down", regIs(RegFailed))
	kam := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(k.Port))
	if door.Trusted(kam) {
		t.Fatalf("Kamailio trusted before DNS named it")
	}
	zone := sipZone(k.Port, k.Port)
	zone.Port = dnsPort
	interop.StartDnsmasq(t, zone)
	door.wait(t, 20*time.Second, "registered once DNS answers", regIs(Registered))

	caller := testConfig()
	caller.Accounts = []Account{{Registrar: k.UDP, User: "alice", Password: interop.Password, Expires: time.Hour}}
	alice := start(t, caller, nil)
	alice.wait(t, 10*time.Second, "alice registered", regIs(Registered))
	callDoor(t, alice, door, k)
}
