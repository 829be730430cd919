package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"
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
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	r := startDirectRig(ctx, t, dtlsSRTP, false)
	if got := doorEncryption(t, r.api); got != "no call" {
		t.Errorf("door encryption before the call %q, want \"no call\"", got)
	}
	r.aliceOpens(ctx, t, func() {
		if err := r.alice.Log.WaitFor(ctx, "DTLS-SRTP complete"); err != nil {
			t.Errorf("alice: %v", err)
		}
		if got, want := doorEncryption(t, r.api), "media encrypted (SRTP AES_CM_128_HMAC_SHA1_80 via DTLS)"; got != want {
			t.Errorf("door encryption during the call %q, want %q", got, want)
		}
	})
}
