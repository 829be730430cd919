package ua

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"strconv"
	"strings"
	"testing"
	"time"
)

// udpTCPPair listens on UDP and TCP on one loopback port, as a SIP
// proxy does.
func udpTCPPair(t *testing.T) (*net.UDPConn, net.Listener) {
	t.Helper()
	for try := 0; ; try++ {
		pc, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		l, err := net.Listen("tcp", pc.LocalAddr().String())
		if err == nil {
			t.Cleanup(func() { pc.Close(); l.Close() })
			return pc, l
		}
		pc.Close()
		if try > 20 {
			t.Fatal(err)
		}
	}
}

// packetConn writes to one address from an unconnected UDP socket
// (which shares its port with a TCP listener).
type packetConn struct {
	*net.UDPConn
	to *net.UDPAddr
}

func (c *packetConn) Write(b []byte) (int, error) { return c.WriteToUDP(b, c.to) }
func (c *packetConn) Read(b []byte) (int, error) {
	n, _, err := c.ReadFromUDP(b)
	return n, err
}

// TestLargeMessagesOverUDP: an INVITE that crossed 8 record-routing
// proxies gets its 200 OK over UDP although the answer is larger than
// 1300 bytes (RFC 3261 §18.2.2: responses have no size rule), and our BYE,
// larger than 1300 bytes with its 8 Route headers, goes over TCP
// (§18.1.1) with a TCP Via.
func TestLargeMessagesOverUDP(t *testing.T) {
	t.Parallel()
	h := start(t, testConfig(), nil)
	addr := h.Addr().String()
	pc, tl := udpTCPPair(t)
	c := &packetConn{UDPConn: pc, to: h.Addr()}
	me := c.LocalAddr().String()
	var rr strings.Builder
	fmt.Fprintf(&rr, "Record-Route: <sip:%s;lr>\r\n", me)
	for i := 1; i < 8; i++ {
		fmt.Fprintf(&rr, "Record-Route: <sip:proxy%d.record-route.invalid;lr;ftag=%s;did=%s>\r\n",
			i, strings.Repeat("f", 40), strings.Repeat("d", 40))
	}
	inv := request("INVITE", addr, c.LocalAddr(), "big-rr", rr.String()+"Content-Type: application/sdp\r\n", offerSDP)
	ok := exchange(t, c, inv, "SIP/2.0 200")
	if len(ok) <= maxUDPRequest || strings.Count(ok, "Record-Route:") != 8 {
		t.Fatalf("200 OK of %d bytes with %d Record-Route, want > %d and 8", len(ok), strings.Count(ok, "Record-Route:"), maxUDPRequest)
	}
	toTag := headerValue(ok, "To")
	ack := fmt.Sprintf("ACK sip:door@%s SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bK-ackbig\r\nMax-Forwards: 70\r\n"+
		"From: <sip:caller@127.0.0.1>;tag=t-big-rr\r\nTo: %s\r\nCall-ID: big-rr\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n",
		addr, me, toTag)
	c.Write([]byte(ack))
	h.wait(t, 5*time.Second, "answered", callIs(CallAnswered))

	calls := h.Calls()
	if len(calls) != 1 {
		t.Fatalf("%d calls", len(calls))
	}
	hung := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		hung <- calls[0].Hangup(ctx)
	}()
	tl.(*net.TCPListener).SetDeadline(time.Now().Add(15 * time.Second))
	conn, err := tl.Accept()
	if err != nil {
		t.Fatalf("the large BYE did not come over TCP: %v", err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	r := textproto.NewReader(bufio.NewReader(conn))
	line, err := r.ReadLine()
	if err != nil || !strings.HasPrefix(line, "BYE ") {
		t.Fatalf("over TCP: %q, %v", line, err)
	}
	hdr, err := r.ReadMIMEHeader()
	if err != nil {
		t.Fatal(err)
	}
	if via := hdr.Get("Via"); !strings.HasPrefix(via, "SIP/2.0/TCP ") {
		t.Errorf("BYE over TCP with Via %q", via)
	}
	if n := len(hdr.Values("Route")); n != 8 {
		t.Errorf("BYE with %d Route headers, want 8", n)
	}
	if n, _ := strconv.Atoi(hdr.Get("Content-Length")); n > 0 {
		io.CopyN(io.Discard, r.R, int64(n))
	}
	var res strings.Builder
	res.WriteString("SIP/2.0 200 OK\r\n")
	for _, k := range []string{"Via", "From", "To", "Call-Id", "Cseq"} {
		for _, v := range hdr.Values(k) {
			fmt.Fprintf(&res, "%s: %s\r\n", k, v)
		}
	}
	res.WriteString("Content-Length: 0\r\n\r\n")
	if _, err := io.WriteString(conn, res.String()); err != nil {
		t.Fatal(err)
	}
	if err := <-hung; err != nil {
		t.Errorf("Hangup: %v", err)
	}
	h.wait(t, 5*time.Second, "ended", callIs(CallEnded))
}
