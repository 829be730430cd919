package ua

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestReferWhileTransferring: a sipp resident sends REFER; while the door
// is still calling that target (held ringing by the test), a second REFER
// on the same dialog gets 491 Request Pending and changes nothing. The
// first transfer then ends normally (its final NOTIFY reports the target's
// 486), and a third REFER is accepted (202) and moves the call.
func TestReferWhileTransferring(t *testing.T) {
	t.Parallel()
	held := uas(t, scenario("uas_held_target.xml"), map[string]string{"code": "486", "reason": "Busy Here"})
	next := uas(t, scenario("uas_transfer_target.xml"), map[string]string{"want": "Referred-By: .sip:resident@"})
	resident := uas(t, scenario("uas_refer_twice.xml"), map[string]string{
		"referto": "sip:target@" + held.Addr, "final": "486 Busy Here", "referto2": "sip:target2@" + next.Addr})
	h := start(t, testConfig(), nil)
	c := callTo(t, h, Hunt, "sip:uas@"+resident.Addr)
	h.wait(t, 5*time.Second, "answered", callIs(CallAnswered))
	waitFor(t, "the second REFER answered 491 while the first transfer rings", func() bool {
		return strings.Contains(resident.Messages(), "SIP/2.0 491 Request Pending")
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := held.Release(ctx); err != nil {
		t.Fatal(err)
	}
	ev := h.wait(t, 10*time.Second, "transferred by the third REFER", func(e Event) bool { return e.Transferred })
	if !strings.Contains(ev.Peer, "target2@"+next.Addr) || ev.CallID != c.ID() {
		t.Errorf("transferred to %s (call %s), want target2 in call %s", ev.Peer, ev.CallID, c.ID())
	}
	sippDone(t, held)
	sippDone(t, resident) // 491, the first final NOTIFY, 202 and the BYE, in that order
	hangup(t, c)
	sippDone(t, next)
	if n := strings.Count(held.Messages(), "INVITE sip:"); n != 1 {
		t.Errorf("the first target got %d INVITEs, want 1 (the 491'd REFER must not call it)", n)
	}
}
