package ua

import (
	"regexp"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/sipbell/sipbell/internal/interop"
)

// TestSeveralCalls: with sip.max_calls 2 two sipp callers are both
// answered and held at once; a third is answered 486 Busy Here.
func TestSeveralCalls(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.MaxCalls = 2
	h := start(t, cfg, nil)
	var callers []*interop.Sipp
	answered := map[string]bool{}
	for i := range 2 {
		callers = append(callers, interop.StartSipp(t, interop.SippOptions{Scenario: "uac_call_wait_bye.xml",
			Remote: h.Addr().String(), Service: "door", Timeout: 20 * time.Second}))
		ev := h.wait(t, 5*time.Second, "call answered", func(e Event) bool {
			return e.Kind == EventCallState && e.State == CallAnswered && !answered[e.CallID]
		})
		answered[ev.CallID] = true
		if n := len(h.Calls()); n != i+1 {
			t.Fatalf("%d calls held after answering %d", n, i+1)
		}
	}
	runSipp(t, interop.SippOptions{Scenario: "uac_expect.xml", Remote: h.Addr().String(), Service: "door",
		Replace: map[string]string{"code": "486", "payloads": pcmu["payloads"], "rtpmap": pcmu["rtpmap"]}})
	for _, c := range h.Calls() {
		if c.State() != CallAnswered {
			t.Errorf("call %s is %s after the third caller, want answered", c.ID(), c.State())
		}
		hangup(t, c)
	}
	for _, s := range callers {
		sippDone(t, s)
	}
}

// TestReinviteGlare: our hold re-INVITE answered 491 Request Pending is
// sent again after the RFC 3261 §14.1 delay, and the hold then succeeds.
func TestReinviteGlare(t *testing.T) {
	t.Parallel()
	s := uas(t, scenario("uas_glare.xml"), nil)
	h := start(t, testConfig(), nil)
	c := callTo(t, h, Hunt, "sip:uas@"+s.Addr)
	h.wait(t, 5*time.Second, "answered", callIs(CallAnswered))
	holdCall(t, c, true)
	hangup(t, c)
	r := sippDone(t, s)
	re := `(?s)INVITE sip:.*a=sendonly.*491 Request Pending.*INVITE sip:.*a=sendonly.*ACK sip:.*BYE sip:`
	if !regexp.MustCompile(re).MatchString(r.Messages) {
		t.Errorf("sipp trace does not match %s\n%s", re, r.Messages)
	}
}

// TestGlareDelay: RFC 3261 §14.1's ranges, by who chose the Call-ID.
func TestGlareDelay(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		owner    bool
		min, max time.Duration
	}{
		{"we placed the call", true, 2100 * time.Millisecond, 4 * time.Second},
		{"the peer placed the call", false, 0, 2 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &call{}
			if tc.owner {
				c.dc = new(sipgo.DialogClientSession)
			}
			for range 200 {
				d := c.glareDelay()
				if d < tc.min || d > tc.max || d%(10*time.Millisecond) != 0 {
					t.Fatalf("delay %v outside %v..%v in 10 ms units", d, tc.min, tc.max)
				}
			}
		})
	}
}
