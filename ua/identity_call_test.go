package ua

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"
)

// dialFrom opens a UDP socket on the loopback address ip towards h.
func dialFrom(t *testing.T, h *harness, ip string) net.Conn {
	t.Helper()
	conn, err := net.DialUDP("udp", &net.UDPAddr{IP: net.ParseIP(ip)}, h.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// TestInfoOnlyFromTheCaller: SIP INFO DTMF in an answered call is taken
// from the caller's address only; the same dialog's INFO from another
// address gets 403 and publishes no digit. The incoming-call event
// carries the caller as verified (here: admitted by network, no identity).
func TestInfoOnlyFromTheCaller(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.AllowFrom = []string{"127.0.0.0/8"}
	h := start(t, cfg, nil)
	addr := h.Addr().String()
	c := dial(t, h)
	inv := request("INVITE", addr, c.LocalAddr(), "inf1", "Content-Type: application/sdp\r\n", offerSDP)
	ok := exchange(t, c, inv, "SIP/2.0 200")
	toTag := headerValue(ok, "To")
	c.Write([]byte(fmt.Sprintf("ACK sip:door@%s SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bK-inf1ack\r\nMax-Forwards: 70\r\n"+
		"From: <sip:caller@127.0.0.1>;tag=t-inf1\r\nTo: %s\r\nCall-ID: inf1\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n",
		addr, c.LocalAddr(), toTag)))
	in := h.wait(t, 3*time.Second, "incoming", func(e Event) bool { return e.Kind == EventIncomingCall })
	if in.Caller.Verified() || in.Caller.Source.Addr().String() != "127.0.0.1" || !strings.Contains(in.Caller.Claimed, "caller@") {
		t.Errorf("incoming caller %+v, want unverified from 127.0.0.1 claiming caller@", in.Caller)
	}
	h.wait(t, 3*time.Second, "answered", callIs(CallAnswered))
	info := func(conn net.Conn, cseq int, digit string) string {
		body := "Signal=" + digit + "\r\nDuration=160\r\n"
		return fmt.Sprintf("INFO sip:door@%s SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bK-inf1-%d\r\nMax-Forwards: 70\r\n"+
			"From: <sip:caller@127.0.0.1>;tag=t-inf1\r\nTo: %s\r\nCall-ID: inf1\r\nCSeq: %d INFO\r\n"+
			"Content-Type: application/dtmf-relay\r\nContent-Length: %d\r\n\r\n%s",
			addr, conn.LocalAddr(), cseq, toTag, cseq, len(body), body)
	}
	other := dialFrom(t, h, "127.0.0.2")
	exchange(t, other, info(other, 2, "7"), "SIP/2.0 403")
	exchange(t, c, info(c, 3, "5"), "SIP/2.0 200")
	h.wait(t, 3*time.Second, "INFO DTMF", func(e Event) bool { return e.Kind == EventDTMF && e.Digit == '5' })
	if n := h.count(func(e Event) bool { return e.Kind == EventDTMF && e.Digit == '7' }); n != 0 {
		t.Errorf("the digit from another address was published %d times", n)
	}
}

// TestDigestCallOverTheWire: an INVITE claiming a sip.callers user is
// challenged (401 with a Digest challenge); the same INVITE with the
// answer is taken, and its event names the caller verified by digest.
func TestDigestCallOverTheWire(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.AllowFrom = nil
	cfg.Callers = []KnownCaller{{User: "caller", Password: "pw-of-the-caller"}}
	h := start(t, cfg, nil)
	addr := h.Addr().String()
	c := dial(t, h)
	inv := request("INVITE", addr, c.LocalAddr(), "dg1", "Content-Type: application/sdp\r\n", offerSDP)
	res := exchange(t, c, inv, "SIP/2.0 401")
	chal := headerValue(res, "WWW-Authenticate")
	if !strings.HasPrefix(chal, "Digest ") || !strings.Contains(chal, `realm="sipbell"`) {
		t.Fatalf("challenge %q", chal)
	}
	req := invite(t, c.LocalAddr().String(), "sip:caller@127.0.0.1", "dg1")
	req.Recipient.Host, req.Recipient.Port = h.Addr().IP.String(), h.Addr().Port
	auth := answer(t, req, chal, "caller", "pw-of-the-caller")
	inv2 := strings.Replace(request("INVITE", addr, c.LocalAddr(), "dg1", "Content-Type: application/sdp\r\n"+
		"Authorization: "+auth.Value()+"\r\n", offerSDP), "CSeq: 1 INVITE", "CSeq: 2 INVITE", 1)
	inv2 = strings.Replace(inv2, "branch=z9hG4bK-dg1-INVITE", "branch=z9hG4bK-dg1-INVITE2", 1)
	exchange(t, c, inv2, "SIP/2.0 200")
	in := h.wait(t, 3*time.Second, "incoming", func(e Event) bool { return e.Kind == EventIncomingCall })
	if in.Caller.Identity != "caller" || in.Caller.Via != ByDigest {
		t.Errorf("incoming caller %+v, want caller verified by digest", in.Caller)
	}
}
