package ua

import (
	"strings"
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/interop"
	"github.com/sipbell/sipbell/ua/media"
)

// okTo counts the 200 OK answers to method with CSeq number seq in a
// sipp message trace.
func okTo(trace, seq, method string) int {
	n := 0
	for _, m := range strings.Split(trace, "\n---") {
		if i := strings.Index(m, "SIP/2.0 200 OK"); i >= 0 && strings.Contains(m[i:], "CSeq: "+seq+" "+method) {
			n++
		}
	}
	return n
}

// TestReinvite2xxRetransmittedUntilACK: the 2xx to a re-INVITE is sent
// again until its ACK arrives (RFC 3261 §13.3.1.4), so a lost 2xx does
// not end the call or leave the peer re-INVITEing.
func TestReinvite2xxRetransmittedUntilACK(t *testing.T) {
	t.Parallel()
	h := start(t, testConfig(), nil)
	// sipp sits 1.2 s on the first 2xx: one retransmission is due at T1 (0.5 s).
	r := runSipp(t, interop.SippOptions{Scenario: scenario("uac_reinvite_lost_2xx.xml"), Remote: h.Addr().String(),
		Service: "door", Replace: map[string]string{"se": "1800", "wait": "1200"}})
	if ev := h.wait(t, 5*time.Second, "ended", callIs(CallEnded)); ev.Reason != "BYE from peer" {
		t.Errorf("ended with %q, want BYE from peer", ev.Reason)
	}
	if n := okTo(r.Messages, "2", "INVITE"); n < 2 {
		t.Errorf("the re-INVITE's 2xx was sent %d time(s), want it retransmitted before the ACK\n%s", n, r.Messages)
	}
}

// slowStartMedia takes a while to start a call's media, as a loaded Pi
// may: the call is marked answered only after that.
type slowStartMedia struct{ slowCloseMedia }

func (m *slowStartMedia) Start(string, media.Negotiated) error {
	time.Sleep(300 * time.Millisecond) // the simulated slowness, not a synchronisation
	return nil
}
func (m *slowStartMedia) Close(string) {}

// TestReinviteRightAfterACK: a re-INVITE right behind the ACK, while the
// call is still starting its media, is answered, not refused with 481.
func TestReinviteRightAfterACK(t *testing.T) {
	t.Parallel()
	h := start(t, testConfig(), nil, WithMedia(&slowStartMedia{}))
	runSipp(t, interop.SippOptions{Scenario: scenario("uac_reinvite_lost_2xx.xml"), Remote: h.Addr().String(),
		Service: "door", Replace: map[string]string{"se": "1800", "wait": "0"}})
	if ev := h.wait(t, 5*time.Second, "ended", callIs(CallEnded)); ev.Reason != "BYE from peer" {
		t.Errorf("ended with %q, want BYE from peer", ev.Reason)
	}
}
