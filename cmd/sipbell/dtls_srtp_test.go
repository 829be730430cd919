package main

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/interop"
)

// Issue 17's DTLS-SRTP (RFC 5763/5764) at the level of the whole binary:
// the door has a sips: account on Kamailio over TLS with srtp: dtls;
// baresip with mediaenc=dtls_srtp is the other end. The keys come from a
// DTLS handshake on the RTP port; audio is judged both ways as the voice
// tests do, and the door code arrives as RFC 4733 inside SRTP.

// dtlsDoorConfig is srtpDoorConfig with srtp: dtls.
func dtlsDoorConfig(k *interop.Kamailio, mic, speaker, device string) string {
	return strings.Replace(srtpDoorConfig(k, mic, speaker, device), "srtp: mandatory", "srtp: dtls", 1)
}

// dtlsVoiceCall waits for an established DTLS-SRTP call between the door
// p and b, lets both record voiceSeconds, has b send the door code "#"
// and hang up, and judges the audio both ways.
func dtlsVoiceCall(ctx context.Context, t *testing.T, p *voiceProc, b *interop.Baresip, speaker string) (doorPort uint16) {
	t.Helper()
	if err := b.WaitEvent(ctx, "CALL_ESTABLISHED"); err != nil {
		t.Fatalf("baresip: %v", err)
	}
	p.await(ctx, t, "call answered", nil, 1)
	enc := p.await(ctx, t, "media encrypted (SRTP)", map[string]string{"keys": "DTLS"}, 1)
	established := time.Now()
	for _, want := range []string{"verified sha-256 fingerprint OK", "DTLS-SRTP complete"} {
		if err := b.Log.WaitFor(ctx, want); err != nil {
			t.Errorf("baresip never said %q: %v", want, err)
		}
	}
	waitFileSize(ctx, t, speaker, wavBytes(voiceSeconds), "sipbell's speaker")
	heard := waitGlob(ctx, t, filepath.Join(b.RecordDir, "dump-*-dec.wav"))
	waitFileSize(ctx, t, heard, wavBytes(voiceSeconds), "baresip's recording")
	call := time.Since(established)
	if _, err := b.Command(ctx, "sndcode", "#"); err != nil {
		t.Fatal(err)
	}
	p.await(ctx, t, "door opened", nil, 1) // the digit came inside SRTP
	if _, err := b.Command(ctx, "hangup", ""); err != nil {
		t.Fatal(err)
	}
	end := p.await(ctx, t, "call media", nil, 1)
	p.stop(ctx, t)
	t.Logf("door: %v (role %v); call media %v", enc["suite"], enc["role"], end)
	if enc["suite"] != "AES_CM_128_HMAC_SHA1_80" {
		t.Errorf("suite %v, want baresip's AES_CM_128_HMAC_SHA1_80", enc["suite"])
	}
	judgeVoice(t, "baresip → sipbell (DTLS-SRTP)", speaker, call)
	judgeVoice(t, "sipbell → baresip (DTLS-SRTP)", heard, call)
	files, _ := filepath.Glob(filepath.Join(filepath.Dir(filepath.Dir(speaker)), "*", "state", "history", "*"))
	var hist strings.Builder
	for _, f := range files {
		b, _ := os.ReadFile(f)
		hist.Write(b)
	}
	if want := `"detail":"media encrypted (SRTP DTLS)"`; !strings.Contains(hist.String(), want) {
		t.Errorf("history %v lacks %s:\n%s", files, want, hist.String())
	}
	local, err := netip.ParseAddrPort(fmt.Sprint(enc["local"]))
	if err != nil {
		t.Errorf("door's media address %v: %v", enc["local"], err)
	}
	return local.Port()
}

// dtlsNetnsEnv names the namespace TestDTLSSRTPDoorCallsBaresip re-runs in.
const dtlsNetnsEnv = "SIPBELL_DTLS_NETNS"

// TestDTLSSRTPDoorCallsBaresip: the visitor presses the button; the door
// offers DTLS-SRTP (actpass) to alice (dtls_srtp) through Kamailio over
// TLS; she takes the DTLS client role, both check the other's fingerprint;
// audio both ways, her "#" opens the door. In a network namespace of its
// own, a capture on lo finds the call's RTP packets and none decodes to
// the test signal.
func TestDTLSSRTPDoorCallsBaresip(t *testing.T) {
	if os.Getenv(dtlsNetnsEnv) != "" {
		dtlsDoorCall(t)
		return
	}
	t.Parallel()
	interop.Need(t, "baresip", "baresip-core")
	rerunInNetns(t, dtlsNetnsEnv, "TestDTLSSRTPDoorCallsBaresip", 150*time.Second)
}

// dtlsDoorCall is TestDTLSSRTPDoorCallsBaresip inside its namespace.
func dtlsDoorCall(t *testing.T) {
	tap := startUDPTap(t)
	k := interop.StartKamailio(t, interop.KamailioOptions{TLS: true})
	alice := interop.StartBaresip(t, interop.BaresipOptions{User: "alice", Registrar: k.TLS, Transport: "tls",
		CA: k.CA, AutoAnswer: true, MediaEnc: "dtls_srtp"})
	alice.SetSource(t, voiceSignal(15))
	dir := t.TempDir()
	mic, speaker := filepath.Join(dir, "mic.wav"), filepath.Join(dir, "speaker.wav")
	interop.WriteWAV(t, mic, voiceSignal(15))
	p := startVoice(t, dtlsDoorConfig(k, mic, speaker, `  buttons:
    - targets: [alice]
      ring_timeout: 30s
  door:
    code: "#"
    relay_pulse: 500ms
`), nil)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	p.await(ctx, t, "registered", map[string]string{"component": "door"}, 1)
	p.press(t, 1)
	doorPort := dtlsVoiceCall(ctx, t, p, alice, speaker)
	all := tap.close()
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
	k := interop.StartKamailio(t, interop.KamailioOptions{TLS: true})
	alice := interop.StartBaresip(t, interop.BaresipOptions{User: "alice", Registrar: k.TLS, Transport: "tls",
		CA: k.CA, MediaEnc: "dtls_srtp"})
	alice.SetSource(t, voiceSignal(15))
	bob := interop.StartBaresip(t, interop.BaresipOptions{User: "bob", Registrar: k.TLS, Transport: "tls", CA: k.CA})
	dir := t.TempDir()
	mic, speaker := filepath.Join(dir, "mic.wav"), filepath.Join(dir, "speaker.wav")
	interop.WriteWAV(t, mic, voiceSignal(15))
	p := startVoice(t, dtlsDoorConfig(k, mic, speaker, `  auto_answer: true
  door:
    code: "#"
    relay_pulse: 500ms
    allowed: [alice, bob]
`), nil)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	p.await(ctx, t, "registered", map[string]string{"component": "door"}, 1)
	door := "sip:door@" + k.TLS + ";transport=tls"

	if _, err := bob.Command(ctx, "dial", door); err != nil {
		t.Fatal(err)
	}
	ev, err := bob.WaitEventData(ctx, "CALL_CLOSED")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(fmt.Sprint(ev["param"]), "488") {
		t.Errorf("bob's plain call closed with %q, want 488 Not Acceptable Here", ev["param"])
	}

	if _, err := alice.Command(ctx, "dial", door); err != nil {
		t.Fatal(err)
	}
	dtlsVoiceCall(ctx, t, p, alice, speaker)
}
