package ua

import (
	"strings"
	"testing"
	"time"
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
