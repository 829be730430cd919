package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/sipbell/sipbell/internal/interop"
)

// These tests are issue 13 items 1 and 2 and issue 12 item 2 on the real
// binary: who may be answered and who may open the door goes by what
// can be verified (the identity a trusted proxy asserts, a digest
// challenge sipbell sends itself), never by the From header.

// registeredDoor starts sipbell on the simulated board, registered at k
// as door, with extra device.door settings, and waits until it is
// registered. It returns the process and sipbell's own address.
func registeredDoor(ctx context.Context, t *testing.T, k *interop.Kamailio, door string) (*doorProc, string) {
	t.Helper()
	p := startDoor(t, fmt.Sprintf(`sip:
  listen: 127.0.0.1:0
  user: door
  accounts:
    - registrar: %s
      user: door
      password: %s
board:
  profile: sim
device:
  door:
    relay_pulse: 300ms
%s%s`, k.UDP, interop.Password, door, testProvisioning(t.TempDir())))
	addr := p.awaitLog(ctx, t, "sip listening", nil)["udp"].(string)
	p.awaitLog(ctx, t, "registered", map[string]string{"component": "door"})
	return p, addr
}

// relayPulses counts the "door relay on" lines the simulated board printed.
func (p *doorProc) relayPulses() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Count(p.all.String(), "out: door relay on")
}

