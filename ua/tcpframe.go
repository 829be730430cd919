package ua

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
)

// Over TCP sipgo reads a byte stream, so the guard's read filter sees
// whatever each read brought, not messages: it could neither rewrite a
// valid message sipgo cannot take (LWS around "tag =", no From tag: RFC
// 4475 wsinv, inv2543) nor answer an unparseable one with 400 (sipgo's
// stream parser closes the connection in silence). framedConn cuts the
// stream into messages itself (headers, then Content-Length bytes of
// body, RFC 3261 §18.3) before sipgo reads it, and runs each through the
// same checks as a UDP datagram (guard.precheck): refusals are answered on
// the connection, normalised messages handed on rewritten.

// maxTCPMessage bounds one message read from a TCP stream (headers and
// body). A bigger one is answered 513 and the connection closed.
const maxTCPMessage = 64 << 10

// tcpReadChunk is how much one read from the socket asks for.
const tcpReadChunk = 4 << 10

// errTCPFraming ends a connection whose stream cannot be cut into
// messages any more (no usable Content-Length, a message too large).
var errTCPFraming = errors.New("ua: SIP over TCP: framing lost")

// framedConn is an accepted SIP TCP connection as sipgo reads it: one
// checked message (or keep-alive) per Read.
type framedConn struct {
	net.Conn
	src   netip.AddrPort
	check func(ap netip.AddrPort, msg []byte) (fwd, answer []byte)

	in    []byte   // read, not yet cut into messages
	ready [][]byte // checked messages and keep-alives for sipgo, in order
	chunk []byte   // read buffer
	err   error    // the read error to return once ready is empty
}

// frameTCP wraps an accepted connection so that sipgo reads checked
// messages (see framedConn).
func (u *UA) frameTCP(c net.Conn) net.Conn {
	return newFramedConn(c, u.guard.precheck)
}

func newFramedConn(c net.Conn, check func(netip.AddrPort, []byte) ([]byte, []byte)) *framedConn {
	return &framedConn{Conn: c, src: addrPort(c.RemoteAddr()), check: check}
}

// Read returns the next checked message, keep-alive or part of one.
func (c *framedConn) Read(p []byte) (int, error) {
	for len(c.ready) == 0 {
		if c.cut() {
			continue
		}
		if c.err != nil {
			return 0, c.err
		}
		if c.chunk == nil {
			c.chunk = make([]byte, tcpReadChunk)
		}
		n, err := c.Conn.Read(c.chunk)
		c.in = append(c.in, c.chunk[:n]...)
		if err != nil {
			c.err = err // after what was read has been handed on
		}
	}
	n := copy(p, c.ready[0])
	if c.ready[0] = c.ready[0][n:]; len(c.ready[0]) == 0 {
		c.ready = c.ready[1:]
	}
	return n, nil
}

// cut takes the next keep-alive or whole message off the input and
// reports whether it did (or gave up on the stream: c.err is then set).
func (c *framedConn) cut() bool {
	if len(c.in) == 0 {
		c.in = nil // a big message's buffer is not kept
		return false
	}
	if n := leadingCRLF(c.in); n > 0 { // a keep-alive (RFC 5626 §3.5.1): sipgo answers "\r\n\r\n"
		n = min(n, 4)
		c.ready = append(c.ready, append([]byte(nil), c.in[:n]...))
		c.in = c.in[n:]
		return true
	}
	end := bytes.Index(c.in, []byte("\r\n\r\n"))
	if end < 0 {
		if len(c.in) > maxTCPMessage {
			return c.fail(413, "headers over 64 KiB")
		}
		return false
	}
	cl, ok := contentLength(c.in[:end])
	if !ok {
		return c.fail(400, "unreadable Content-Length")
	}
	total := end + 4 + cl
	if total > maxTCPMessage {
		return c.fail(513, "message over 64 KiB")
	}
	if len(c.in) < total {
		return false
	}
	msg := append([]byte(nil), c.in[:total]...)
	c.in = c.in[total:]
	fwd, answer := c.check(c.src, msg)
	if answer != nil {
		_, _ = c.Conn.Write(answer)
	}
	if fwd != nil {
		c.ready = append(c.ready, fwd)
	}
	return true
}

// fail answers the message at the head of the input with code (when it
// is a request) and ends the stream: without a boundary nothing after it
// can be read.
func (c *framedConn) fail(code int, why string) bool {
	if !bytes.HasPrefix(c.in, []byte("SIP/")) {
		head := c.in
		if i := bytes.Index(head, []byte("\r\n\r\n")); i >= 0 {
			head = head[:i+4]
		}
		if answer := rawAnswer(head, code); answer != nil {
			_, _ = c.Conn.Write(answer)
		}
	}
	c.in, c.err = nil, fmt.Errorf("%w from %s: %s", errTCPFraming, c.src, why)
	return true
}

// rawAnswer is a stateless answer with code to the raw request head.
func rawAnswer(head []byte, code int) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "SIP/2.0 %d %s\r\n", code, StatusText(code))
	for _, name := range []string{"via", "from", "to", "call-id", "cseq"} {
		for _, v := range rawHeaders(head, name) {
			b.WriteString(canonical[name] + ": ")
			b.Write(v)
			b.WriteString("\r\n")
		}
	}
	b.WriteString("Content-Length: 0\r\n\r\n")
	return b.Bytes()
}

func leadingCRLF(b []byte) int {
	n := 0
	for n < len(b) && (b[n] == '\r' || b[n] == '\n') {
		n++
	}
	return n
}

// contentLength reads Content-Length (or its compact form l) from a
// message's header block: 0 when there is none; false when it cannot be
// read or appears with different values.
func contentLength(head []byte) (int, bool) {
	n, seen := 0, false
	for _, line := range bytes.Split(head, []byte("\r\n"))[1:] {
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			continue
		}
		name = bytes.TrimSpace(name)
		if !bytes.EqualFold(name, []byte("content-length")) && !bytes.EqualFold(name, []byte("l")) {
			continue
		}
		v, err := strconv.Atoi(string(bytes.TrimSpace(value)))
		if err != nil || v < 0 || (seen && v != n) {
			return 0, false
		}
		n, seen = v, true
	}
	return n, true
}
