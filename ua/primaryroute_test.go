package ua

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/interop"
	"github.com/sipbell/sipbell/ua/presence"
)

// TestPrimaryRoute: requests for the account's domain go where the
// registration goes. With the registrar "sip:pbx.test" and the first SRV
// target down, the registration fails over to the second Kamailio and
// PrimaryRoute names that one, not the first DNS gave; a registrar given
// as an address is returned as configured; without an account it fails.
// ServerRoute resolves another server through the same DNS server.
func TestPrimaryRoute(t *testing.T) {
	t.Parallel()
	k2 := interop.StartKamailio(t, interop.KamailioOptions{Aliases: []string{"pbx.test"}})
	dead := interop.FreePort(t)
	d := interop.StartDnsmasq(t, sipZone(dead, k2.Port))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	cfg := testConfig()
	cfg.DNSServer = d.Addr
	cfg.Accounts = []Account{{Registrar: "sip:pbx.test", User: "door", Password: interop.Password, Expires: time.Hour}}
	door := start(t, cfg, func(u *UA) { u.timing.RegTimeout, u.timing.ProbeTimeout = 2*time.Second, time.Second })
	before, _, err := door.PrimaryRoute(ctx)
	if err != nil {
		t.Fatalf("PrimaryRoute before registering: %v", err)
	}
	via2 := fmt.Sprintf("127.0.0.1:%d", k2.Port)
	door.wait(t, 20*time.Second, "registered with the second Kamailio", func(e Event) bool {
		return regIs(Registered)(e) && strings.Contains(e.Reason, via2)
	})
	t.Logf("before registering: %s; registered through %s", before, via2)

	tests := []struct {
		name string
		ua   *UA
		want string
		err  error
	}{
		{"the registration's hop", door.UA, via2, nil},
		{"an address as configured", newUA(t, []Account{{Registrar: "192.0.2.7:5080", User: "door"}}), "192.0.2.7:5080", nil},
		{"no account", newUA(t, nil), "", ErrNoAccount},
	}
	for _, tt := range tests {
		got, tr, err := tt.ua.PrimaryRoute(ctx)
		if got != tt.want || !errors.Is(err, tt.err) || (err == nil && tr != "udp") {
			t.Errorf("%s: PrimaryRoute = %q, %q, %v; want %q, udp, %v", tt.name, got, tr, err, tt.want, tt.err)
		}
	}

	// A server of its own (presence.server) is resolved as registrars
	// are: through sip.dns_server, the first SRV target.
	for _, tt := range []struct{ server, want string }{
		{"sip:pbx.test", fmt.Sprintf("127.0.0.1:%d", dead)},
		{"sip1.pbx.test:5070", "127.0.0.1:5070"},
		{"192.0.2.7", "192.0.2.7:5060"},
	} {
		got, tr, err := door.ServerRoute(ctx, tt.server, "udp")
		if got != tt.want || tr != "udp" || err != nil {
			t.Errorf("ServerRoute(%q) = %q, %v; want %q", tt.server, got, err, tt.want)
		}
	}
}

// TestPrimaryRouteTransportFromDNS: the account names no transport and
// DNS says TCP (NAPTR SIP+D2T before SIP+D2U): the registration goes over
// TCP, and PrimaryRoute (PUBLISH, SUBSCRIBE, MESSAGE) names the same
// server over TCP, before the registration resolved it as after; a
// PUBLISH routed by it reaches Kamailio over TCP.
func TestPrimaryRouteTransportFromDNS(t *testing.T) {
	t.Parallel()
	k := interop.StartKamailio(t, interop.KamailioOptions{Presence: true, Aliases: []string{"pbx.test"}})
	d := interop.StartDnsmasq(t, interop.DnsmasqOptions{Domains: []string{"pbx.test"}, TTL: 60,
		Hosts: []interop.HostRecord{{Name: "sip.pbx.test", Addr: "127.0.0.1"}},
		SRV: []interop.SRVRecord{
			{Name: "_sip._tcp.pbx.test", Target: "sip.pbx.test", Port: k.Port, Priority: 10, Weight: 10},
			{Name: "_sip._udp.pbx.test", Target: "sip.pbx.test", Port: k.Port, Priority: 10, Weight: 10}},
		NAPTR: []interop.NAPTRRecord{
			{Name: "pbx.test", Order: 10, Preference: 10, Flags: "s", Service: "SIP+D2T", Replacement: "_sip._tcp.pbx.test"},
			{Name: "pbx.test", Order: 20, Preference: 10, Flags: "s", Service: "SIP+D2U", Replacement: "_sip._udp.pbx.test"}}})
	cfg := testConfig()
	cfg.DNSServer = d.Addr
	cfg.Accounts = []Account{{Registrar: "sip:pbx.test", User: "door", Password: interop.Password, Expires: time.Hour}}
	door := start(t, cfg, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	want := fmt.Sprintf("127.0.0.1:%d", k.Port)
	check := func(when string) {
		t.Helper()
		got, tr, err := door.PrimaryRoute(ctx)
		if got != want || tr != "tcp" || err != nil {
			t.Errorf("%s: PrimaryRoute = %q, %q, %v; want %q over tcp", when, got, tr, err, want)
		}
	}
	check("before registering")
	door.wait(t, 15*time.Second, "registered", regIs(Registered))
	check("registered")

	primary, _ := door.Primary()
	client, err := door.Client(primary.Transport)
	if err != nil {
		t.Fatal(err)
	}
	s := &presence.SIPSender{Client: client, Clients: door.Client, Entity: primary.AOR, Transport: primary.Transport,
		Route: door.PrimaryRoute, User: primary.AuthUser, Secret: primary.Password}
	body := `<?xml version="1.0" encoding="UTF-8"?>
<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="` + primary.AOR.String() + `"><tuple id="t1"><status><basic>open</basic></status></tuple></presence>`
	res, err := s.Publish(ctx, presence.PublishRequest{Expires: time.Minute, ContentType: "application/pidf+xml", Body: []byte(body)})
	if err != nil || res.Status != 200 {
		t.Fatalf("PUBLISH: %+v, %v", res, err)
	}
	if err := k.Log.WaitFor(ctx, "IN PUBLISH "); err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(k.Log.String(), "\n") {
		if strings.Contains(l, "IN PUBLISH ") && !strings.Contains(l, " tcp ") {
			t.Errorf("PUBLISH reached Kamailio not over TCP: %s", l)
		}
	}
}

// newUA builds, without running it, a UA with accounts.
func newUA(t *testing.T, accounts []Account) *UA {
	t.Helper()
	cfg := testConfig()
	cfg.Accounts = accounts
	u, err := New(cfg, "test", discard())
	if err != nil {
		t.Fatal(err)
	}
	return u
}
