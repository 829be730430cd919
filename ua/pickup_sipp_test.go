package ua

import (
	"strings"
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/interop"
)

// pickupConfig knows the sipp "colleague" on 127.0.0.1 by its address
// (a verified identity), or only admits its network (unverified).
func pickupConfig(verified bool) Config {
	cfg := testConfig()
	if verified {
		cfg.AllowFrom = nil
		cfg.Callers = []KnownCaller{{User: "colleague", Networks: []string{"127.0.0.1"}}}
	}
	return cfg
}

// ringing places a call to a sipp phone that rings and never answers,
// and returns the call and its early dialog.
func ringing(t *testing.T, h *harness) (Call, DialogID, *interop.Sipp) {
	t.Helper()
	ringer := uas(t, "uas_ring_cancel.xml", nil)
	c := callTo(t, h, Hunt, "sip:resident@"+ringer.Addr)
	ev := h.wait(t, 5*time.Second, "ringing", callIs(CallRinging))
	if ev.Dialog.CallID == "" || ev.Dialog.LocalTag == "" || ev.Dialog.RemoteTag == "" {
		t.Fatalf("the ringing event names no dialog: %+v", ev.Dialog)
	}
	return c, ev.Dialog, ringer
}

func replacing(d DialogID) map[string]string {
	return map[string]string{"callid": d.CallID, "totag": d.LocalTag, "fromtag": d.RemoteTag, "talk_ms": "500"}
}

// TestPickup: a verified colleague's phone sends INVITE with Replaces
// naming the door's ringing (early) dialog: the ringing leg is cancelled
// and the same call is answered with the colleague, then ends with its
// BYE.
func TestPickup(t *testing.T) {
	t.Parallel()
	h := start(t, pickupConfig(true), nil)
	c, d, ringer := ringing(t, h)
	picker := interop.StartSipp(t, interop.SippOptions{Scenario: scenario("uac_pickup.xml"), Remote: h.Addr().String(),
		Service: "door", Replace: replacing(d), Timeout: 20 * time.Second})
	ev := h.wait(t, 5*time.Second, "picked up", callIs(CallAnswered))
	if ev.CallID != c.ID() || ev.Reason != "picked up" || !strings.Contains(ev.Peer, "colleague") {
		t.Errorf("answered %+v, want call %s picked up by the colleague", ev, c.ID())
	}
	sippDone(t, ringer) // CANCELled
	sippDone(t, picker)
	if ev := h.wait(t, 5*time.Second, "ended", callIs(CallEnded)); ev.Reason != "BYE from peer" {
		t.Errorf("ended with %q", ev.Reason)
	}
}

// TestPickupRefused: a pickup from an unverified caller (403) or naming
// no ringing dialog of ours (481) leaves the call ringing.
func TestPickupRefused(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		verified bool
		mangle   func(*DialogID)
		code     string
	}{
		{"unverified caller", false, func(*DialogID) {}, "403"},
		{"unknown dialog", true, func(d *DialogID) { d.RemoteTag = "someone-else" }, "481"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := start(t, pickupConfig(tc.verified), nil)
			c, d, _ := ringing(t, h)
			tc.mangle(&d)
			repl := replacing(d)
			repl["code"] = tc.code
			runSipp(t, interop.SippOptions{Scenario: scenario("uac_pickup_refused.xml"), Remote: h.Addr().String(),
				Service: "door", Replace: repl})
			if c.State() != CallRinging {
				t.Errorf("after a refused pickup the call is %s, want ringing", c.State())
			}
			hangup(t, c)
		})
	}
}

// TestParseReplaces: RFC 3891 §6.1's header, and what is refused.
func TestParseReplaces(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want replaces
		ok   bool
	}{
		{"98732@sip.example.com;from-tag=r33th4x0r;to-tag=ff87ff;early-only",
			replaces{callID: "98732@sip.example.com", toTag: "ff87ff", fromTag: "r33th4x0r", earlyOnly: true}, true},
		{"abc ; to-tag=1 ; from-tag=2", replaces{callID: "abc", toTag: "1", fromTag: "2"}, true},
		{"abc;to-tag=1", replaces{}, false},
		{";to-tag=1;from-tag=2", replaces{}, false},
	} {
		got, err := parseReplaces(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("parseReplaces(%q) = %+v, %v", tc.in, got, err)
		}
	}
}
