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

// sendMWI sends the unsolicited message-summary NOTIFY a PBX sends a
// registered phone (Asterisk does so) to addr and returns the answer's
// status line.
func sendMWI(ctx context.Context, t *testing.T, addr string, waiting bool) string {
	t.Helper()
	yes := map[bool]string{true: "yes", false: "no"}[waiting]
	return sendSummary(ctx, t, addr, yes,
		"Messages-Waiting: "+yes+"\r\nMessage-Account: sip:*97@127.0.0.1\r\nVoice-Message: 1/0 (0/0)\r\n")
}

// sendSummary sends a message-summary NOTIFY with body (none when empty,
// as a PBX's first NOTIFY before it has state) to addr, Call-ID and
// branch made from tag, and returns the final answer's status line.
func sendSummary(ctx context.Context, t *testing.T, addr, tag, body string) string {
	t.Helper()
	conn, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctype := ""
	if body != "" {
		ctype = "Content-Type: application/simple-message-summary\r\n"
	}
	local := conn.LocalAddr().String()
	msg := fmt.Sprintf("NOTIFY sip:phone@%[1]s SIP/2.0\r\nVia: SIP/2.0/UDP %[2]s;branch=z9hG4bK-mwi-%[3]s;rport\r\n"+
		"Max-Forwards: 70\r\nFrom: <sip:voicemail@127.0.0.1>;tag=mwi\r\nTo: <sip:phone@%[1]s>\r\n"+
		"Call-ID: mwi-%[3]s@127.0.0.1\r\nCSeq: 1 NOTIFY\r\nContact: <sip:voicemail@%[2]s>\r\nEvent: message-summary\r\n"+
		"Subscription-State: active\r\n%[4]sContent-Length: %[5]d\r\n\r\n%[6]s",
		addr, local, tag, ctype, len(body), body)
	if _, err := conn.Write([]byte(msg)); err != nil {
		t.Fatal(err)
	}
	dl, _ := ctx.Deadline()
	conn.SetReadDeadline(dl)
	buf := make([]byte, 4096)
	for {
		n, err := conn.Read(buf)
		if err != nil {
			t.Fatalf("no answer to the message-summary NOTIFY %s: %v", tag, err)
		}
		if line, _, _ := strings.Cut(string(buf[:n]), "\r\n"); !strings.HasPrefix(line, "SIP/2.0 1") {
			return line
		}
	}
}

// TestATAStutterDialToneWhenVoicemailWaits: the PBX's message-summary
// NOTIFY says a voicemail waits; lifting the handset gives stutter dial
// tone (ten 100 ms interruptions, then steady), measured in the earpiece
// recording. The PBX's "none waits" is taken too.
func TestATAStutterDialToneWhenVoicemailWaits(t *testing.T) {
	t.Parallel()
	ear := filepath.Join(t.TempDir(), "earpiece.wav")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	p := startATA(ctx, t, ataConfig("silence", ear, "    country: US\n",
		"sip:\n  listen: 127.0.0.1:0\n  user: phone\n  allow_from: [127.0.0.1]\n"))
	addr := fmt.Sprint(p.await(ctx, t, "sip listening", nil, 1)["udp"])
	if got := sendMWI(ctx, t, addr, true); got != "SIP/2.0 200 OK" {
		t.Fatalf("message-summary answered %q", got)
	}
	p.await(ctx, t, "voicemail", map[string]string{"waiting": "true"}, 1)
	p.hook(ctx, t, true)
	waitFileSize(ctx, t, ear, 44+2*8000*3, "3 s of earpiece")
	p.hook(ctx, t, false)
	p.await(ctx, t, "on hook", nil, 1)
	if got := sendMWI(ctx, t, addr, false); got != "SIP/2.0 200 OK" {
		t.Fatalf("message-summary answered %q", got)
	}
	p.await(ctx, t, "voicemail", map[string]string{"waiting": "false"}, 1)
	p.stop(ctx, t)

	r := runs(readWAV(t, ear))
	t.Logf("earpiece runs: %v", r)
	if len(r) < 21 || r[20] < 500*time.Millisecond {
		t.Fatalf("earpiece runs %v: want 20 runs of 100 ms, then steady tone", r)
	}
	for i, d := range r[:20] {
		if !near(d, 100*time.Millisecond) {
			t.Errorf("stutter run %d lasted %v, want 100 ms", i, d)
		}
	}
}
