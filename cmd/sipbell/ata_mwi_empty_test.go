package main

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

// TestATAEmptyMessageSummary: a PBX's first message-summary NOTIFY may
// carry no body (RFC 6665: no state yet); sipbell answers it 200 and the
// phone's voicemail state does not change: the first voicemail line it
// logs is the one the following "Messages-Waiting: yes" gives.
func TestATAEmptyMessageSummary(t *testing.T) {
	t.Parallel()
	ear := filepath.Join(t.TempDir(), "earpiece.wav")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	p := startATA(ctx, t, ataConfig("silence", ear, "    country: US\n",
		"sip:\n  listen: 127.0.0.1:0\n  user: phone\n  allow_from: [127.0.0.1]\n"))
	addr := fmt.Sprint(p.await(ctx, t, "sip listening", nil, 1)["udp"])
	if got := sendSummary(ctx, t, addr, "empty", ""); got != "SIP/2.0 200 OK" {
		t.Fatalf("an empty message-summary NOTIFY answered %q, want 200", got)
	}
	if got := sendMWI(ctx, t, addr, true); got != "SIP/2.0 200 OK" {
		t.Fatalf("message-summary answered %q", got)
	}
	if first := p.await(ctx, t, "voicemail", nil, 1); first["waiting"] != true {
		t.Errorf("the empty NOTIFY changed the voicemail state: first log %v", first)
	}
	p.stop(ctx, t)
}