// TestIdentityForgedFromThroughKamailio: through Kamailio, with
// door.allowed [alice], an INVITE whose From says alice of a foreign
// domain (which Kamailio relays without a challenge), even with a forged
// P-Asserted-Identity, is not answered and so cannot send "#"; the real
// alice, whom Kamailio authenticates and asserts, is answered and her SIP
// INFO "#" pulses the relay, once.
func TestIdentityForgedFromThroughKamailio(t *testing.T) {
	t.Parallel()
	k := interop.StartKamailio(t, interop.KamailioOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	p, _ := registeredDoor(ctx, t, k, "    allowed: [alice]\n")
	door := sip.Uri{Scheme: "sip", User: "door", Host: "127.0.0.1", Port: k.Port}

	forger := newSIPCaller(t, "127.0.0.1")
	evil := sip.Uri{Scheme: "sip", User: "alice", Host: "evil.example"}
	dlg, code := forger.invite(ctx, t, door, evil, k.UDP, "", "",
		sip.NewHeader("P-Asserted-Identity", "<sip:alice@127.0.0.1>"))
	if dlg != nil {
		infoDigit(ctx, t, dlg, "#")
		t.Fatalf("the forged From through Kamailio was answered (%d)", code)
	}
	p.awaitLog(ctx, t, "call from sip:alice@evil.example refused: the caller's identity is not verified "+
		"(the From header proves nothing: list it in sip.callers, or call through the registrar, which asserts it)", nil)
	t.Logf("forged From through Kamailio: answered %d", code)

	alice := newSIPCaller(t, "127.0.0.1")
	real := sip.Uri{Scheme: "sip", User: "alice", Host: "127.0.0.1", Port: k.Port}
	dlg, code = alice.invite(ctx, t, door, real, k.UDP, "alice", interop.Password)
	if dlg == nil {
		t.Fatalf("the real alice through Kamailio: answered %d, want 200", code)
	}
	p.awaitLog(ctx, t, "call answered", map[string]string{"incoming": "true"})
	if c := infoDigit(ctx, t, dlg, "#"); c != 200 {
		t.Fatalf("INFO # answered %d", c)
	}
	p.awaitOut(ctx, t, "door relay on")
	p.awaitLog(ctx, t, "door opened", map[string]string{"who": "sip:alice@127.0.0.1"})
	if n := p.relayPulses(); n != 1 {
		t.Errorf("relay pulsed %d times, want once (alice's #)", n)
	}
}

// TestIdentityWrongPortNotAnswered: an INVITE from the registrar's
// address but another port is not the registrar: refused (403), not
// auto-answered.
func TestIdentityWrongPortNotAnswered(t *testing.T) {
	t.Parallel()
	k := interop.StartKamailio(t, interop.KamailioOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	p, addr := registeredDoor(ctx, t, k, "")
	scanner := newSIPCaller(t, "127.0.0.1") // Kamailio's address, another port
	target := sip.Uri{Scheme: "sip", User: "100", Host: "1.1.1.1"}
	from := sip.Uri{Scheme: "sip", User: "100", Host: "1.1.1.1"}
	if dlg, code := scanner.invite(ctx, t, target, from, addr, "", ""); dlg != nil || code != 403 {
		t.Fatalf("INVITE from %s:%d (registrar %s) answered %d, want 403", scanner.ip, scanner.port, k.UDP, code)
	}
	p.awaitLog(ctx, t, "request refused: caller not allowed", map[string]string{"source": "127.0.0.1"})
}

// TestIdentityNotInDoorAllowedNotAnswered (issue 12 item 2): a caller
// Kamailio authenticated (bob) but not in door.allowed is refused at once
// and never answered: nobody outside the list hears the door's
// microphone, and the log says why.
func TestIdentityNotInDoorAllowedNotAnswered(t *testing.T) {
	t.Parallel()
	k := interop.StartKamailio(t, interop.KamailioOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	p, _ := registeredDoor(ctx, t, k, "    allowed: [alice]\n")
	door := sip.Uri{Scheme: "sip", User: "door", Host: "127.0.0.1", Port: k.Port}
	bob := newSIPCaller(t, "127.0.0.1")
	from := sip.Uri{Scheme: "sip", User: "bob", Host: "127.0.0.1", Port: k.Port}
	if dlg, code := bob.invite(ctx, t, door, from, k.UDP, "bob", interop.Password); dlg != nil {
		t.Fatalf("bob, not in door.allowed, was answered (%d)", code)
	} else {
		t.Logf("bob: answered %d", code)
	}
	p.awaitLog(ctx, t, "call from sip:bob@127.0.0.1:"+fmt.Sprint(k.Port)+
		" refused: caller sip:bob@127.0.0.1 (verified by proxy) is not in door.allowed", nil)
}

// p2pDoor starts sipbell without accounts on the simulated board with the
// given sip and door sections.
func p2pDoor(ctx context.Context, t *testing.T, sipExtra, door string) (*doorProc, sip.Uri, string) {
	t.Helper()
	p := startDoor(t, fmt.Sprintf(`sip:
  listen: 127.0.0.1:0
  user: door
%sboard:
  profile: sim
device:
  door:
    relay_pulse: 300ms
%s%s`, sipExtra, door, testProvisioning(t.TempDir())))
	addr := p.awaitLog(ctx, t, "sip listening", nil)["udp"].(string)
	var uri sip.Uri
	if err := sip.ParseUri("sip:door@"+addr, &uri); err != nil {
		t.Fatal(err)
	}
	return p, uri, addr
}

// TestIdentityP2PForgedFrom: peer to peer, with door.allowed
// sip:alice@home.example and loopback allowed to call, an INVITE from
// another loopback address whose From says alice is not answered.
func TestIdentityP2PForgedFrom(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	p, door, addr := p2pDoor(ctx, t, "  allow_from: [127.0.0.0/8]\n", "    allowed: [\"sip:alice@home.example\"]\n")
	forger := newSIPCaller(t, "127.0.0.2")
	alice := sip.Uri{Scheme: "sip", User: "alice", Host: "home.example"}
	dlg, code := forger.invite(ctx, t, door, alice, addr, "", "")
	if dlg != nil {
		infoDigit(ctx, t, dlg, "#")
		t.Fatalf("a From of alice from 127.0.0.2 was answered (%d)", code)
	}
	t.Logf("P2P forged From: answered %d", code)
	p.awaitLog(ctx, t, "call from sip:alice@home.example refused: the caller's identity is not verified "+
		"(the From header proves nothing: list it in sip.callers, or call through the registrar, which asserts it)", nil)
	if n := p.relayPulses(); n != 0 {
		t.Errorf("relay pulsed %d times", n)
	}
}

// TestIdentityP2PDigest: peer to peer, alice is a sip.callers entry with
// a password and door.allowed [alice], code "12#". A caller claiming
// alice with a wrong password is refused (403, logged); with the right
// one sipbell's own challenge verifies her: answered, a wrong code is
// logged with the reason, "12#" opens the door for "alice".
func TestIdentityP2PDigest(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	p, door, addr := p2pDoor(ctx, t, "  callers:\n    - user: alice\n      password: door-opens-4-alice\n",
		"    allowed: [alice]\n    code: \"12#\"\n")
	from := sip.Uri{Scheme: "sip", User: "alice", Host: "home.example"}

	guesser := newSIPCaller(t, "127.0.0.3")
	if dlg, code := guesser.invite(ctx, t, door, from, addr, "alice", "guess"); dlg != nil || code != 403 {
		t.Fatalf("alice with a wrong password: answered %d, want 403", code)
	}
	p.awaitLog(ctx, t, "request refused: digest authentication failed", map[string]string{"source": "127.0.0.3"})
	nobody := newSIPCaller(t, "127.0.0.3")
	if dlg, code := nobody.invite(ctx, t, door, from, addr, "", ""); dlg != nil || code != 401 {
		t.Fatalf("alice without credentials: answered %d, want 401", code)
	}

	alice := newSIPCaller(t, "127.0.0.2")
	dlg, code := alice.invite(ctx, t, door, from, addr, "alice", "door-opens-4-alice")
	if dlg == nil {
		t.Fatalf("alice with her password: answered %d, want 200", code)
	}
	p.awaitLog(ctx, t, "call answered", map[string]string{"incoming": "true"})
	for _, d := range []string{"9", "#"} {
		infoDigit(ctx, t, dlg, d)
	}
	p.awaitLog(ctx, t, "door not opened: wrong door code", map[string]string{"caller": "alice (verified by digest)"})
	for _, d := range []string{"1", "2", "#"} {
		if c := infoDigit(ctx, t, dlg, d); c != 200 {
			t.Fatalf("INFO %s answered %d", d, c)
		}
	}
	p.awaitOut(ctx, t, "door relay on")
	p.awaitLog(ctx, t, "door opened", map[string]string{"who": "alice"})
	if n := p.relayPulses(); n != 1 {
		t.Errorf("relay pulsed %d times, want 1", n)
	}
}

// TestIdentityP2PMessageOpen: peer to peer, MESSAGE "open" is bound to
// the verified identity as calls are: alice, challenged by sipbell and
// answering with her sip.callers password, opens the door (and is
// logged as alice); mallory, who is no sip.callers user, is refused
// (403) whatever she answers, and the relay moves once.
func TestIdentityP2PMessageOpen(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	p, door, addr := p2pDoor(ctx, t, "  callers:\n    - user: alice\n      password: "+interop.Password+"\n",
		"    allowed: [alice]\n")
	alice := newSIPPeer(t, "alice")
	domain := fmt.Sprintf("127.0.0.1:%d", alice.port) // replies come back here
	if c := alice.message(ctx, t, "alice", domain, door, addr, "open"); c != 200 {
		t.Fatalf("open from alice answered %d, want 200", c)
	}
	p.awaitOut(ctx, t, "door relay on")
	p.awaitLog(ctx, t, "door opened", map[string]string{"who": "alice"})
	if r := alice.nextMessage(ctx, t); r != "Door opened." {
		t.Errorf("reply %q", r)
	}
	mallory := newSIPPeer(t, "mallory")
	if c := mallory.message(ctx, t, "mallory", fmt.Sprintf("127.0.0.1:%d", mallory.port), door, addr, "open"); c != 403 {
		t.Errorf("open from mallory answered %d, want 403", c)
	}
	p.awaitLog(ctx, t, "request refused: digest authentication failed", map[string]string{"from": "mallory"})
	if n := p.relayPulses(); n != 1 {
		t.Errorf("relay pulsed %d times, want 1", n)
	}
}
