package ua

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/interop"
	"github.com/sipbell/sipbell/ua/sipdns"
)

// TestRegisterPastBlackHole: DNS names two servers for "sip:pbx.test";
// the first (priority 10) is a black hole (a UDP port that takes every
// REGISTER and answers none). With another server left, the REGISTER to
// it is given up after nextHopTimeout, not the whole transaction timeout
// (32 s), and the door registers with the second (Kamailio).
func TestRegisterPastBlackHole(t *testing.T) {
	t.Parallel()
	hole, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { hole.Close() })
	k := interop.StartKamailio(t, interop.KamailioOptions{Aliases: []string{"pbx.test"}})
	d := interop.StartDnsmasq(t, sipZone(hole.LocalAddr().(*net.UDPAddr).Port, k.Port))
	cfg := testConfig()
	cfg.DNSServer = d.Addr
	cfg.Accounts = []Account{{Registrar: "sip:pbx.test", User: "door", Password: interop.Password, Expires: time.Hour}}
	door := start(t, cfg, nil)
	// Well under the 32 s a black hole cost before; nextHopTimeout is 4 s.
	ev := door.wait(t, 20*time.Second, "registered with Kamailio past the black hole", regIs(Registered))
	if want := fmt.Sprintf("127.0.0.1:%d", k.Port); !strings.Contains(ev.Reason, want) {
		t.Errorf("registered %q, want with Kamailio at %s", ev.Reason, want)
	}
	if !strings.Contains(door.logs.String(), "trying the next server DNS gave") {
		t.Errorf("no failover from the black hole logged")
	}
}

// TestHopTimeout: the bound of a REGISTER is cut only while DNS gave
// further servers after the one in use.
func TestHopTimeout(t *testing.T) {
	t.Parallel()
	full := 32 * time.Second
	for _, tc := range []struct {
		hops, at int
		want     time.Duration
	}{
		{0, 0, full}, {1, 0, full}, {2, 0, nextHopTimeout}, {2, 1, full}, {3, 1, nextHopTimeout},
	} {
		r := &regLoop{routes: []route{{hops: make([]sipdns.Hop, tc.hops), at: tc.at}}}
		if got := r.hopTimeout(0, full); got != tc.want {
			t.Errorf("%d hops, at %d: %v, want %v", tc.hops, tc.at, got, tc.want)
		}
	}
}
