package main

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/interop"
)

// The rig of issue 17's whole-binary SRTP tests, SDES (srtp_test.go,
// srtp_tls_caller_test.go) and DTLS-SRTP (dtls_srtp_test.go,
// dtls_status_test.go) alike: baresip over TLS, through Kamailio or
// straight to the door, with the media protected by one srtpPolicy.

// srtpPolicy is how a test's calls protect their media: the door's
// srtp: setting, alice's baresip mediaenc, and what each side says once
// the keys are in place.
type srtpPolicy struct {
	label    string   // names the audio directions judged: "SRTP", "DTLS-SRTP"
	door     string   // the door's srtp: mandatory, optional or dtls
	mediaEnc string   // alice's (and bob's, calling directly) baresip mediaenc
	dtls     bool     // keys from a DTLS handshake on the media ports
	peerSays []string // what baresip logs once its media is encrypted
	history  string   // the call history's detail of an encrypted call
}

// The policies the tests use.
var (
	sdesMandatory = srtpPolicy{label: "SRTP", door: "mandatory", mediaEnc: "srtp-mand",
		peerSays: []string{"SRTP is Enabled"}, history: "media encrypted (SRTP AES_CM_128_HMAC_SHA1_80 via SDES)"}
	sdesOptional = srtpPolicy{label: "SRTP", door: "optional", mediaEnc: "srtp",
		peerSays: []string{"SRTP is Enabled"}, history: "media encrypted (SRTP AES_CM_128_HMAC_SHA1_80 via SDES)"}
	dtlsSRTP = srtpPolicy{label: "DTLS-SRTP", door: "dtls", mediaEnc: "dtls_srtp", dtls: true,
		peerSays: []string{"verified sha-256 fingerprint OK", "DTLS-SRTP complete"}, history: "media encrypted (SRTP AES_CM_128_HMAC_SHA1_80 via DTLS)"}
)

// keys is what the door's "media encrypted (SRTP)" line must carry.
func (pol srtpPolicy) keys() map[string]string {
	if pol.dtls {
		return map[string]string{"keys": "DTLS"}
	}
	return nil
}

// srtpDoorConfig is the door's configuration for an SRTP test through
// Kamailio k under pol: its microphone plays mic, its speaker records
// speaker; device is the lines under device:.
func srtpDoorConfig(k *interop.Kamailio, pol srtpPolicy, mic, speaker, device string) string {
	return fmt.Sprintf(`sip:
  listen: 127.0.0.1:0
  listen_tls: 127.0.0.1:0
  user: door
  accounts:
    - registrar: sips:%s
      user: door
      password: %s
      tls_ca_file: %s
      srtp: %s
audio:
  capture: %s
  playback: %s
board:
  profile: sim
device:
%s`, k.TLS, interop.Password, k.CA.CertFile, pol.door, mic, speaker, device)
}

// srtpRigOptions shapes an srtpRig.
type srtpRigOptions struct {
	aliceAnswers bool   // alice auto-answers (the door calls her)
	bob          bool   // bob, a baresip without SRTP, registers too
	voice        bool   // alice and the door play the test signal, the door's speaker records
	device       string // the door's lines under device:
}

// srtpRig is a door registered on Kamailio over TLS, with alice (baresip
// with the policy's mediaenc) and maybe bob registered there too.
type srtpRig struct {
	pol        srtpPolicy
	k          *interop.Kamailio
	alice, bob *interop.Baresip
	p          *voiceProc
	speaker    string // the door's speaker recording, with opts.voice
}

// startSRTPRig starts the rig and waits until the door registered.
func startSRTPRig(ctx context.Context, t *testing.T, pol srtpPolicy, opts srtpRigOptions) *srtpRig {
	t.Helper()
	r := &srtpRig{pol: pol, k: interop.StartKamailio(t, interop.KamailioOptions{TLS: true})}
	r.alice = interop.StartBaresip(t, interop.BaresipOptions{User: "alice", Registrar: r.k.TLS, Transport: "tls",
		CA: r.k.CA, AutoAnswer: opts.aliceAnswers, MediaEnc: pol.mediaEnc})
	if opts.bob {
		r.bob = interop.StartBaresip(t, interop.BaresipOptions{User: "bob", Registrar: r.k.TLS, Transport: "tls", CA: r.k.CA})
	}
	mic, speaker := "silence", "discard"
	if opts.voice {
		r.alice.SetSource(t, voiceSignal(15))
		dir := t.TempDir()
		mic, speaker = filepath.Join(dir, "mic.wav"), filepath.Join(dir, "speaker.wav")
		interop.WriteWAV(t, mic, voiceSignal(15))
		r.speaker = speaker
	}
	r.p = startVoice(t, srtpDoorConfig(r.k, pol, mic, speaker, opts.device), nil)
	r.p.await(ctx, t, "registered", map[string]string{"component": "door"}, 1)
	return r
}

