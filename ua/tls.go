package ua

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/sipbell/sipbell/internal/cfgerr"
)

// SIPS: the TLS listener beside UDP and TCP, and the device's own
// certificate, which it shows there and to a server asking for a client
// certificate. The listener is a tcpListener (transport.go): accept
// errors are ridden out and the connection caps and idle timeout of TCP
// apply (conncap.go); each admitted connection is wrapped in TLS and then
// framed and checked as TCP is (tcpframe.go), so the checks see plain
// text.

// Names of the device's self-signed SIP certificate and key in the state
// dir.
const (
	SIPCertFile = "sip-cert.pem"
	SIPKeyFile  = "sip-key.pem"
)

// tlsHandshakeTimeout bounds a TLS handshake on the listener (a stranger
// that connects and says nothing holds no slot longer).
const tlsHandshakeTimeout = 10 * time.Second

// WithStateDir sets the directory the device's self-signed certificate is
// kept in (made on first start when tls_cert_file is empty).
func WithStateDir(dir string) Option { return func(u *UA) { u.tlsState.dir = dir } }

// tlsState is the device's certificate and the TLS listener.
type tlsState struct {
	dir  string           // state dir, WithStateDir
	cert *tls.Certificate // the device's own, once loaded
	mu   sync.Mutex
	ln   *tcpListener // listen_tls, while Run serves
	fail logEvery     // handshake failures: one line per tcpLogEvery
	// peers: client certificate fingerprints of open TLS connections
	// (tls_callers.go).
	peers map[netip.AddrPort][sha256.Size]byte
}

// validateTLS checks the TLS fields of c.
func (c *Config) validateTLS(errs *cfgerr.List) {
	if c.ListenTLS != "" {
		if err := validHostPort(c.ListenTLS); err != nil {
			errs.Add("listen_tls", "%v", err)
		}
	}
	if (c.TLSCertFile == "") != (c.TLSKeyFile == "") {
		errs.Add("tls_key_file", "tls_cert_file and tls_key_file go together: set both or neither")
	}
}

// usesTLS reports whether the device needs its certificate: a TLS
// listener or an account over TLS (a server may ask for a client
// certificate).
func (c *Config) usesTLS() bool {
	if c.ListenTLS != "" {
		return true
	}
	for _, a := range c.Accounts {
		if a.transport() == "tls" {
			return true
		}
	}
	return false
}

// setupTLS loads (or makes) the device's certificate when TLS is used and
// offers it as client certificate on connections to servers.
func (u *UA) setupTLS() error {
	if !u.cfg.usesTLS() {
		return nil
	}
	u.tlsConf = pinTLS(u.tlsConf, u.cfg.Accounts) // tls_pin.go
	if u.cfg.ListenTLS == "" && u.cfg.TLSCertFile == "" && u.tlsState.dir == "" {
		return nil // a client only, with nowhere to keep a certificate: none offered
	}
	cert, err := loadDeviceCert(u.cfg.TLSCertFile, u.cfg.TLSKeyFile, u.tlsState.dir, time.Now())
	if err != nil {
		return err
	}
	u.tlsState.cert = &cert
	c := u.tlsConf.Clone()
	c.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &cert, nil }
	u.tlsConf = c
	return nil
}

// serverTLSConfig is the listener's configuration: the device's
// certificate, TLS 1.2 or newer, and a client certificate asked for but
// not required (a caller's certificate fingerprint can identify it).
func (u *UA) serverTLSConfig() *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{*u.tlsState.cert}, MinVersion: tls.VersionTLS12,
		ClientAuth: tls.RequestClientCert}
}

// listenTLS opens listen_tls (nil when it is off) with the TCP limits.
func (u *UA) listenTLS(limits admitter) (*tcpListener, error) {
	if u.cfg.ListenTLS == "" {
		return nil, nil
	}
	raw, err := net.Listen("tcp", u.cfg.ListenTLS)
	if err != nil {
		return nil, fmt.Errorf("ua: listen tls %s: %w", u.cfg.ListenTLS, err)
	}
	l := newTCPListener(raw, u.log, limits)
	conf := u.serverTLSConfig()
	l.frame = func(c net.Conn) net.Conn {
		return u.frameTCP(&handshakeConn{Conn: tls.Server(c, conf), u: u})
	}
	u.tlsState.mu.Lock()
	u.tlsState.ln = l
	u.tlsState.mu.Unlock()
	return l, nil
}

