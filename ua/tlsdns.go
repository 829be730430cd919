package ua

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/dns/dnsmessage"

	"github.com/sipbell/sipbell/ua/sipdns"
)

// TLS to a server found by DNS (RFC 3263, RFC 5922). The UA chooses the
// server (NAPTR SIPS+D2T, _sips._tcp SRV, addresses) itself, yet the
// certificate must be checked against the SIP domain, not the SRV target
// or the address: sipgo's TLS dial names the server it connects to by the
// request's destination host, as ServerName (SNI and verification). So a
// TLS request goes to "domain:port", and the resolver sipgo is given
// answers the domain with the address of the hop the UA chose. Any other
// name is passed on to the name server sipgo's resolver meant to ask.

// maxTLSNames bounds the names the UA answers for sipgo (one per server
// or TLS call domain in use; a new one replaces an old one beyond this).
const maxTLSNames = 64

// tlsNames maps names sipgo resolves to the address of the hop chosen.
type tlsNames struct {
	mu sync.Mutex
	m  map[string]netip.Addr
}

// dest returns where a request to hop h goes: its address, or for TLS
// "name:port", name being what the certificate must carry (the SIP
// domain, or the account's tls_server_name), resolved for sipgo to h.
func (n *tlsNames) dest(h sipdns.Hop, name string) string {
	if h.Transport != "tls" || name == "" {
		return h.Addr.String()
	}
	if _, err := netip.ParseAddr(name); err == nil {
		return h.Addr.String()
	}
	key := strings.ToLower(strings.TrimSuffix(name, "."))
	n.mu.Lock()
	if n.m == nil {
		n.m = map[string]netip.Addr{}
	}
	if _, ok := n.m[key]; !ok && len(n.m) >= maxTLSNames {
		for k := range n.m {
			delete(n.m, k)
			break
		}
	}
	n.m[key] = h.Addr.Addr().Unmap()
	n.mu.Unlock()
	return net.JoinHostPort(key, strconv.Itoa(int(h.Addr.Port())))
}

// lookup returns the address chosen for name.
func (n *tlsNames) lookup(name string) (netip.Addr, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	a, ok := n.m[strings.ToLower(strings.TrimSuffix(name, "."))]
	return a, ok
}

// certRefused reports whether err is a server certificate that failed
// verification (not for the name, not from a trusted CA, expired).
func certRefused(err error) bool {
	var v *tls.CertificateVerificationError
	var h x509.HostnameError
	var u x509.UnknownAuthorityError
	var c x509.CertificateInvalidError
	return errors.As(err, &v) || errors.As(err, &h) || errors.As(err, &u) || errors.As(err, &c) || errors.Is(err, ErrNotPinned)
}

// resolver is the resolver sipgo's transport layer uses.
func (n *tlsNames) resolver() *net.Resolver {
	return &net.Resolver{PreferGo: true, Dial: func(_ context.Context, network, address string) (net.Conn, error) {
		c := &nameConn{names: n, network: network, address: address}
		if strings.HasPrefix(network, "udp") {
			return &namePacketConn{c}, nil
		}
		return c, nil
	}}
}

// nameConn is one exchange of Go's resolver: a query for a name in
// tlsNames is answered here; any other is sent on to the server at
// address. Over TCP (network tcp) messages carry a 2-byte length.
type nameConn struct {
	names            *tlsNames
	network, address string
	mu               sync.Mutex
	deadline         time.Time
	real             net.Conn     // the name server, once a query went there
	reply            bytes.Buffer // the answer made here, until read
}

// Write takes the query.
func (c *nameConn) Write(b []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.real != nil {
		return c.real.Write(b)
	}
	msg := b
	stream := !strings.HasPrefix(c.network, "udp")
	if stream && len(b) >= 2 {
		msg = b[2:]
	}
	if ans, ok := c.answer(msg); ok {
		if stream {
			c.reply.Write([]byte{byte(len(ans) >> 8), byte(len(ans))})
		}
		c.reply.Write(ans)
		return len(b), nil
	}
	d := net.Dialer{Deadline: c.deadline}
	real, err := d.Dial(c.network, c.address)
	if err != nil {
		return 0, fmt.Errorf("ua: dns for sipgo: dial %s %s: %w", c.network, c.address, err)
	}
	if !c.deadline.IsZero() {
		_ = real.SetDeadline(c.deadline)
	}
	c.real = real
	return real.Write(b)
}

// answer makes the reply to query when it asks for a name in tlsNames.
func (c *nameConn) answer(query []byte) ([]byte, bool) {
	var p dnsmessage.Parser
	h, err := p.Start(query)
	if err != nil {
		return nil, false
	}
	q, err := p.Question()
	if err != nil || q.Class != dnsmessage.ClassINET {
		return nil, false
	}
	addr, ok := c.names.lookup(q.Name.String())
	if !ok {
		return nil, false
	}
	b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: h.ID, Response: true, Authoritative: true,
		RecursionDesired: h.RecursionDesired, RecursionAvailable: true})
	b.EnableCompression()
	_ = b.StartQuestions()
	_ = b.Question(q)
	_ = b.StartAnswers()
	rh := dnsmessage.ResourceHeader{Name: q.Name, Class: dnsmessage.ClassINET, TTL: 1}
	switch {
	case q.Type == dnsmessage.TypeA && addr.Is4():
		_ = b.AResource(rh, dnsmessage.AResource{A: addr.As4()})
	case q.Type == dnsmessage.TypeAAAA && addr.Is6():
		_ = b.AAAAResource(rh, dnsmessage.AAAAResource{AAAA: addr.As16()})
	}
	out, err := b.Finish()
	return out, err == nil
}

// Read returns the answer made here, or the name server's.
func (c *nameConn) Read(b []byte) (int, error) {
	c.mu.Lock()
	real := c.real
	c.mu.Unlock()
	if real != nil {
		return real.Read(b)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.reply.Len() == 0 {
		return 0, fmt.Errorf("ua: dns for sipgo: read before a query: %w", net.ErrClosed)
	}
	return c.reply.Read(b)
}

// Close closes the name server connection, if one was made.
func (c *nameConn) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.real != nil {
		return c.real.Close()
	}
	return nil
}

// LocalAddr is the name server connection's, or none.
func (c *nameConn) LocalAddr() net.Addr { return c.addr(true) }

// RemoteAddr is the name server connection's, or none.
func (c *nameConn) RemoteAddr() net.Addr { return c.addr(false) }

func (c *nameConn) addr(local bool) net.Addr {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.real != nil && local:
		return c.real.LocalAddr()
	case c.real != nil:
		return c.real.RemoteAddr()
	}
	return &net.UDPAddr{}
}

// SetDeadline bounds the exchange (the name server's too).
func (c *nameConn) SetDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.deadline = t
	if c.real != nil {
		return c.real.SetDeadline(t)
	}
	return nil
}

// SetReadDeadline is SetDeadline.
func (c *nameConn) SetReadDeadline(t time.Time) error { return c.SetDeadline(t) }

// SetWriteDeadline is SetDeadline.
func (c *nameConn) SetWriteDeadline(t time.Time) error { return c.SetDeadline(t) }

// namePacketConn is a nameConn over UDP: Go's resolver sends one message
// per datagram on a net.PacketConn.
type namePacketConn struct{ *nameConn }

// ReadFrom is Read.
func (c *namePacketConn) ReadFrom(b []byte) (int, net.Addr, error) {
	n, err := c.Read(b)
	return n, c.RemoteAddr(), err
}

// WriteTo is Write.
func (c *namePacketConn) WriteTo(b []byte, _ net.Addr) (int, error) { return c.Write(b) }
