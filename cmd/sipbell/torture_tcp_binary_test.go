package main

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"
)

// TestTortureOverTCPBinary (issue 13): over TCP as over UDP, the binary
// takes a valid request written with the whitespace RFC 3261 allows
// (RFC 4475 §3.1.1.1 style: LWS around ":" and "=", a From tag written
// "tag = x") and answers it, and answers an unparseable request (RFC 4475
// badinv01: empty Via and From parameters) with 400 instead of closing
// the connection in silence; the connection then carries the next
// request. Table-driven over one connection, in order.
func TestTortureOverTCPBinary(t *testing.T) {
	t.Parallel()
	p := startWith(t, nil, "sip:\n  listen: 127.0.0.1:0\n  user: door\n  allow_from: [127.0.0.1]\n")
	addr := p.await(t, "sip listening")["tcp"].(string)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	via := c.LocalAddr().String()
	r := bufio.NewReader(c)
	for i, tc := range []struct {
		name, msg string
		want      int
	}{
		{"whitespace everywhere", "OPTIONS sip:door@127.0.0.1 SIP/2.0\r\n" +
			"To   :   <sip:door@127.0.0.1>\r\n" +
			"From :   <sip:visitor@example.com>  ;  tag  =  98asjd8\r\n" +
			"Max-Forwards : 0068\r\n" +
			"Call-ID : ws.tcp.1\r\n" +
			"CSeq : 0009   OPTIONS\r\n" +
			"Via  : SIP/2.0/TCP " + via + ";branch=z9hG4bK-ws-1\r\n" +
			"Content-Length : 0\r\n\r\n", 200},
		{"no From tag (RFC 2543)", "OPTIONS sip:door@127.0.0.1 SIP/2.0\r\n" +
			"To: <sip:door@127.0.0.1>\r\n" +
			"From: <sip:visitor@example.com>\r\n" +
			"Call-ID: ws.tcp.2\r\n" +
			"CSeq: 1 OPTIONS\r\n" +
			"Via: SIP/2.0/TCP " + via + ";branch=z9hG4bK-2543-2\r\n" +
			"Content-Length: 0\r\n\r\n", 200},
		{"unparseable", "OPTIONS sip:door@127.0.0.1 SIP/2.0\r\n" +
			"To: sip:door@127.0.0.1\r\n" +
			"From: sip:caller@example.net;;tag=134161461246\r\n" +
			"Call-ID: badinv.tcp.3\r\n" +
			"CSeq: 8 OPTIONS\r\n" +
			"Via: SIP/2.0/TCP " + via + ";;,;,,\r\n" +
			"Content-Length: 0\r\n\r\n", 400},
		{"the next request on the same connection", "OPTIONS sip:door@127.0.0.1 SIP/2.0\r\n" +
			"To: <sip:door@127.0.0.1>\r\n" +
			"From: <sip:visitor@example.com>;tag=4\r\n" +
			"Call-ID: ws.tcp.4\r\n" +
			"CSeq: 1 OPTIONS\r\n" +
			"Via: SIP/2.0/TCP " + via + ";branch=z9hG4bK-next-4\r\n" +
			"Content-Length: 0\r\n\r\n", 200},
	} {
		if _, err := c.Write([]byte(tc.msg)); err != nil {
			t.Fatalf("%d %s: write: %v", i, tc.name, err)
		}
		code, head := readResponse(t, c, r)
		t.Logf("%d %s: %d at %s", i, tc.name, code, time.Now().Format("15:04:05.000"))
		if code != tc.want {
			t.Errorf("%d %s: answered %d, want %d\n%s", i, tc.name, code, tc.want, head)
		}
	}
}

// readResponse reads one response's head (and skips its body) from r
// (30 s hang guard) and returns its status code and text.
func readResponse(t *testing.T, c net.Conn, r *bufio.Reader) (int, string) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(30 * time.Second))
	var head strings.Builder
	length := 0
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("no answer: %v (read so far %q)", err, head.String())
		}
		head.WriteString(line)
		if line == "\r\n" {
			break
		}
		if k, v, ok := strings.Cut(line, ":"); ok && strings.EqualFold(strings.TrimSpace(k), "content-length") {
			fmt.Sscan(strings.TrimSpace(v), &length)
		}
	}
	if _, err := r.Discard(length); err != nil {
		t.Fatal(err)
	}
	var code int
	fmt.Sscanf(head.String(), "SIP/2.0 %d", &code)
	return code, head.String()
}
