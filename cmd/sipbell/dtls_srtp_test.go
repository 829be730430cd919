package main

import (
	"testing"

	"github.com/sipbell/sipbell/internal/interop"
)

// Issue 17's DTLS-SRTP (RFC 5763/5764) at the level of the whole binary:
// the door has a sips: account on Kamailio over TLS with srtp: dtls;
// baresip with mediaenc=dtls_srtp is the other end. The keys come from a
// DTLS handshake on the RTP port; audio is judged both ways as the voice
// tests do, and the door code arrives as RFC 4733 inside SRTP (the rig:
// srtp_rig_test.go).

// dtlsNetnsEnv names the namespace TestDTLSSRTPDoorCallsBaresip re-runs in.
const dtlsNetnsEnv = "SIPBELL_DTLS_NETNS"

// TestDTLSSRTPDoorCallsBaresip: the visitor presses the button; the door
// offers DTLS-SRTP (actpass) to alice (dtls_srtp) through Kamailio over
// TLS; she takes the DTLS client role, both check the other's fingerprint;
// audio both ways, her "#" opens the door. In a network namespace of its
// own, a capture on lo finds the call's RTP packets and none decodes to
// the test signal.
func TestDTLSSRTPDoorCallsBaresip(t *testing.T) {
	interop.Need(t, "baresip", "baresip-core") // here: inside the namespace it could only skip
	if inBinaryNetns(t, dtlsNetnsEnv) {
		dtlsDoorCall(t)
	}
}

// dtlsDoorCall is TestDTLSSRTPDoorCallsBaresip inside its namespace.
func dtlsDoorCall(t *testing.T) {
	tap, all, doorPort := doorCallsAlice(t, dtlsSRTP)
	tap.mu.Lock()
	var door, peer [][]byte // sent from the door's RTP port, and from elsewhere
	for i, pl := range all {
		if tap.srcPorts[i] == doorPort {
			door = append(door, pl)
		} else {
			peer = append(peer, pl)
		}
	}
	tap.mu.Unlock()
	n, audible := audibleRTP(door)
	pn, paudible := audibleRTP(peer)
	t.Logf("capture on lo: the door sent %d RTP packets of 20 ms G.711 size, %d decode to the test signal; baresip %d and %d",
		n, audible, pn, paudible)
	if n < 250 || audible != 0 {
		t.Errorf("capture: the door sent %d RTP packets, %d of them plain G.711 of the test signal; want hundreds, none audible", n, audible)
	}
	if pn < 250 || paudible > 5 {
		t.Errorf("capture: baresip sent %d RTP packets, %d in clear; want hundreds, at most its few before its RTP handshake ends", pn, paudible)
	}
}

// TestDTLSSRTPBaresipCallsDoor: alice (dtls_srtp) calls the door through
// Kamailio over TLS; the door answers active (the DTLS client), audio
// both ways, her "#" opens the door. bob's plain offer gets 488.
func TestDTLSSRTPBaresipCallsDoor(t *testing.T) {
	t.Parallel()
	baresipCallsDoor(t, dtlsSRTP)
}
