package main

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"strings"
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
	if got := sendEmptyMWI(ctx, t, addr); got != "SIP/2.0 200 OK" {
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

// sendEmptyMWI sends a message-summary NOTIFY without a body to addr and
// returns the final answer's status line.
func sendEmptyMWI(ctx context.Context, t *testing.T, addr string) string {
	t.Helper()
	conn, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	local := conn.LocalAddr().String()
	msg := fmt.Sprintf("NOTIFY sip:phone@%[1]s SIP/2.0\r\nVia: SIP/2.0/UDP %[2]s;branch=z9hG4bK-mwi-empty;rport\r\n"+
		"Max-Forwards: 70\r\nFrom: <sip:voicemail@127.0.0.1>;tag=mwi\r\nTo: <sip:phone@%[1]s>\r\n"+
		"Call-ID: mwi-empty@127.0.0.1\r\nCSeq: 1 NOTIFY\r\nContact: <sip:voicemail@%[2]s>\r\nEvent: message-summary\r\n"+
		"Subscription-State: active\r\nContent-Length: 0\r\n\r\n", addr, local)
	if _, err := conn.Write([]byte(msg)); err != nil {
		t.Fatal(err)
	}
	dl, _ := ctx.Deadline()
	conn.SetReadDeadline(dl)
	buf := make([]byte, 4096)
	for {
		n, err := conn.Read(buf)
		if err != nil {
			t.Fatalf("no answer to the empty message-summary NOTIFY: %v", err)
		}
		if line, _, _ := strings.Cut(string(buf[:n]), "\r\n"); !strings.HasPrefix(line, "SIP/2.0 1") {
			return line
		}
	}
}
