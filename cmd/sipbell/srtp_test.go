package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/interop"
)

// Issue 17's SRTP (SDES) at the level of the whole binary: the door has a
// sips: account on Kamailio over TLS with srtp: mandatory; baresip with
// mediaenc=srtp-mand is the other end. Audio is judged both ways as the
// voice tests do, and the door code arrives as RFC 4733 inside SRTP.

// srtpDoorConfig is the door's configuration for an SRTP test through
// Kamailio k: its microphone plays mic, its speaker records speaker.
func srtpDoorConfig(k *interop.Kamailio, mic, speaker, device string) string {
	return fmt.Sprintf(`sip:
  listen: 127.0.0.1:0
  listen_tls: 127.0.0.1:0
  user: door
  accounts:
    - registrar: sips:%s
      user: door
      password: %s
      tls_ca_file: %s
      srtp: mandatory
audio:
  capture: %s
  playback: %s
board:
  profile: sim
device:
%s`, k.TLS, interop.Password, k.CA.CertFile, mic, speaker, device)
}

// srtpVoiceCall waits for an established SRTP call between the door p and
// b, lets both record voiceSeconds, has b send the door code "#" and
// hang up, and judges the audio both ways.
func srtpVoiceCall(ctx context.Context, t *testing.T, p *voiceProc, b *interop.Baresip, speaker string) {
	t.Helper()
	if err := b.WaitEvent(ctx, "CALL_ESTABLISHED"); err != nil {
		t.Fatalf("baresip: %v", err)
	}
	p.await(ctx, t, "call answered", nil, 1)
	established := time.Now()
	enc := p.await(ctx, t, "media encrypted (SRTP)", nil, 1)
	if err := b.Log.WaitFor(ctx, "SRTP is Enabled"); err != nil {
		t.Errorf("baresip never said SRTP is enabled: %v", err)
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
	t.Logf("door: %v; call media %v", enc["suite"], end)
	if enc["suite"] != "AES_CM_128_HMAC_SHA1_80" {
		t.Errorf("suite %v, want baresip's AES_CM_128_HMAC_SHA1_80", enc["suite"])
	}
	judgeVoice(t, "baresip → sipbell (SRTP)", speaker, call)
	judgeVoice(t, "sipbell → baresip (SRTP)", heard, call)
	// The call history (GET /api/history, the web page) says so.
	files, _ := filepath.Glob(filepath.Join(filepath.Dir(filepath.Dir(speaker)), "*", "state", "history", "*"))
	var hist strings.Builder
	for _, f := range files {
		b, _ := os.ReadFile(f)
		hist.Write(b)
	}
	if want := `"detail":"media encrypted (SRTP AES_CM_128_HMAC_SHA1_80)"`; !strings.Contains(hist.String(), want) {
		t.Errorf("history %v lacks %s:\n%s", files, want, hist.String())
	}
}

// srtpNetnsEnv names the namespace TestSRTPDoorCallsBaresip re-runs in.
const srtpNetnsEnv = "SIPBELL_SRTP_NETNS"

// TestSRTPDoorCallsBaresip: the visitor presses the button; the door
// calls alice (srtp-mand) through Kamailio over TLS with RTP/SAVP; audio
// both ways, alice's "#" opens the door. The test runs in a network
// namespace of its own where a packet capture on lo sees the call's
// media: RTP packets, none of which decodes to the test signal.
func TestSRTPDoorCallsBaresip(t *testing.T) {
	if os.Getenv(srtpNetnsEnv) != "" {
		srtpDoorCall(t)
		return
	}
	t.Parallel()
	interop.Need(t, "baresip", "baresip-core")
	rerunInNetns(t, srtpNetnsEnv, "TestSRTPDoorCallsBaresip", 150*time.Second)
}

// srtpDoorCall is TestSRTPDoorCallsBaresip inside its namespace.
func srtpDoorCall(t *testing.T) {
	tap := startUDPTap(t)
	k := interop.StartKamailio(t, interop.KamailioOptions{TLS: true})
	alice := interop.StartBaresip(t, interop.BaresipOptions{User: "alice", Registrar: k.TLS, Transport: "tls",
		CA: k.CA, AutoAnswer: true, MediaEnc: "srtp-mand"})
	alice.SetSource(t, voiceSignal(15))
	dir := t.TempDir()
	mic, speaker := filepath.Join(dir, "mic.wav"), filepath.Join(dir, "speaker.wav")
	interop.WriteWAV(t, mic, voiceSignal(15))
	p := startVoice(t, srtpDoorConfig(k, mic, speaker, `  buttons:
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
	srtpVoiceCall(ctx, t, p, alice, speaker)
	n, audible := audibleRTP(tap.close())
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
	k := interop.StartKamailio(t, interop.KamailioOptions{TLS: true})
	alice := interop.StartBaresip(t, interop.BaresipOptions{User: "alice", Registrar: k.TLS, Transport: "tls",
		CA: k.CA, MediaEnc: "srtp-mand"})
	alice.SetSource(t, voiceSignal(15))
	bob := interop.StartBaresip(t, interop.BaresipOptions{User: "bob", Registrar: k.TLS, Transport: "tls", CA: k.CA})
	dir := t.TempDir()
	mic, speaker := filepath.Join(dir, "mic.wav"), filepath.Join(dir, "speaker.wav")
	interop.WriteWAV(t, mic, voiceSignal(15))
	p := startVoice(t, srtpDoorConfig(k, mic, speaker, `  auto_answer: true
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
	srtpVoiceCall(ctx, t, p, alice, speaker)
}

// TestSRTPOptionalWithBaresip: srtp: optional (RTP/AVP with a=crypto)
// against baresip's best-effort "srtp": the door's call to alice is
// encrypted (both say so), and bob, whose baresip has no SRTP, still
// gets through to the door in clear.
func TestSRTPOptionalWithBaresip(t *testing.T) {
	t.Parallel()
	k := interop.StartKamailio(t, interop.KamailioOptions{TLS: true})
	alice := interop.StartBaresip(t, interop.BaresipOptions{User: "alice", Registrar: k.TLS, Transport: "tls",
		CA: k.CA, AutoAnswer: true, MediaEnc: "srtp"})
	bob := interop.StartBaresip(t, interop.BaresipOptions{User: "bob", Registrar: k.TLS, Transport: "tls", CA: k.CA})
	cfg := strings.Replace(srtpDoorConfig(k, "silence", "discard", `  auto_answer: true
  buttons:
    - targets: [alice]
      ring_timeout: 30s
`), "srtp: mandatory", "srtp: optional", 1)
	p := startVoice(t, cfg, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	p.await(ctx, t, "registered", map[string]string{"component": "door"}, 1)

	p.press(t, 1)
	if err := alice.WaitEvent(ctx, "CALL_ESTABLISHED"); err != nil {
		t.Fatalf("alice: %v", err)
	}
	p.await(ctx, t, "media encrypted (SRTP)", nil, 1)
	if err := alice.Log.WaitFor(ctx, "SRTP is Enabled"); err != nil {
		t.Errorf("alice never said SRTP is enabled: %v", err)
	}
	if _, err := alice.Command(ctx, "hangup", ""); err != nil {
		t.Fatal(err)
	}
	p.await(ctx, t, "call ended", nil, 1)

	if _, err := bob.Command(ctx, "dial", "sip:door@"+k.TLS+";transport=tls"); err != nil {
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
