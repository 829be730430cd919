package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/interop"
)

// doorEncryption reads device.door.encryption of GET /api/status.
func doorEncryption(t *testing.T, api historyRig) string {
	t.Helper()
	code, body := api.call(t, "GET", "/api/status")
	var st struct {
		Device struct {
			Door map[string]any `json:"door"`
		} `json:"device"`
	}
	if err := json.Unmarshal([]byte(body), &st); code != http.StatusOK || err != nil {
		t.Fatalf("GET /api/status: %d %v %s", code, err, body)
	}
	return fmt.Sprint(st.Device.Door["encryption"])
}

// TestDTLSSRTPDirectCallerStatus: with no PBX, alice's baresip
// (dtls_srtp) calls the door directly over TLS, identified by her client
// certificate; the door (srtp: dtls) answers with DTLS-SRTP. The door's
// own section of GET /api/status says "no call" before and names the
// encryption during the call; her "#" opens the door.
func TestDTLSSRTPDirectCallerStatus(t *testing.T) {
	t.Parallel()
	ca := interop.NewCA(t, "sipbell test CA")
	doorCert, doorKey := ca.Issue(t, "door")
	alice := interop.StartBaresip(t, interop.BaresipOptions{User: "alice", Transport: "tls", CA: ca, MediaEnc: "dtls_srtp"})
	state := filepath.Join(t.TempDir(), "state")
	p := startDoor(t, fmt.Sprintf(`sip:
  listen: 127.0.0.1:0
  listen_tls: 127.0.0.1:0
  user: door
  tls_cert_file: %s
  tls_key_file: %s
  srtp: dtls
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
	api := historyRig{url: strings.TrimSuffix(fmt.Sprint(admin["url"]), "/"), client: &http.Client{Timeout: 15 * time.Second}}
	if got := doorEncryption(t, api); got != "no call" {
		t.Errorf("door encryption before the call %q, want \"no call\"", got)
	}

	if _, err := alice.Command(ctx, "dial", "sip:door@"+tlsAddr+";transport=tls"); err != nil {
		t.Fatal(err)
	}
	if err := alice.WaitEvent(ctx, "CALL_ESTABLISHED"); err != nil {
		t.Fatalf("alice's call not established: %v", err)
	}
	p.awaitLog(ctx, t, "media encrypted (SRTP)", map[string]string{"keys": "DTLS"})
	if err := alice.Log.WaitFor(ctx, "DTLS-SRTP complete"); err != nil {
		t.Errorf("alice: %v", err)
	}
	if got, want := doorEncryption(t, api), "media encrypted (SRTP AES_CM_128_HMAC_SHA1_80 via DTLS)"; got != want {
		t.Errorf("door encryption during the call %q, want %q", got, want)
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