// doorURI is the door's address of record on Kamailio over TLS.
func (r *srtpRig) doorURI() string { return "sip:door@" + r.k.TLS + ";transport=tls" }

// mediaEncrypted waits until the door says its call's media is encrypted
// under the policy, and b says so too; it returns the door's log line.
func (r *srtpRig) mediaEncrypted(ctx context.Context, t *testing.T, b *interop.Baresip) map[string]any {
	t.Helper()
	enc := r.p.await(ctx, t, "media encrypted (SRTP)", r.pol.keys(), 1)
	for _, want := range r.pol.peerSays {
		if err := b.Log.WaitFor(ctx, want); err != nil {
			t.Errorf("baresip never said %q: %v", want, err)
		}
	}
	return enc
}

// voiceCall waits for an established encrypted call between the door
// and alice, lets both record voiceSeconds, has her send the door code
// "#" and hang up, judges the audio both ways and checks the call
// history. Under DTLS it returns the door's media port, which its
// "media encrypted" line names.
func (r *srtpRig) voiceCall(ctx context.Context, t *testing.T) (doorPort uint16) {
	t.Helper()
	b, p := r.alice, r.p
	if err := b.WaitEvent(ctx, "CALL_ESTABLISHED"); err != nil {
		t.Fatalf("baresip: %v", err)
	}
	p.await(ctx, t, "call answered", nil, 1)
	established := time.Now()
	enc := r.mediaEncrypted(ctx, t, b)
	if r.pol.dtls { // no media before the handshake's end
		established = time.Now()
	}
	waitFileSize(ctx, t, r.speaker, wavBytes(voiceSeconds), "sipbell's speaker")
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
	judgeVoice(t, "baresip → sipbell ("+r.pol.label+")", r.speaker, call)
	judgeVoice(t, "sipbell → baresip ("+r.pol.label+")", heard, call)
	// The call history (GET /api/history, the web page) says so.
	files, _ := filepath.Glob(filepath.Join(filepath.Dir(filepath.Dir(r.speaker)), "*", "state", "history", "*"))
	var hist strings.Builder
	for _, f := range files {
		b, _ := os.ReadFile(f)
		hist.Write(b)
	}
	// An entry's detail ends with it: the answered call's, or for DTLS-SRTP
	// (its suite agreed after the answer) the call's end.
	if want := r.pol.history + `"`; !strings.Contains(hist.String(), want) {
		t.Errorf("history %v lacks %s:\n%s", files, want, hist.String())
	}
	if !r.pol.dtls {
		return 0
	}
	local, err := netip.ParseAddrPort(fmt.Sprint(enc["local"]))
	if err != nil {
		t.Errorf("door's media address %v: %v", enc["local"], err)
	}
	return local.Port()
}

// doorCallsAlice: with a capture on lo, the visitor presses the button,
// the door calls alice (auto-answering) through Kamailio under pol, and
// the voice call runs (voiceCall). It returns the capture's tap, what it
// caught, and the door's media port (DTLS only).
func doorCallsAlice(t *testing.T, pol srtpPolicy) (*udpTap, [][]byte, uint16) {
	t.Helper()
	tap := startUDPTap(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	r := startSRTPRig(ctx, t, pol, srtpRigOptions{aliceAnswers: true, voice: true, device: `  buttons:
    - targets: [alice]
      ring_timeout: 30s
  door:
    code: "#"
    relay_pulse: 500ms
`})
	r.p.press(t, 1)
	doorPort := r.voiceCall(ctx, t)
	return tap, tap.close(), doorPort
}

// baresipCallsDoor: alice calls the door through Kamailio over TLS
// under pol; the door answers encrypted, audio both ways, her "#" opens
// the door. bob, whose baresip offers plain RTP, is refused with 488 Not
// Acceptable Here.
func baresipCallsDoor(t *testing.T, pol srtpPolicy) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	r := startSRTPRig(ctx, t, pol, srtpRigOptions{bob: true, voice: true, device: `  auto_answer: true
  door:
    code: "#"
    relay_pulse: 500ms
    allowed: [alice, bob]
`})
	if _, err := r.bob.Command(ctx, "dial", r.doorURI()); err != nil {
		t.Fatal(err)
	}
	ev, err := r.bob.WaitEventData(ctx, "CALL_CLOSED")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(fmt.Sprint(ev["param"]), "488") {
		t.Errorf("bob's plain call closed with %q, want 488 Not Acceptable Here", ev["param"])
	}
	if _, err := r.alice.Command(ctx, "dial", r.doorURI()); err != nil {
		t.Fatal(err)
	}
	r.voiceCall(ctx, t)
}

