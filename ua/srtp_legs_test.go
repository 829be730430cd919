package ua

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/interop"
)

// The SRTP policy of a call's later legs: a pickup INVITE and a
// transfer's new leg get the policy of their own route (srtp.go), not the
// one the call started with. Here the call starts plain (direct, UDP)
// and the later leg asks for a sips: URI over UDP, which makes SRTP
// mandatory without TLS: it must be refused with 488, where the call's
// own policy would have let it through in clear.

// TestPickupSRTPPolicy: a pickup INVITE to sips:door over UDP is refused
// 488 (the ringing leg was already given up for it, so the call ends
// saying why); fails without the pickup's SetSRTP.
func TestPickupSRTPPolicy(t *testing.T) {
	t.Parallel()
	h := start(t, pickupConfig(true), nil)
	c, d, _ := ringing(t, h)
	repl := replacing(d)
	repl["code"] = "488"
	runSipp(t, interop.SippOptions{Scenario: scenario("uac_pickup_sips.xml"), Remote: h.Addr().String(),
		Service: "door", Replace: repl})
	ev := h.wait(t, 5*time.Second, "ended", callIs(CallEnded))
	if ev.CallID != c.ID() || !strings.Contains(ev.Reason, "SRTP required") {
		t.Errorf("call %s ended: %q, want SRTP required", ev.CallID, ev.Reason)
	}
}

// TestTransferSRTPPolicy: a REFER to a sips: target on a plain call is
// not followed over UDP: the NOTIFY says 488 and the call stays (fails
// without the transfer leg's SetSRTP).
func TestTransferSRTPPolicy(t *testing.T) {
	t.Parallel()
	resident := uas(t, scenario("uas_refer.xml"), map[string]string{
		"referto": fmt.Sprintf("sips:target@127.0.0.1:%d", interop.FreePort(t)), "final": "488 Not Acceptable Here"})
	h := start(t, testConfig(), nil)
	c := callTo(t, h, Hunt, "sip:uas@"+resident.Addr)
	h.wait(t, 5*time.Second, "answered", callIs(CallAnswered))
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(h.logs.String(), "transfer not followed") {
		if time.Now().After(deadline) {
			t.Fatalf("the transfer was not refused:\n%s", h.logs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if c.State() != CallAnswered {
		t.Errorf("after the refused transfer the call is %s, want answered", c.State())
	}
	hangup(t, c)
	sippDone(t, resident)
}
