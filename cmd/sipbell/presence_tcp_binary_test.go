package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/interop"
)

// presenceTCPNetnsEnv names the network namespace
// TestPresenceTransportFromDNSBinary runs in.
const presenceTCPNetnsEnv = "SIPBELL_PRESENCE_TCP_NETNS"

// TestPresenceTransportFromDNSBinary: sipbell's account names no
// transport and DNS (sip.dns_server: NAPTR SIP+D2T before SIP+D2U) says
// TCP: it registers over TCP, and its presence PUBLISHes reach Kamailio
// over TCP too (the registration's transport and server), none over UDP.
func TestPresenceTransportFromDNSBinary(t *testing.T) {
	if !inBinaryNetns(t, presenceTCPNetnsEnv) {
		return
	}
	k := interop.StartKamailio(t, interop.KamailioOptions{Presence: true, Aliases: []string{"pbx.test"}})
	d := tcpByDNS(t, k)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	p := startDoor(t, fmt.Sprintf(`sip:
  listen: 127.0.0.1:0
  user: door
  dns_server: %s
  accounts:
    - registrar: sip:pbx.test
      user: door
      password: %s
board:
  profile: sim
presence:
  expires: 2m
%s`, d.Addr, interop.Password, testProvisioning(t.TempDir())))
	p.awaitLog(ctx, t, "registration: DNS chose the transport", map[string]string{"transport": "tcp"})
	p.awaitLog(ctx, t, "registered", map[string]string{"component": "door"})
	if err := k.Log.WaitFor(ctx, "IN PUBLISH "); err != nil {
		t.Fatalf("no PUBLISH reached Kamailio: %v", err)
	}
	for _, l := range strings.Split(k.Log.String(), "\n") {
		if strings.Contains(l, "IN PUBLISH ") && !strings.Contains(l, " tcp ") {
			t.Errorf("a PUBLISH reached Kamailio not over TCP: %s", l)
		}
	}
}

// tcpByDNS starts a dnsmasq that names k as pbx.test's SIP server, TCP
// first (NAPTR SIP+D2T before SIP+D2U), for sip.dns_server.
func tcpByDNS(t *testing.T, k *interop.Kamailio) *interop.Dnsmasq {
	return interop.StartDnsmasq(t, interop.DnsmasqOptions{Domains: []string{"pbx.test"}, TTL: 60,
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
}
