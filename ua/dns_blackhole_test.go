package ua

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
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

// TestCallPastBlackHole: the door (no account) calls sip:alice@pbx.test;
// DNS names a black hole (a UDP port that takes every INVITE and answers
// none) at priority 10 and Kamailio, where alice is registered, at 20.
// With another server left, the INVITE to the black hole is given up for
// want of any response within nextHopTimeout (not the 32 s transaction
// timeout), and alice answers through Kamailio.
func TestCallPastBlackHole(t *testing.T) {
	t.Parallel()
	hole, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { hole.Close() })
	k := interop.StartKamailio(t, interop.KamailioOptions{Aliases: []string{"pbx.test"}})
	d := interop.StartDnsmasq(t, sipZone(hole.LocalAddr().(*net.UDPAddr).Port, k.Port))
	callee := testConfig()
	callee.Accounts = []Account{{Registrar: k.UDP, User: "alice", Password: interop.Password, Expires: time.Hour}}
	alice := start(t, callee, nil)
	alice.wait(t, 10*time.Second, "alice registered", regIs(Registered))
	cfg := testConfig()
	cfg.DNSServer = d.Addr
	door := start(t, cfg, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := door.Call(ctx, []string{"sip:alice@pbx.test"}, Hunt)
	if err != nil {
		t.Fatal(err)
	}
	// A hang guard: well under the 32 s a black hole cost before.
	alice.wait(t, 25*time.Second, "alice answered past the black hole", func(e Event) bool {
		return callIs(CallAnswered)(e) && e.Incoming
	})
	hangup(t, c)
	want := fmt.Sprintf("udp 127.0.0.1:%d", hole.LocalAddr().(*net.UDPAddr).Port)
	for _, line := range strings.Split(door.logs.String(), "\n") {
		if strings.Contains(line, "trying the next server DNS gave") && strings.Contains(line, want) &&
			strings.Contains(line, "no response within "+nextHopTimeout.String()) {
			return
		}
	}
	t.Errorf("no failover from the black hole %s for want of a response logged:\n%s", want, door.logs)
}

// TestCallRingingPastHopTimeout: the first server DNS gives for
// sip:uas@pbx.test (sipp) answers the INVITE with 180 at once and 200
// only after it rang longer than nextHopTimeout; the second is dead. A
// server that answered anything keeps the INVITE: the call is answered
// by sipp, and no failover is tried.
func TestCallRingingPastHopTimeout(t *testing.T) {
	t.Parallel()
	b, err := interop.Scenarios.ReadFile("sipp/uas_answer.xml")
	if err != nil {
		t.Fatal(err)
	}
	ring := fmt.Sprintf("  <pause milliseconds=\"%d\"/>\n  <send retrans=\"500\">", (nextHopTimeout + 2*time.Second).Milliseconds())
	scen := filepath.Join(t.TempDir(), "uas_ring_long.xml")
	if err := os.WriteFile(scen, []byte(strings.Replace(string(b), "  <send retrans=\"500\">", ring, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	s := interop.StartSipp(t, interop.SippOptions{Scenario: scen, Timeout: 30 * time.Second})
	_, p, _ := net.SplitHostPort(s.Addr)
	port, _ := strconv.Atoi(p)
	d := interop.StartDnsmasq(t, sipZone(port, interop.FreePort(t)))
	cfg := testConfig()
	cfg.DNSServer = d.Addr
	door := start(t, cfg, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := door.Call(ctx, []string{"sip:uas@pbx.test"}, Hunt)
	if err != nil {
		t.Fatal(err)
	}
	door.wait(t, 20*time.Second, "answered by the server that rang", callIs(CallAnswered))
	hangup(t, c)
	if strings.Contains(door.logs.String(), "trying the next server DNS gave") {
		t.Errorf("a ringing server was given up:\n%s", door.logs)
	}
}