// serveTLS runs sipgo's TLS loop on l until ctx is done (as serveTCP).
func (u *UA) serveTLS(ctx context.Context, l *tcpListener) {
	for {
		err := u.server.ServeTLS(l)
		if ctx.Err() != nil || l.isClosed() {
			return
		}
		u.log.Error("sip tls: listener stopped, serving it again", "addr", l.addr, "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(acceptBackoffMax):
		}
	}
}

// TLSAddr returns the address SIP over TLS is received on, or nil when
// listen_tls is off or Run does not serve yet.
func (u *UA) TLSAddr() *net.TCPAddr {
	u.tlsState.mu.Lock()
	defer u.tlsState.mu.Unlock()
	if u.tlsState.ln == nil {
		return nil
	}
	a, _ := u.tlsState.ln.Addr().(*net.TCPAddr)
	return a
}

// CertificateFingerprint returns the device's certificate fingerprint
// ("SHA-256 AB:CD:..."), empty when TLS is not used.
func (u *UA) CertificateFingerprint() string {
	if u.tlsState.cert == nil || len(u.tlsState.cert.Certificate) == 0 {
		return ""
	}
	return Fingerprint(u.tlsState.cert.Certificate[0])
}

// Fingerprint returns the SHA-256 fingerprint of a DER certificate in the
// form of RFC 4572 ("SHA-256 AB:CD:...").
func Fingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	var b strings.Builder
	b.WriteString("SHA-256 ")
	for i, c := range sum {
		if i > 0 {
			b.WriteByte(':')
		}
		fmt.Fprintf(&b, "%02X", c)
	}
	return b.String()
}

// handshakeConn runs the server handshake on the first Read, bounded by
// tlsHandshakeTimeout, and logs a failed one (rate-limited: strangers can
// cause them).
type handshakeConn struct {
	*tls.Conn
	u    *UA
	once sync.Once
	err  error
}

// Read completes the handshake first.
func (c *handshakeConn) Read(p []byte) (int, error) {
	c.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), tlsHandshakeTimeout)
		defer cancel()
		if err := c.Conn.HandshakeContext(ctx); err != nil {
			c.err = fmt.Errorf("ua: tls handshake with %s: %w", c.RemoteAddr(), err)
			if n, ok := c.u.tlsState.fail.allow(time.Now()); ok {
				c.u.log.Warn("sip tls: handshake failed", "remote", c.RemoteAddr().String(), "err", err,
					"failures_since_last_log", n)
			}
		} else if pc := c.Conn.ConnectionState().PeerCertificates; len(pc) > 0 {
			c.u.rememberPeerCert(c.RemoteAddr(), pc[0].Raw) // tls_callers.go
		}
	})
	if c.err != nil {
		return 0, c.err
	}
	return c.Conn.Read(p)
}

// loadDeviceCert loads the configured certificate, or the self-signed one
// in dir, making it on first use.
func loadDeviceCert(certFile, keyFile, dir string, now time.Time) (tls.Certificate, error) {
	if certFile != "" {
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return cert, fmt.Errorf("ua: tls_cert_file %s: %w", certFile, err)
		}
		return cert, nil
	}
	if dir == "" {
		return tls.Certificate{}, errors.New("ua: device certificate: no tls_cert_file and no state dir to keep one in")
	}
	certPath, keyPath := filepath.Join(dir, SIPCertFile), filepath.Join(dir, SIPKeyFile)
	cert, err := tls.LoadX509KeyPair(certPath, keyPath)
	if err == nil {
		return cert, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return cert, fmt.Errorf("ua: device certificate %s: %w", certPath, err)
	}
	certPEM, keyPEM, err := selfSignedCert(now)
	if err != nil {
		return cert, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return cert, fmt.Errorf("ua: device certificate: %w", err)
	}
	// Key first: a certificate is never left without its key.
	if err := writeFileAtomic(keyPath, keyPEM, 0o600); err != nil {
		return cert, err
	}
	if err := writeFileAtomic(certPath, certPEM, 0o644); err != nil {
		return cert, err
	}
	return tls.X509KeyPair(certPEM, keyPEM)
}

// listenPort is the port requests over transport reach: listen_tls's
// for tls while it is served, else the UDP/TCP one.
func (u *UA) listenPort(transport string) int {
	if transport == "tls" {
		if a := u.TLSAddr(); a != nil {
			return a.Port
		}
	}
	return u.Addr().Port
}
