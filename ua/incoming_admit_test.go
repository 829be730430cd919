package ua

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestStrangerDuringCallLearnsNothing: while a call is up (sip.max_calls
// 1), an INVITE from an address that is not admitted is refused for its
// identity, whatever caller its From claims: 403 for a forged From, 401
// for a caller with a password. It never hears 486 Busy Here, which would
// tell it that the door is in a call.
func TestStrangerDuringCallLearnsNothing(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.Callers = []KnownCaller{{User: "resident", Password: "pw-of-the-resident", Networks: []string{"127.0.0.3"}}}
	h := start(t, cfg, nil)
	addr := h.Addr().String()
	c := dial(t, h)
	ok := exchange(t, c, request("INVITE", addr, c.LocalAddr(), "adm1", "Content-Type: application/sdp\r\n", offerSDP), "SIP/2.0 200")
	fmt.Fprintf(c, "ACK sip:door@%s SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bK-adm1ack\r\nMax-Forwards: 70\r\n"+
		"From: <sip:caller@127.0.0.1>;tag=t-adm1\r\nTo: %s\r\nCall-ID: adm1\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n",
		addr, c.LocalAddr(), headerValue(ok, "To"))
	h.wait(t, 3*time.Second, "answered", callIs(CallAnswered))
	for i, tc := range []struct{ name, src, from, want string }{
		{"forged From of the admitted caller", "127.0.0.2", "caller@127.0.0.1", "SIP/2.0 403"},
		{"a caller with a password", "127.0.0.3", "resident@127.0.0.1", "SIP/2.0 401"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			other := dialFrom(t, h, tc.src)
			id := fmt.Sprintf("adm-s%d", i)
			inv := strings.Replace(request("INVITE", addr, other.LocalAddr(), id, "Content-Type: application/sdp\r\n", offerSDP),
				"From: <sip:caller@127.0.0.1>", "From: <sip:"+tc.from+">", 1)
			res := exchange(t, other, inv, "SIP/2.0 ")
			if !strings.Contains(res, tc.want) || strings.Contains(res, "SIP/2.0 486") {
				t.Errorf("got:\n%s\nwant %q, never 486", res, tc.want)
			}
		})
	}
}
