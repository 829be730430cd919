package main

import (
	"context"
	"encoding/pem"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

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
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	r := startDirectRig(ctx, t, sdesMandatory, true)

	if _, err := r.bob.Command(ctx, "dial", r.door); err != nil {
		t.Fatal(err)
	}
	ev, err := r.bob.WaitEventData(ctx, "CALL_CLOSED")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(fmt.Sprint(ev["param"]), "403") {
		t.Errorf("bob (a certificate no caller names) closed with %q, want 403", ev["param"])
	}

	r.aliceOpens(ctx, t, func() {
		// GET /api/status says so for the call.
		if code, body := r.api.call(t, "GET", "/api/status"); code != http.StatusOK ||
			!strings.Contains(body, `"media":"media encrypted (SRTP AES_CM_128_HMAC_SHA1_80 via SDES)"`) {
			t.Errorf("GET /api/status during the call: %d %s, want the call's media encrypted", code, body)
		}
	})
}
