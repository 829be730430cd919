package ua

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/interop"
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
	before, err := door.PrimaryRoute(ctx)
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
		got, err := tt.ua.PrimaryRoute(ctx)
		if got != tt.want || !errors.Is(err, tt.err) {
			t.Errorf("%s: PrimaryRoute = %q, %v; want %q, %v", tt.name, got, err, tt.want, tt.err)
		}
	}

	// A server of its own (presence.server) is resolved as registrars
	// are: through sip.dns_server, the first SRV target.
	for _, tt := range []struct{ server, want string }{
		{"sip:pbx.test", fmt.Sprintf("127.0.0.1:%d", dead)},
		{"sip1.pbx.test:5070", "127.0.0.1:5070"},
		{"192.0.2.7", "192.0.2.7:5060"},
	} {
		got, err := door.ServerRoute(ctx, tt.server, "udp")
		if got != tt.want || err != nil {
			t.Errorf("ServerRoute(%q) = %q, %v; want %q", tt.server, got, err, tt.want)
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
