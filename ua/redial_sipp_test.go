package ua

import (
	"strings"
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/interop"
)

// TestBackToBackCallsFromSipp: with sip.max_calls 1 a caller that calls
// again the moment its BYE is answered (sipp -l 1: the next call starts
// when the previous one ends) is answered every time, never 486/480.
func TestBackToBackCallsFromSipp(t *testing.T) {
	t.Parallel()
	const calls = 20
	cfg := testConfig()
	cfg.MaxCalls = 1
	h := start(t, cfg, nil)
	r := runSipp(t, interop.SippOptions{Scenario: "uac_call.xml", Remote: h.Addr().String(),
		Service: "door", Calls: calls, Rate: 1000, Timeout: 60 * time.Second,
		Args: []string{"-l", "1", "-d", "0"}})
	if n := strings.Count(r.Messages, "SIP/2.0 486"); n > 0 {
		t.Errorf("%d of %d back-to-back calls got 486", n, calls)
	}
	answered := map[string]bool{}
	if _, err := h.waitErr(5*time.Second, func(e Event) bool {
		if e.Kind == EventCallState && e.State == CallAnswered {
			answered[e.CallID] = true
		}
		return len(answered) == calls
	}); err != nil {
		t.Errorf("%d of %d back-to-back calls answered\n%s", len(answered), calls, h.events())
	}
}

// TestByeBeforeAckFromSipp: a caller's BYE that reaches the door before
// the ACK of its 200 (sipp sends no ACK at all; under load the two,
// handled on their own goroutines, were seen out of order) is answered
// 200, and the call was answered and ended by the caller, not
// "cancelled by caller" before an answer.
func TestByeBeforeAckFromSipp(t *testing.T) {
	t.Parallel()
	h := start(t, testConfig(), nil)
	r := runSipp(t, interop.SippOptions{Scenario: scenario("uac_bye_before_ack.xml"), Remote: h.Addr().String(),
		Service: "door", Timeout: 20 * time.Second})
	if r.Exit != 0 {
		t.Fatalf("sipp exit %d\n%s\n%s", r.Exit, r.Log, r.Messages)
	}
	h.wait(t, 5*time.Second, "answered", callIs(CallAnswered))
	ev := h.wait(t, 5*time.Second, "ended", callIs(CallEnded))
	if ev.Reason != "BYE from peer" {
		t.Errorf("the call ended %q, want \"BYE from peer\"", ev.Reason)
	}
}
