package main

import (
	"context"
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/interop"
)

// Issue 17's SRTP (SDES) at the level of the whole binary: the door has a
// sips: account on Kamailio over TLS with srtp: mandatory; baresip with
// mediaenc=srtp-mand is the other end. Audio is judged both ways as the
// voice tests do, and the door code arrives as RFC 4733 inside SRTP
// (the rig: srtp_rig_test.go).

// srtpNetnsEnv names the namespace TestSRTPDoorCallsBaresip re-runs in.
const srtpNetnsEnv = "SIPBELL_SRTP_NETNS"

// TestSRTPDoorCallsBaresip: the visitor presses the button; the door
// calls alice (srtp-mand) through Kamailio over TLS with RTP/SAVP; audio
// both ways, alice's "#" opens the door. The test runs in a network
// namespace of its own where a packet capture on lo sees the call's
// media: RTP packets, none of which decodes to the test signal.
func TestSRTPDoorCallsBaresip(t *testing.T) {
	interop.Need(t, "baresip", "baresip-core") // here: inside the namespace it could only skip
	if inBinaryNetns(t, srtpNetnsEnv) {
		srtpDoorCall(t)
	}
}

// srtpDoorCall is TestSRTPDoorCallsBaresip inside its namespace.
func srtpDoorCall(t *testing.T) {
	_, all, _ := doorCallsAlice(t, sdesMandatory)
	n, audible := audibleRTP(all)
	t.Logf("capture on lo: %d RTP packets of 20 ms G.711 size, %d decode to the test signal", n, audible)
	if n < 500 || audible != 0 {
		t.Errorf("capture: %d RTP packets, %d of them plain G.711 of the test signal; want hundreds, none audible", n, audible)
	}
}

// TestSRTPBaresipCallsDoor: alice (srtp-mand) calls the door through
// Kamailio over TLS; the door answers with SRTP, audio both ways, her "#"
// opens the door. bob, whose baresip offers plain RTP, is refused with
// 488 Not Acceptable Here.
func TestSRTPBaresipCallsDoor(t *testing.T) {
	t.Parallel()
	baresipCallsDoor(t, sdesMandatory)
}

// TestSRTPOptionalWithBaresip: srtp: optional (RTP/AVP with a=crypto)
// against baresip's best-effort "srtp": the door's call to alice is
// encrypted (both say so), and bob, whose baresip has no SRTP, still
// gets through to the door in clear.
func TestSRTPOptionalWithBaresip(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	r := startSRTPRig(ctx, t, sdesOptional, srtpRigOptions{aliceAnswers: true, bob: true, device: `  auto_answer: true
  buttons:
    - targets: [alice]
      ring_timeout: 30s
`})
	p, alice, bob := r.p, r.alice, r.bob

	p.press(t, 1)
	if err := alice.WaitEvent(ctx, "CALL_ESTABLISHED"); err != nil {
		t.Fatalf("alice: %v", err)
	}
	r.mediaEncrypted(ctx, t, alice)
	if _, err := alice.Command(ctx, "hangup", ""); err != nil {
		t.Fatal(err)
	}
	p.await(ctx, t, "call ended", nil, 1)

	if _, err := bob.Command(ctx, "dial", r.doorURI()); err != nil {
		t.Fatal(err)
	}
	if err := bob.WaitEvent(ctx, "CALL_ESTABLISHED"); err != nil {
		t.Fatalf("bob's plain call to an optional door: %v", err)
	}
	p.await(ctx, t, "call answered", nil, 2)
	if _, err := bob.Command(ctx, "hangup", ""); err != nil {
		t.Fatal(err)
	}
	p.await(ctx, t, "call ended", nil, 2)
	if n := len(p.matching("media encrypted (SRTP)", nil)); n != 1 {
		t.Errorf("%d calls logged as encrypted, want alice's only", n)
	}
}
