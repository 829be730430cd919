package main

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/interop"
)

// TestPickupDoorCall: a visitor presses call button 1 and the door
// station (the sipbell binary) rings the resident's phone, a sipp that
// rings and never answers. A colleague's phone (a sipp "BLF key", known
// to the door by its address in sip.callers) picks the call up with an
// INVITE whose Replaces names that ringing dialog: the door cancels the
// ringing phone, connects the visitor with the colleague, and the call
// ends when the colleague hangs up.
func TestPickupDoorCall(t *testing.T) {
	t.Parallel()
	ringer := interop.StartSipp(t, interop.SippOptions{Scenario: "uas_ring_cancel.xml", Timeout: 30 * time.Second})
	dir := t.TempDir()
	mic, speaker := filepath.Join(dir, "mic.wav"), filepath.Join(dir, "speaker.wav")
	interop.WriteWAV(t, mic, voiceSignal(5))
	cfg := "sip:\n  listen: 127.0.0.1:0\n  user: door\n  callers:\n    - user: colleague\n      networks: [127.0.0.1]\n" +
		"audio:\n  capture: " + mic + "\n  playback: " + speaker + "\n" +
		fmt.Sprintf("device:\n  buttons:\n    - targets: [\"sip:resident@%s\"]\n", ringer.Addr)
	p := startVoice(t, cfg, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	addr := p.await(ctx, t, "sip listening", nil, 1)["udp"].(string)
	p.await(ctx, t, "door station ready", nil, 1)

	p.press(t, 1)
	p.await(ctx, t, "ringing", nil, 1) // the resident's 180 is in
	callID, doorTag, phoneTag := earlyDialog(t, ringer.Messages())
	picker := interop.StartSipp(t, interop.SippOptions{Scenario: filepath.Join("..", "..", "ua", "testdata", "sipp", "uac_pickup.xml"),
		Remote: addr, Service: "door", Timeout: 20 * time.Second,
		Replace: map[string]string{"callid": callID, "totag": doorTag, "fromtag": phoneTag, "talk_ms": "1000"}})
	answered := p.await(ctx, t, "call answered", nil, 1)
	if peer, _ := answered["peer"].(string); !strings.Contains(peer, "colleague") {
		t.Errorf("the door says it connected %q, want the colleague", peer)
	}
	if r := ringer.Wait(ctx); r.Exit != 0 {
		t.Errorf("the ringing phone was not cancelled: sipp exit %d\n%s", r.Exit, r.Messages)
	}
	if r := picker.Wait(ctx); r.Exit != 0 {
		t.Errorf("the pickup failed: sipp exit %d\n%s", r.Exit, r.Messages)
	}
	p.await(ctx, t, "call ended", nil, 1)
}

// earlyDialog reads the door's ringing dialog from the ringing phone's
// trace: the INVITE's Call-ID and From tag (the door's), the 180's To tag.
func earlyDialog(t *testing.T, trace string) (callID, doorTag, phoneTag string) {
	t.Helper()
	inv := strings.Index(trace, "INVITE sip:")
	ring := strings.Index(trace, "SIP/2.0 180")
	if inv < 0 || ring < 0 {
		t.Fatalf("no INVITE and 180 in the ringing phone's trace:\n%s", trace)
	}
	find := func(re, s string) string {
		m := regexp.MustCompile(re).FindStringSubmatch(s)
		if m == nil {
			t.Fatalf("%s not in\n%s", re, s)
		}
		return m[1]
	}
	callID = find(`(?mi)^\s*Call-ID:\s*(\S+)`, trace[inv:])
	doorTag = find(`(?mi)^\s*From:.*;tag=([^;\s>]+)`, trace[inv:])
	phoneTag = find(`(?mi)^\s*To:.*;tag=([^;\s>]+)`, trace[ring:])
	return callID, doorTag, phoneTag
}
