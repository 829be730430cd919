package ua

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/interop"
)

func runSipp(t *testing.T, opts interop.SippOptions) interop.SippResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if opts.Timeout == 0 {
		opts.Timeout = 20 * time.Second
	}
	r := interop.RunSipp(ctx, t, opts)
	if r.Exit != 0 {
		t.Errorf("sipp %s exit %d\n%s\n%s", opts.Scenario, r.Exit, r.Log, r.Messages)
	}
	return r
}

var pcmu = map[string]string{"payloads": "0 101",
	"rtpmap": "a=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000"}

// TestIncomingCallsFromSipp covers the incoming side against sipp UACs.
func TestIncomingCallsFromSipp(t *testing.T) {
	t.Parallel()
	t.Run("auto-answer, caller hangs up", func(t *testing.T) {
		t.Parallel()
		h := start(t, testConfig(), nil)
		r := runSipp(t, interop.SippOptions{Scenario: "uac_call.xml", Remote: h.Addr().String(),
			Service: "door", Args: []string{"-d", "200"}})
		h.wait(t, 5*time.Second, "answered", callIs(CallAnswered))
		ev := h.wait(t, 5*time.Second, "ended", callIs(CallEnded))
		if ev.Reason != "BYE from peer" {
			t.Errorf("ended with %q", ev.Reason)
		}
		for _, want := range []string{"SIP/2.0 100 Trying", "SIP/2.0 180 Ringing", "SIP/2.0 200 OK", "m=audio"} {
			if !strings.Contains(r.Messages, want) {
				t.Errorf("sipp trace lacks %q", want)
			}
		}
	})
	t.Run("auto-answer, sipbell hangs up", func(t *testing.T) {
		t.Parallel()
		h := start(t, testConfig(), nil)
		s := interop.StartSipp(t, interop.SippOptions{Scenario: "uac_call_wait_bye.xml", Remote: h.Addr().String(),
			Service: "door", Timeout: 20 * time.Second})
		ev := h.wait(t, 5*time.Second, "answered", callIs(CallAnswered))
		for _, c := range h.Calls() {
			if c.ID() == ev.CallID {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				if err := c.Hangup(ctx); err != nil {
					t.Error(err)
				}
				cancel()
			}
		}
		sippDone(t, s)
		if ev := h.wait(t, time.Second, "ended", callIs(CallEnded)); ev.Reason != "hung up" {
			t.Errorf("ended with %q", ev.Reason)
		}
	})
	t.Run("CANCEL before answer", func(t *testing.T) {
		t.Parallel()
		cfg := testConfig()
		cfg.AutoAnswerDelay = 30 * time.Second
		h := start(t, cfg, nil)
		runSipp(t, interop.SippOptions{Scenario: "uac_cancel.xml", Remote: h.Addr().String(), Service: "door"})
		ev := h.wait(t, 5*time.Second, "ended", callIs(CallEnded))
		if ev.Code != 487 {
			t.Errorf("ended with %d %q, want 487", ev.Code, ev.Reason)
		}
		if h.count(callIs(CallAnswered)) != 0 {
			t.Error("a cancelled call was answered")
		}
	})
	t.Run("no ACK", func(t *testing.T) {
		t.Parallel()
		h := start(t, testConfig(), func(u *UA) { u.timing.NoAck = 1500 * time.Millisecond })
		runSipp(t, interop.SippOptions{Scenario: "uac_noack.xml", Remote: h.Addr().String(), Service: "door"})
		ev := h.wait(t, 5*time.Second, "ended", callIs(CallEnded))
		if ev.Reason != "no ACK" {
			t.Errorf("ended with %q, want no ACK", ev.Reason)
		}
	})
	t.Run("late offer: offer in 200, answer in ACK", func(t *testing.T) {
		t.Parallel()
		h := start(t, testConfig(), nil)
		s := interop.StartSipp(t, interop.SippOptions{Scenario: "uac_late_offer.xml", Remote: h.Addr().String(),
			Service: "door", Args: []string{"-d", "1000"}, Timeout: 20 * time.Second})
		h.wait(t, 5*time.Second, "answered", callIs(CallAnswered))
		calls := h.Calls()
		if len(calls) != 1 {
			t.Fatalf("%d calls in progress, want 1", len(calls))
		}
		if n, ok := calls[0].Media(); !ok || n.Codec.Name != "PCMU" {
			t.Errorf("late offer negotiated %+v %v", n, ok)
		}
		sippDone(t, s)
		h.wait(t, 5*time.Second, "ended", callIs(CallEnded))
	})
	t.Run("488 no common codec", func(t *testing.T) {
		t.Parallel()
		h := start(t, testConfig(), nil)
		r := runSipp(t, interop.SippOptions{Scenario: "uac_expect.xml", Remote: h.Addr().String(), Service: "door",
			Replace: map[string]string{"code": "488", "payloads": "18 9", "rtpmap": "a=rtpmap:18 G729/8000"}})
		h.wait(t, 5*time.Second, "ended", callIs(CallEnded))
		want := fmt.Sprintf(`Warning: 305 127.0.0.1:%d "Incompatible media format: offered G729, G722; we take PCMU, PCMA"`,
			h.Addr().Port)
		if !strings.Contains(r.Messages, want) {
			t.Errorf("488 lacks %s\n%s", want, r.Messages)
		}
	})
	t.Run("403 unknown caller", func(t *testing.T) {
		t.Parallel()
		cfg := testConfig()
		cfg.AllowFrom = []string{"192.0.2.0/24"}
		h := start(t, cfg, nil)
		runSipp(t, interop.SippOptions{Scenario: "uac_expect.xml", Remote: h.Addr().String(), Service: "door",
			Replace: map[string]string{"code": "403", "payloads": pcmu["payloads"], "rtpmap": pcmu["rtpmap"]}})
		if !strings.Contains(h.logs.String(), "caller not allowed") {
			t.Error("no log line for the refused caller")
		}
		if n := h.count(func(e Event) bool { return e.Kind == EventIncomingCall }); n != 0 {
			t.Errorf("%d incoming call events for a refused caller", n)
		}
	})
	t.Run("486 when busy", func(t *testing.T) {
		t.Parallel()
		cfg := testConfig()
		cfg.MaxCalls = 1
		h := start(t, cfg, nil)
		first := interop.StartSipp(t, interop.SippOptions{Scenario: "uac_call_wait_bye.xml",
			Remote: h.Addr().String(), Service: "door", Timeout: 20 * time.Second})
		ev := h.wait(t, 5*time.Second, "answered", callIs(CallAnswered))
		runSipp(t, interop.SippOptions{Scenario: "uac_expect.xml", Remote: h.Addr().String(), Service: "door",
			Replace: map[string]string{"code": "486", "payloads": pcmu["payloads"], "rtpmap": pcmu["rtpmap"]}})
		for _, c := range h.Calls() {
			if c.ID() == ev.CallID {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				c.Hangup(ctx)
				cancel()
			}
		}
		sippDone(t, first)
	})
}

