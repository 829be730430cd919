package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/sipbell/sipbell/internal/interop"
)

// TestMessageReplyToUnregisteredSender: the binary is registered with
// Kamailio; bob, a phone on the allowed network that is not registered
// there, sends "status" straight to the binary. The reply MESSAGE comes
// back to the address bob's request came from, not through Kamailio
// (which would answer 404: bob has no binding), and not to the address
// bob's From names.
func TestMessageReplyToUnregisteredSender(t *testing.T) {
	t.Parallel()
	k := interop.StartKamailio(t, interop.KamailioOptions{})
	p := startWith(t, nil, fmt.Sprintf(`sip:
  listen: 127.0.0.1:0
  user: door
  allow_from: [127.0.0.1]
  accounts:
    - registrar: %s
      user: door
      password: %s
board:
  profile: sim
`, k.UDP, interop.Password))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	addr := p.await(t, "sip listening")["udp"].(string)
	for m := p.await(t, "registered"); m["component"] != "door"; m = p.await(t, "registered") {
	}
	door := sip.Uri{Scheme: "sip", User: "door", Host: "127.0.0.1", Port: k.Port}
	bob := newSIPPeer(t, "bob")
	// bob's From is his address of record at Kamailio (not registered).
	if c := bob.message(ctx, t, "bob", k.UDP, door, addr, "status"); c != 200 {
		t.Fatalf("status answered %d", c)
	}
	if r := bob.nextMessage(ctx, t); !strings.HasPrefix(r, "Door station:") {
		t.Errorf("reply to status: %q", r)
	}
	if n := k.Log.Count("IN MESSAGE"); n != 0 {
		t.Errorf("the reply went through Kamailio (%d MESSAGEs there)", n)
	}
	p.noLog(t, "MESSAGE reply failed")
	if code := p.stop(t); code != 0 {
		t.Errorf("exit code %d", code)
	}
}

// TestMessageReplyOverTCP: a sender on the allowed network sends "help"
// over TCP; the reply MESSAGE comes back over the same connection (the
// address the request came from), and no second connection is opened to
// the port the sender's From or Contact names.
func TestMessageReplyOverTCP(t *testing.T) {
	t.Parallel()
	p := startWith(t, nil, `sip:
  listen: 127.0.0.1:0
  user: door
  allow_from: [127.0.0.1]
board:
  profile: sim
`)
	addr := p.await(t, "sip listening")["tcp"].(string)
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second)) // a hang guard, not a timed assertion
	body := "help"
	fmt.Fprintf(c, "MESSAGE sip:door@%s SIP/2.0\r\nVia: SIP/2.0/TCP %s;branch=z9hG4bK-m%d\r\n"+
		"Max-Forwards: 70\r\nFrom: <sip:phone@127.0.0.1:9>;tag=p1\r\nTo: <sip:door@%s>\r\nCall-ID: msg-tcp-%d\r\n"+
		"CSeq: 1 MESSAGE\r\nContact: <sip:phone@127.0.0.1:9;transport=tcp>\r\nContent-Type: text/plain\r\n"+
		"Content-Length: %d\r\n\r\n%s", addr, c.LocalAddr(), time.Now().UnixNano(), addr, time.Now().UnixNano(), len(body), body)
	r := bufio.NewReader(c)
	start, _, _ := readSIP(t, r)
	if !strings.HasPrefix(start, "SIP/2.0 200") {
		t.Fatalf("MESSAGE over TCP answered %q", start)
	}
	start, hdrs, text := readSIP(t, r)
	if !strings.HasPrefix(start, "MESSAGE ") || !strings.HasPrefix(text, "Commands:") {
		t.Fatalf("second message on the connection: %q %q", start, text)
	}
	// Answer it on the connection, as the sender's stack would.
	fmt.Fprintf(c, "SIP/2.0 200 OK\r\n%sContent-Length: 0\r\n\r\n", hdrs)
	p.noLog(t, "MESSAGE reply failed")
	c.Close()
	if code := p.stop(t); code != 0 {
		t.Errorf("exit code %d", code)
	}
}

// readSIP reads one SIP message from r: its start line, the Via, From,
// To, Call-ID and CSeq header lines (ready to echo in a response) and its
// body.
func readSIP(t *testing.T, r *bufio.Reader) (start, echo, body string) {
	t.Helper()
	n := 0
	for i := 0; ; i++ {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("read SIP over TCP: %v", err)
		}
		line = strings.TrimRight(line, "\r\n")
		if i == 0 {
			start = line
			continue
		}
		if line == "" {
			break
		}
		name, value, _ := strings.Cut(line, ":")
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "content-length", "l":
			n, _ = strconv.Atoi(strings.TrimSpace(value))
		case "via", "v", "from", "f", "to", "t", "call-id", "i", "cseq":
			echo += line + "\r\n"
		}
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		t.Fatalf("read SIP body over TCP: %v", err)
	}
	return start, echo, string(b)
}
