package ua

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/interop"
)

// scenario is a sipp scenario of this package's testdata.
func scenario(name string) string { return filepath.Join("testdata", "sipp", name) }

// shortTimers lets a test use session intervals of seconds: RFC 4028's
// 90 s minimum would make every test minutes long.
func shortTimers(se, min time.Duration) func(*UA) {
	return func(u *UA) { u.cfg.SessionExpires, u.cfg.MinSE = se, min }
}

// TestSessionTimerAsUAS: callers that ask for a session timer (RFC 4028).
func TestSessionTimerAsUAS(t *testing.T) {
	t.Parallel()
	t.Run("peer stops refreshing: BYE before the interval runs out", func(t *testing.T) {
		t.Parallel()
		h := start(t, testConfig(), shortTimers(time.Minute, time.Second))
		s := interop.StartSipp(t, interop.SippOptions{Scenario: scenario("uac_timer_silent.xml"), Remote: h.Addr().String(),
			Service: "door", Timeout: 20 * time.Second, Replace: map[string]string{"se": "3"}})
		ans := h.wait(t, 5*time.Second, "answered", callIs(CallAnswered))
		ev := h.wait(t, 10*time.Second, "ended", callIs(CallEnded))
		if ev.CallID != ans.CallID || ev.Reason != "session timer expired" {
			t.Errorf("ended with %q, want session timer expired", ev.Reason)
		}
		// RFC 4028 §10: BYE at the interval less min(32 s, interval/3) = 2 s, not before.
		if d := ev.Time.Sub(ans.Time); d < 2*time.Second {
			t.Errorf("BYE %v after the answer, before the 2 s the peer had to refresh", d)
		}
		r := sippDone(t, s)
		for _, want := range []string{"Session-Expires: 3;refresher=uac", "Require: timer", "Supported: timer"} {
			if !strings.Contains(r.Messages, want) {
				t.Errorf("sipp trace lacks %q", want)
			}
		}
	})
	t.Run("peer refreshes by UPDATE and re-INVITE: the call survives", func(t *testing.T) {
		t.Parallel()
		h := start(t, testConfig(), shortTimers(time.Minute, time.Second))
		// Four refreshes 1 s apart, 4 s after the answer: twice the 2 s watch.
		s := interop.StartSipp(t, interop.SippOptions{Scenario: scenario("uac_timer_refresh.xml"), Remote: h.Addr().String(),
			Service: "door", Timeout: 20 * time.Second, Replace: map[string]string{"se": "3", "gap": "1000"}})
		h.wait(t, 5*time.Second, "answered", callIs(CallAnswered))
		ev := h.wait(t, 10*time.Second, "ended", callIs(CallEnded))
		if ev.Reason != "BYE from peer" {
			t.Errorf("ended with %q, want BYE from peer", ev.Reason)
		}
		r := sippDone(t, s)
		if n := strings.Count(r.Messages, "Session-Expires: 3;refresher=uac"); n < 4 {
			t.Errorf("%d answers carried the session timer, want 4 (INVITE, 2 UPDATE, re-INVITE)\n%s", n, r.Messages)
		}
	})
	t.Run("interval below our minimum: 422 with Min-SE", func(t *testing.T) {
		t.Parallel()
		h := start(t, testConfig(), nil)
		r := runSipp(t, interop.SippOptions{Scenario: scenario("uac_timer_small.xml"), Remote: h.Addr().String(),
			Service: "door", Replace: map[string]string{"se": "60"}})
		if !strings.Contains(r.Messages, "Min-SE: 90") {
			t.Errorf("422 lacks Min-SE: 90\n%s", r.Messages)
		}
		if ev := h.wait(t, 5*time.Second, "ended", callIs(CallEnded)); ev.Code != 422 {
			t.Errorf("ended with %d %q", ev.Code, ev.Reason)
		}
	})
}

// TestSessionTimerAsUAC: our calls offer a session timer and refresh it.
func TestSessionTimerAsUAC(t *testing.T) {
	t.Parallel()
	t.Run("422 retried with the peer's Min-SE, refreshed by UPDATE", func(t *testing.T) {
		t.Parallel()
		s := uas(t, scenario("uas_timer_422.xml"), map[string]string{"min": "2"})
		h := start(t, testConfig(), shortTimers(time.Second, time.Second))
		callTo(t, h, Hunt, "sip:uas@"+s.Addr)
		h.wait(t, 5*time.Second, "answered", callIs(CallAnswered))
		if ev := h.wait(t, 10*time.Second, "ended", callIs(CallEnded)); ev.Reason != "BYE from peer" {
			t.Errorf("ended with %q", ev.Reason)
		}
		r := sippDone(t, s)
		for _, re := range []string{`(?s)INVITE sip:.*Session-Expires: 1\r?\n.*Min-SE: 1\r?\n.*422 Session Interval`,
			`(?s)422 Session Interval.*INVITE sip:.*Session-Expires: 2\r?\n.*Min-SE: 2\r?\n`,
			`(?s)UPDATE sip:.*Session-Expires: 2;refresher=uac`} {
			if !regexp.MustCompile(re).MatchString(r.Messages) {
				t.Errorf("sipp trace does not match %s\n%s", re, r.Messages)
			}
		}
	})
	t.Run("peer without UPDATE: refreshed by re-INVITE", func(t *testing.T) {
		t.Parallel()
		s := uas(t, scenario("uas_timer_reinvite.xml"), map[string]string{"se": "2"})
		h := start(t, testConfig(), shortTimers(2*time.Second, time.Second))
		c := callTo(t, h, Hunt, "sip:uas@"+s.Addr)
		h.wait(t, 5*time.Second, "answered", callIs(CallAnswered))
		if ev := h.wait(t, 10*time.Second, "ended", callIs(CallEnded)); ev.Reason != "BYE from peer" {
			t.Errorf("ended with %q", ev.Reason)
		}
		r := sippDone(t, s)
		if !regexp.MustCompile(`(?s)INVITE sip:.*INVITE sip:.*Session-Expires: 2;refresher=uac.*m=audio`).MatchString(r.Messages) {
			t.Errorf("no re-INVITE refresh with SDP\n%s", r.Messages)
		}
		if n, ok := c.Media(); !ok || n.Codec.Name != "PCMU" {
			t.Errorf("media after the refresh %+v %v", n, ok)
		}
	})
}

// TestUpdateWithSDP: an UPDATE carrying an offer (RFC 3311) is answered
// with SDP and the peer's hold is published like a re-INVITE's.
func TestUpdateWithSDP(t *testing.T) {
	t.Parallel()
	h := start(t, testConfig(), nil)
	s := interop.StartSipp(t, interop.SippOptions{Scenario: scenario("uac_update_sdp.xml"), Remote: h.Addr().String(),
		Service: "door", Timeout: 20 * time.Second, Replace: map[string]string{"se": "1800"}})
	ans := h.wait(t, 5*time.Second, "answered", callIs(CallAnswered))
	h.wait(t, 5*time.Second, "held by peer", func(e Event) bool { return e.CallID == ans.CallID && e.Held })
	sippDone(t, s) // the scenario checks the answer is a=recvonly
	h.wait(t, 5*time.Second, "ended", callIs(CallEnded))
}
