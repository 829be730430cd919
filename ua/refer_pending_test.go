package ua

import (
	"fmt"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/interop"
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
	release(t, held)
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

var callIDLine = regexp.MustCompile(`(?im)^(?:Call-ID|i): *(\S+)`)

// release sends s (uas_held_target.xml, ringing) the INFO that lets it
// answer, on the Call-ID of the INVITE it holds.
func release(t *testing.T, s *interop.Sipp) {
	t.Helper()
	var id string
	waitFor(t, "the INVITE at the held target", func() bool {
		m := callIDLine.FindStringSubmatch(s.Messages())
		if m != nil {
			id = m[1]
		}
		return m != nil
	})
	c, err := net.Dial("udp", s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	info := fmt.Sprintf("INFO sip:target@%s SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bK-release\r\n"+
		"From: <sip:test@127.0.0.1>;tag=rel\r\nTo: <sip:target@%s>\r\nCall-ID: %s\r\nCSeq: 1 INFO\r\n"+
		"Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n", s.Addr, c.LocalAddr(), s.Addr, id)
	if _, err := c.Write([]byte(info)); err != nil {
		t.Fatalf("releasing the held target: %v", err)
	}
}
