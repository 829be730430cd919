package ua

import (
	"strings"
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/interop"
)

// TestTransferTargetRefersAtOnce: the transfer target (a sipp) sends its
// own REFER right behind the ACK of its 200, while the door still reports
// the first transfer to the resident and ends the resident's dialog. The
// REFER is on the call's new dialog: it gets 202 (not 481 or 491), the
// progress NOTIFYs on that dialog and the BYE, and the call moves on to
// the second target. The target's scenario fails on any other answer.
func TestTransferTargetRefersAtOnce(t *testing.T) {
	t.Parallel()
	next := uas(t, scenario("uas_transfer_target.xml"), map[string]string{"want": "Referred-By: .sip:resident@"})
	to := uas(t, scenario("uas_refer.xml"), map[string]string{"referto": "sip:target2@" + next.Addr, "final": "200 OK"})
	resident := uas(t, scenario("uas_refer.xml"), map[string]string{"referto": "sip:target@" + to.Addr, "final": "200 OK"})
	h := start(t, testConfig(), nil)
	c := callTo(t, h, Hunt, "sip:uas@"+resident.Addr)
	h.wait(t, 5*time.Second, "answered", callIs(CallAnswered))
	h.wait(t, 10*time.Second, "transferred to the second target", func(e Event) bool {
		return e.Transferred && strings.Contains(e.Peer, "target2@"+next.Addr) && e.CallID == c.ID()
	})
	sippDone(t, resident)
	sippDone(t, to) // 202, NOTIFY 100 and 200, BYE
	hangup(t, c)
	sippDone(t, next)
}

// TestTransferTargetActsAtOnce: a transfer target (a sipp) that hangs up
// or puts the call on hold right behind the ACK of its 200, while the
// door still reports the transfer to the resident and ends the
// resident's dialog, gets 200 (not 481) for that BYE or re-INVITE: the
// request waits until the transfer has made its dialog the call's. The
// target's scenario fails on any other answer.
func TestTransferTargetActsAtOnce(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, target string }{
		{"BYE", "uas_target_bye.xml"},
		{"re-INVITE", "uas_target_reinvite.xml"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			to := uas(t, scenario(tc.target), nil)
			resident := uas(t, scenario("uas_refer.xml"), map[string]string{"referto": "sip:target@" + to.Addr, "final": "200 OK"})
			h := start(t, testConfig(), nil)
			c := callTo(t, h, Hunt, "sip:uas@"+resident.Addr)
			h.wait(t, 5*time.Second, "answered", callIs(CallAnswered))
			h.wait(t, 10*time.Second, "transferred", func(e Event) bool { return e.Transferred && e.CallID == c.ID() })
			sippDone(t, resident)
			if tc.target == "uas_target_bye.xml" {
				sippDone(t, to) // its BYE answered 200
				h.wait(t, 10*time.Second, "the call ended by the target's BYE", callIs(CallEnded))
				return
			}
			waitSippSaw(t, to, "CSeq: 2 ACK")
			hangup(t, c)
			sippDone(t, to) // its re-INVITE answered 200, then our BYE
		})
	}
}

// waitSippSaw waits (10 s at most) until s's message trace holds want.
func waitSippSaw(t *testing.T, s *interop.Sipp, want string) {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); !strings.Contains(s.Messages(), want); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("sipp's trace has no %q", want)
		}
	}
}
