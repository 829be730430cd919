package ua

import (
	"crypto/sha256"
	"net"
	"net/netip"
	"strings"

	"github.com/emiago/sipgo/sip"
)

// TLS client certificates identify direct callers: a sip.callers entry
// with tls_sha256 is the caller whose TLS connection to listen_tls showed
// that certificate (the handshake proves it holds the key). The
// fingerprint of each connection's client certificate is kept while the
// connection lasts, keyed by its remote address (what the request's
// source is).

// rememberPeerCert notes the client certificate fingerprint of the TLS
// connection from remote.
func (u *UA) rememberPeerCert(remote net.Addr, der []byte) {
	ap, ok := tcpAddrPort(remote)
	if !ok {
		return
	}
	u.tlsState.mu.Lock()
	defer u.tlsState.mu.Unlock()
	if u.tlsState.peers == nil {
		u.tlsState.peers = map[netip.AddrPort][sha256.Size]byte{}
	}
	u.tlsState.peers[ap] = sha256.Sum256(der) // bounded by the TLS connection caps
}

// forgetPeerCert drops what rememberPeerCert noted for remote.
func (u *UA) forgetPeerCert(remote net.Addr) {
	if ap, ok := tcpAddrPort(remote); ok {
		u.tlsState.mu.Lock()
		delete(u.tlsState.peers, ap)
		u.tlsState.mu.Unlock()
	}
}

func tcpAddrPort(a net.Addr) (netip.AddrPort, bool) {
	t, ok := a.(*net.TCPAddr)
	if !ok {
		return netip.AddrPort{}, false
	}
	ap := t.AddrPort()
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), true
}

// Close forgets the connection's client certificate.
func (c *handshakeConn) Close() error {
	c.u.forgetPeerCert(c.RemoteAddr())
	return c.Conn.Close()
}

// certCaller returns the sip.callers entry whose tls_sha256 is the client
// certificate of the TLS connection req came over.
func (u *UA) certCaller(req *sip.Request, src netip.AddrPort) (KnownCaller, bool) {
	if !strings.EqualFold(req.Transport(), "TLS") {
		return KnownCaller{}, false
	}
	u.tlsState.mu.Lock()
	fp, ok := u.tlsState.peers[src]
	u.tlsState.mu.Unlock()
	if !ok {
		return KnownCaller{}, false
	}
	for _, k := range u.cfg.Callers {
		if pin, err := parsePin(k.TLSSHA256); err == nil && k.TLSSHA256 != "" && pin == fp && k.from(src.Addr()) {
			return k, true
		}
	}
	return KnownCaller{}, false
}
