package main

import (
	"context"
	"encoding/pem"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/interop"
	"github.com/sipbell/sipbell/ua"
)

// certFingerprint is the SHA-256 fingerprint of the first certificate in
// a PEM file, as sip.callers[].tls_sha256 takes it.
func certFingerprint(t *testing.T, file string) string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for {
		var blk *pem.Block
		if blk, b = pem.Decode(b); blk == nil {
			t.Fatalf("no certificate in %s", file)
		}
		if blk.Type == "CERTIFICATE" {
			return ua.Fingerprint(blk.Bytes)
		}
	}
}

// TestSRTPTLSClientCertificateCaller: with no PBX, alice's baresip calls
// the door directly over TLS showing its client certificate, which a
// sip.callers entry names by fingerprint: she is identified by it
// ("verified by certificate"), answered (door.allowed lists only her),
// the media is SRTP (srtp: mandatory) and her "#" opens the door. bob,
// with a certificate of his own, is refused 403. GET /api/status shows
// the call's media encrypted.
func TestSRTPTLSClientCertificateCaller(t *testing.T) {
	t.Parallel()
	ca := interop.NewCA(t, "sipbell test CA")
	doorCert, doorKey := ca.Issue(t, "door")
	alice := interop.StartBaresip(t, interop.BaresipOptions{User: "alice", Transport: "tls", CA: ca, MediaEnc: "srtp-mand"})
	bob := interop.StartBaresip(t, interop.BaresipOptions{User: "bob", Transport: "tls", CA: ca, MediaEnc: "srtp-mand"})
	state := filepath.Join(t.TempDir(), "state")
	p := startDoor(t, fmt.Sprintf(`sip:
  listen: 127.0.0.1:0
  listen_tls: 127.0.0.1:0
  user: door
  tls_cert_file: %s
  tls_key_file: %s
  srtp: mandatory
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
`, doorCert, doorKey, certFingerprint(t, alice.CertFile), state, liveDoorPassword))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	tlsAddr := fmt.Sprint(p.awaitLog(ctx, t, "sip listening tls", nil)["tls"])
	admin := p.awaitLog(ctx, t, "admin web UI", nil)
	door := "sip:door@" + tlsAddr + ";transport=tls"

	if _, err := bob.Command(ctx, "dial", door); err != nil {
		t.Fatal(err)
	}
	ev, err := bob.WaitEventData(ctx, "CALL_CLOSED")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(fmt.Sprint(ev["param"]), "403") {
		t.Errorf("bob (a certificate no caller names) closed with %q, want 403", ev["param"])
	}

	if _, err := alice.Command(ctx, "dial", door); err != nil {
		t.Fatal(err)
	}
	if err := alice.WaitEvent(ctx, "CALL_ESTABLISHED"); err != nil {
		t.Fatalf("alice's call not established: %v", err)
	}
	p.awaitLog(ctx, t, "media encrypted (SRTP)", nil)
	// GET /api/status says so for the call.
	api := historyRig{url: strings.TrimSuffix(fmt.Sprint(admin["url"]), "/"), client: &http.Client{Timeout: 15 * time.Second}}
	if code, body := api.call(t, "GET", "/api/status"); code != http.StatusOK ||
		!strings.Contains(body, `"media":"media encrypted (SRTP AES_CM_128_HMAC_SHA1_80)"`) {
		t.Errorf("GET /api/status during the call: %d %s, want the call's media encrypted", code, body)
	}
	if _, err := alice.Command(ctx, "sndcode", "#"); err != nil {
		t.Fatal(err)
	}
	p.awaitLog(ctx, t, "door opened", map[string]string{"who": "alice"})
	if _, err := alice.Command(ctx, "hangup", ""); err != nil {
		t.Fatal(err)
	}
	p.awaitLog(ctx, t, "call ended", nil)
}
