package ua

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"
)

// exchange sends raw text over UDP and returns the status lines and
// headers of the answers until want is seen (or the timeout).
func exchange(t *testing.T, conn net.Conn, msg string, want string) string {
	t.Helper()
	if _, err := conn.Write([]byte(msg)); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(3 * time.Second))
	var all strings.Builder
	buf := make([]byte, 65536)
	for {
		n, err := conn.Read(buf)
		if err != nil {
			t.Fatalf("no %q answer: %v; got:\n%s", want, err, all.String())
		}
		all.Write(buf[:n])
		if strings.Contains(string(buf[:n]), want) {
			return string(buf[:n])
		}
	}
}

func request(method, target string, local net.Addr, callID string, extra string, body string) string {
	return fmt.Sprintf("%s sip:door@%s SIP/2.0\r\n"+
		"Via: SIP/2.0/UDP %s;branch=z9hG4bK-%s-%s;rport\r\n"+
		"Max-Forwards: 70\r\n"+
		"From: <sip:caller@127.0.0.1>;tag=t-%s\r\n"+
		"To: <sip:door@%s>\r\n"+
		"Call-ID: %s\r\n"+
		"CSeq: 1 %s\r\n"+
		"Contact: <sip:caller@%s>\r\n%s"+
		"Content-Length: %d\r\n\r\n%s",
		method, target, local, callID, method, callID, target, callID, method, local, extra, len(body), body)
}

func dial(t *testing.T, h *harness) net.Conn {
	t.Helper()
	conn, err := net.Dial("udp", h.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

func TestProtocolAnswers(t *testing.T) {
	t.Parallel()
	h := start(t, testConfig(), nil)
	addr := h.Addr().String()
	t.Run("OPTIONS", func(t *testing.T) {
		c := dial(t, h)
		res := exchange(t, c, request("OPTIONS", addr, c.LocalAddr(), "o1", "", ""), "SIP/2.0 200")
		for _, hdr := range []string{"Allow: INVITE", "Accept: application/sdp", "Supported:", "Server: sipbell/"} {
			if !strings.Contains(res, hdr) {
				t.Errorf("OPTIONS answer lacks %q:\n%s", hdr, res)
			}
		}
	})
	t.Run("unknown method 405 with Allow", func(t *testing.T) {
		c := dial(t, h)
		res := exchange(t, c, request("PUBLISH", addr, c.LocalAddr(), "p1", "", ""), "SIP/2.0 405")
		if !strings.Contains(res, "Allow: INVITE") {
			t.Errorf("405 without Allow:\n%s", res)
		}
	})
	t.Run("Max-Forwards 0 gets 483", func(t *testing.T) {
		c := dial(t, h)
		msg := strings.Replace(request("INVITE", addr, c.LocalAddr(), "m1", "", ""), "Max-Forwards: 70", "Max-Forwards: 0", 1)
		exchange(t, c, msg, "SIP/2.0 483")
	})
	t.Run("merged request gets 482", func(t *testing.T) {
		cfg := testConfig()
		cfg.AutoAnswerDelay = 30 * time.Second
		h2 := start(t, cfg, nil)
		a2 := h2.Addr().String()
		c := dial(t, h2)
		first := request("INVITE", a2, c.LocalAddr(), "loop1", "Content-Type: application/sdp\r\n", offerSDP)
		exchange(t, c, first, "SIP/2.0 180")
		looped := strings.Replace(first, "branch=z9hG4bK-loop1", "branch=z9hG4bK-other", 1)
		exchange(t, c, looped, "SIP/2.0 482")
	})
	t.Run("BYE for no dialog gets 481", func(t *testing.T) {
		c := dial(t, h)
		msg := strings.Replace(request("BYE", addr, c.LocalAddr(), "b1", "", ""), "To: <sip:door@"+addr+">", "To: <sip:door@"+addr+">;tag=nope", 1)
		exchange(t, c, msg, "SIP/2.0 481")
	})
}

const offerSDP = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" +
	"m=audio 40000 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n"

// TestReinviteHold: SIP INFO DTMF is published; a re-INVITE with sendonly puts the call on hold (we
// answer recvonly), one with sendrecv resumes it.
func TestReinviteHold(t *testing.T) {
	t.Parallel()
	h := start(t, testConfig(), nil)
	addr := h.Addr().String()
	c := dial(t, h)
	inv := request("INVITE", addr, c.LocalAddr(), "h1", "Content-Type: application/sdp\r\n", offerSDP)
	ok := exchange(t, c, inv, "SIP/2.0 200")
	toTag := headerValue(ok, "To")
	ack := fmt.Sprintf("ACK sip:door@%s SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bK-ack1\r\nMax-Forwards: 70\r\n"+
		"From: <sip:caller@127.0.0.1>;tag=t-h1\r\nTo: %s\r\nCall-ID: h1\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n",
		addr, c.LocalAddr(), toTag)
	c.Write([]byte(ack))
	h.wait(t, 3*time.Second, "answered", callIs(CallAnswered))
	reinvite := func(cseq int, dir string) string {
		body := strings.Replace(offerSDP, "a=sendrecv", "a="+dir, 1)
		body = strings.Replace(body, "o=- 1 1", fmt.Sprintf("o=- 1 %d", cseq), 1)
		return fmt.Sprintf("INVITE sip:door@%s SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bK-re%d\r\nMax-Forwards: 70\r\n"+
			"From: <sip:caller@127.0.0.1>;tag=t-h1\r\nTo: %s\r\nCall-ID: h1\r\nCSeq: %d INVITE\r\n"+
			"Contact: <sip:caller@%s>\r\nContent-Type: application/sdp\r\nContent-Length: %d\r\n\r\n%s",
			addr, c.LocalAddr(), cseq, toTag, cseq, c.LocalAddr(), len(body), body)
	}
	info := fmt.Sprintf("INFO sip:door@%s SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bK-info1\r\nMax-Forwards: 70\r\n"+
		"From: <sip:caller@127.0.0.1>;tag=t-h1\r\nTo: %s\r\nCall-ID: h1\r\nCSeq: 2 INFO\r\n"+
		"Content-Type: application/dtmf-relay\r\nContent-Length: 24\r\n\r\nSignal=5\r\nDuration=160\r\n",
		addr, c.LocalAddr(), toTag)
	exchange(t, c, info, "SIP/2.0 200")
	h.wait(t, 3*time.Second, "INFO DTMF", func(e Event) bool { return e.Kind == EventDTMF && e.Digit == '5' })
	res := exchange(t, c, reinvite(3, "sendonly"), "SIP/2.0 200")
	if !strings.Contains(res, "a=recvonly") {
		t.Errorf("hold answer is not recvonly:\n%s", res)
	}
	h.wait(t, 3*time.Second, "held", func(e Event) bool { return e.Kind == EventCallState && e.Held })
	res = exchange(t, c, reinvite(4, "sendrecv"), "SIP/2.0 200")
	if !strings.Contains(res, "a=sendrecv") {
		t.Errorf("resume answer is not sendrecv:\n%s", res)
	}
	h.wait(t, 3*time.Second, "resumed", func(e Event) bool {
		return e.Kind == EventCallState && e.Reason == "resumed by peer"
	})
}

func headerValue(msg, name string) string {
	sc := bufio.NewScanner(strings.NewReader(msg))
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.EqualFold(k, name) {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
