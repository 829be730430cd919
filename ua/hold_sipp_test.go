package ua

import (
	"context"
	"errors"
	"regexp"
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/interop"
	"github.com/sipbell/sipbell/ua/media"
)

func holdCall(t *testing.T, c Call, hold bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	f := c.Resume
	if hold {
		f = c.Hold
	}
	if err := f(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestHoldAndResume: Call.Hold and Call.Resume re-INVITE the peer with
// the right SDP direction, and our media follows the answer.
func TestHoldAndResume(t *testing.T) {
	t.Parallel()
	t.Run("sendonly, then sendrecv", func(t *testing.T) {
		t.Parallel()
		s := uas(t, scenario("uas_hold.xml"), nil)
		h := start(t, testConfig(), nil)
		c := callTo(t, h, Hunt, "sip:uas@"+s.Addr)
		h.wait(t, 5*time.Second, "answered", callIs(CallAnswered))
		holdCall(t, c, true)
		if n, _ := c.Media(); n.Direction != media.SendOnly {
			t.Errorf("on hold our media is %v, want sendonly", n.Direction)
		}
		holdCall(t, c, false)
		if n, _ := c.Media(); n.Direction != media.SendRecv {
			t.Errorf("resumed, our media is %v, want sendrecv", n.Direction)
		}
		hangup(t, c)
		r := sippDone(t, s)
		re := `(?s)INVITE sip:.*a=sendrecv.*INVITE sip:.*a=sendonly.*ACK sip:.*INVITE sip:.*a=sendrecv.*ACK sip:.*BYE sip:`
		if !regexp.MustCompile(re).MatchString(r.Messages) {
			t.Errorf("sipp trace does not match %s\n%s", re, r.Messages)
		}
	})
	t.Run("held by the peer: inactive", func(t *testing.T) {
		t.Parallel()
		h := start(t, testConfig(), nil)
		s := interop.StartSipp(t, interop.SippOptions{Scenario: scenario("uac_held_then_hold.xml"), Remote: h.Addr().String(),
			Service: "door", Timeout: 20 * time.Second, Replace: map[string]string{"se": "1800"}})
		ans := h.wait(t, 5*time.Second, "answered", callIs(CallAnswered))
		h.wait(t, 5*time.Second, "held by peer", func(e Event) bool { return e.CallID == ans.CallID && e.Held })
		c := h.Calls()[0]
		holdCall(t, c, true)
		if n, _ := c.Media(); n.Direction != media.Inactive {
			t.Errorf("both on hold, our media is %v, want inactive", n.Direction)
		}
		sippDone(t, s) // the scenario checks our offer is a=inactive
		h.wait(t, 5*time.Second, "ended", callIs(CallEnded))
	})
	t.Run("not answered", func(t *testing.T) {
		t.Parallel()
		var c call
		c.state = CallRinging
		if err := c.Hold(context.Background()); !errors.Is(err, ErrNotAnswered) {
			t.Errorf("hold of a ringing call: %v", err)
		}
	})
}
