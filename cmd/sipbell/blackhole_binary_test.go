package main

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/interop"
)

// blackHoleNetnsEnv names the network namespace
// TestRegisterPastBlackHoleBinary runs in.
const blackHoleNetnsEnv = "SIPBELL_BLACK_HOLE_NETNS"

// TestRegisterPastBlackHoleBinary: sipbell with "registrar: sip:pbx.test",
// in a network namespace whose resolv.conf names a dnsmasq on
// 127.0.0.1:53 whose SRV records put a black hole (a UDP port that takes
// every REGISTER and answers none) at priority 10 and Kamailio at 20,
// gives the black hole up and registers with Kamailio. The times from
// start to the failover and to the registration are logged (figures, not
// judged).
func TestRegisterPastBlackHoleBinary(t *testing.T) {
	if !inBinaryNetns(t, blackHoleNetnsEnv, "nameserver 127.0.0.1\n") {
		return
	}
	hole, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { hole.Close() })
	holePort := hole.LocalAddr().(*net.UDPAddr).Port
	k := interop.StartKamailio(t, interop.KamailioOptions{Aliases: []string{"pbx.test"}})
	interop.StartDnsmasq(t, interop.DnsmasqOptions{Port: 53, Domains: []string{"pbx.test"}, TTL: 60,
		Hosts: []interop.HostRecord{{Name: "sip1.pbx.test", Addr: "127.0.0.1"}, {Name: "sip2.pbx.test", Addr: "127.0.0.1"}},
		SRV: []interop.SRVRecord{
			{Name: "_sip._udp.pbx.test", Target: "sip1.pbx.test", Port: holePort, Priority: 10, Weight: 10},
			{Name: "_sip._udp.pbx.test", Target: "sip2.pbx.test", Port: k.Port, Priority: 20, Weight: 10},
		},
		NAPTR: []interop.NAPTRRecord{
			{Name: "pbx.test", Order: 10, Preference: 10, Flags: "s", Service: "SIP+D2U", Replacement: "_sip._udp.pbx.test"},
		},
	})
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
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
%s`, interop.Password, testProvisioning(t.TempDir())))
	started := p.awaitLog(ctx, t, "starting", nil)
	over := p.awaitLog(ctx, t, "registration: trying the next server DNS gave", map[string]string{
		"failed": fmt.Sprintf("pbx.test (127.0.0.1:%d)", holePort)})
	reg := p.awaitLog(ctx, t, "registered", map[string]string{"component": "door"})
	if _, err := k.WaitContacts(ctx, "door", 1); err != nil {
		t.Fatalf("Kamailio has no contact for door: %v", err)
	}
	at := func(m map[string]any) time.Time {
		ts, _ := time.Parse(time.RFC3339Nano, fmt.Sprint(m["time"]))
		return ts
	}
	t.Logf("figures: start → black hole given up %v, → registered with Kamailio %v",
		at(over).Sub(at(started)).Round(time.Millisecond), at(reg).Sub(at(started)).Round(time.Millisecond))
}