// directRig is a door with no PBX that listens on TLS with its own
// certificate and names alice, by her client certificate's fingerprint,
// as its only sip.callers entry; alice (and bob, whose certificate no
// caller names) call it directly, under one srtpPolicy.
type directRig struct {
	pol        srtpPolicy
	alice, bob *interop.Baresip
	p          *doorProc
	door       string     // the door's sip: URI over TLS
	api        historyRig // the door's admin API
}

// startDirectRig starts alice, bob if withBob, and the door, and waits
// for the door's TLS listener and admin page.
func startDirectRig(ctx context.Context, t *testing.T, pol srtpPolicy, withBob bool) *directRig {
	t.Helper()
	ca := interop.NewCA(t, "sipbell test CA")
	doorCert, doorKey := ca.Issue(t, "door")
	r := &directRig{pol: pol}
	r.alice = interop.StartBaresip(t, interop.BaresipOptions{User: "alice", Transport: "tls", CA: ca, MediaEnc: pol.mediaEnc})
	if withBob {
		r.bob = interop.StartBaresip(t, interop.BaresipOptions{User: "bob", Transport: "tls", CA: ca, MediaEnc: pol.mediaEnc})
	}
	state := filepath.Join(t.TempDir(), "state")
	r.p = startDoor(t, fmt.Sprintf(`sip:
  listen: 127.0.0.1:0
  listen_tls: 127.0.0.1:0
  user: door
  tls_cert_file: %s
  tls_key_file: %s
  srtp: %s
  callers:
    - user: alice
      tls_sha256: %q
board:
  profile: sim
device:
  auto_answer: true
  door:
    code: "#"
    relay_pulse: 500ms
    allowed: [alice]
provisioning:
  state_dir: %s
  admin:
    listen: 127.0.0.1:0
    tls: false
    password: %q
`, doorCert, doorKey, pol.door, certFingerprint(t, r.alice.CertFile), state, liveDoorPassword))
	r.door = "sip:door@" + fmt.Sprint(r.p.awaitLog(ctx, t, "sip listening tls", nil)["tls"]) + ";transport=tls"
	admin := r.p.awaitLog(ctx, t, "admin web UI", nil)
	r.api = historyRig{url: strings.TrimSuffix(fmt.Sprint(admin["url"]), "/"), client: &http.Client{Timeout: 15 * time.Second}}
	return r
}

// aliceOpens has alice call the door; once the door says the media is
// encrypted under the policy, during checks what the call shows; then
// her "#" opens the door (as alice) and she hangs up.
func (r *directRig) aliceOpens(ctx context.Context, t *testing.T, during func()) {
	t.Helper()
	if _, err := r.alice.Command(ctx, "dial", r.door); err != nil {
		t.Fatal(err)
	}
	if err := r.alice.WaitEvent(ctx, "CALL_ESTABLISHED"); err != nil {
		t.Fatalf("alice's call not established: %v", err)
	}
	r.p.awaitLog(ctx, t, "media encrypted (SRTP)", r.pol.keys())
	during()
	if _, err := r.alice.Command(ctx, "sndcode", "#"); err != nil {
		t.Fatal(err)
	}
	r.p.awaitLog(ctx, t, "door opened", map[string]string{"who": "alice"})
	if _, err := r.alice.Command(ctx, "hangup", ""); err != nil {
		t.Fatal(err)
	}
	r.p.awaitLog(ctx, t, "call ended", nil)
}
