package media

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkHandshake is the CPU cost of one handshake with an ECDSA P-256
// certificate, both ends in this process: TLS (crypto/tls, as a SIPS
// connection, the client verifying the server's certificate) and
// DTLS-SRTP (pion/dtls over loopback UDP, fingerprints checked, SRTP keys
// exported). Run it on ARMv6 under qemu for the Pi Zero/1 figure.
func BenchmarkHandshake(b *testing.B) {
	b.Run("TLS-ECDSA-P256", benchTLSHandshake)
	b.Run("DTLS-SRTP-ECDSA-P256", benchDTLSHandshake)
}

func benchTLSHandshake(b *testing.B) {
	cert, err := newDTLSCert(time.Now())
	if err != nil {
		b.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(cert.Certificate[0])
	if err != nil {
		b.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(leaf)
	srvCfg := &tls.Config{Certificates: []tls.Certificate{cert}}
	cliCfg := &tls.Config{}
	cliCfg.InsecureSkipVerify = true // the name is not checked; the chain is, below
	cliCfg.VerifyPeerCertificate = func(raw [][]byte, _ [][]*x509.Certificate) error {
		c, err := x509.ParseCertificate(raw[0])
		if err != nil {
			return err
		}
		_, err = c.Verify(x509.VerifyOptions{Roots: roots})
		return err
	}
	b.ReportAllocs()
	for range b.N {
		c1, c2 := net.Pipe()
		srv, cli := tls.Server(c1, srvCfg), tls.Client(c2, cliCfg)
		done := make(chan error, 1)
		go func() { done <- srv.Handshake() }()
		if err := cli.Handshake(); err != nil {
			b.Fatal(err)
		}
		if err := <-done; err != nil {
			b.Fatal(err)
		}
		c1.Close()
		c2.Close()
	}
}

// udpPair is two loopback sockets whose datagrams are handed to the
// current DTLS links.
type udpPair struct {
	a, b   *net.UDPConn
	la, lb atomic.Pointer[dtlsLink]
	wg     sync.WaitGroup
}

func newUDPPair(tb testing.TB) *udpPair {
	p := &udpPair{}
	for _, c := range []**net.UDPConn{&p.a, &p.b} {
		conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			tb.Fatal(err)
		}
		*c = conn
	}
	pump := func(c *net.UDPConn, l *atomic.Pointer[dtlsLink]) {
		defer p.wg.Done()
		buf := make([]byte, 1500)
		for {
			n, src, err := c.ReadFromUDPAddrPort(buf)
			if errors.Is(err, net.ErrClosed) {
				return
			}
			if link := l.Load(); link != nil && err == nil {
				link.deliver(buf[:n], src)
			}
		}
	}
	p.wg.Add(2)
	go pump(p.a, &p.la)
	go pump(p.b, &p.lb)
	tb.Cleanup(func() { p.a.Close(); p.b.Close(); p.wg.Wait() })
	return p
}

func benchDTLSHandshake(b *testing.B) {
	_, fp, err := localDTLSCert()
	if err != nil {
		b.Fatal(err)
	}
	p := newUDPPair(b)
	addr := func(c *net.UDPConn) netip.AddrPort { return c.LocalAddr().(*net.UDPAddr).AddrPort() }
	ctx := context.Background()
	b.ReportAllocs()
	for range b.N {
		la, lb := newDTLSLink(p.a, addr(p.b)), newDTLSLink(p.b, addr(p.a))
		p.la.Store(la)
		p.lb.Store(lb)
		type result struct {
			tr  *SRTP
			err error
		}
		done := make(chan result, 1)
		go func() {
			conn, tr, err := lb.handshake(ctx, false, fp)
			if err == nil {
				defer conn.Close()
			}
			done <- result{tr, err}
		}()
		conn, tr, err := la.handshake(ctx, true, fp)
		if err != nil {
			b.Fatal(err)
		}
		r := <-done
		if r.err != nil || r.tr == nil || tr == nil {
			b.Fatal(r.err)
		}
		conn.Close()
		la.Close()
		lb.Close()
	}
}