// TestManualAnswerReject: without auto-answer the device decides.
func TestManualAnswerReject(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.AutoAnswer = false
	h := start(t, cfg, nil)
	find := func(id string) Call {
		for _, c := range h.Calls() {
			if c.ID() == id {
				return c
			}
		}
		t.Fatalf("call %s not found", id)
		return nil
	}
	s := interop.StartSipp(t, interop.SippOptions{Scenario: "uac_call.xml", Remote: h.Addr().String(),
		Service: "door", Args: []string{"-d", "100"}, Timeout: 20 * time.Second})
	in := h.wait(t, 5*time.Second, "incoming", func(e Event) bool { return e.Kind == EventIncomingCall })
	h.wait(t, 5*time.Second, "ringing", callIs(CallRinging))
	if err := find(in.CallID).Answer(context.Background()); err != nil {
		t.Fatal(err)
	}
	sippDone(t, s)
	h.wait(t, 5*time.Second, "ended", callIs(CallEnded))

	s = interop.StartSipp(t, interop.SippOptions{Scenario: "uac_expect.xml", Remote: h.Addr().String(), Service: "door",
		Replace: map[string]string{"code": "603", "payloads": pcmu["payloads"], "rtpmap": pcmu["rtpmap"]}, Timeout: 20 * time.Second})
	in2 := h.wait(t, 5*time.Second, "second incoming", func(e Event) bool {
		return e.Kind == EventIncomingCall && e.CallID != in.CallID
	})
	h.wait(t, 5*time.Second, "ringing", func(e Event) bool { return e.CallID == in2.CallID && e.State == CallRinging })
	if err := find(in2.CallID).Reject(context.Background(), 603); err != nil {
		t.Fatal(err)
	}
	sippDone(t, s)
}
