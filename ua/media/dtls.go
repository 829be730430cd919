package media

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"sync"
	"time"

	"github.com/pion/dtls/v4"
	"github.com/pion/logging"
)

// DTLS-SRTP (RFC 5763, 5764): a DTLS handshake on the media socket itself
// (told apart from RTP and STUN by the first byte, RFC 7983), the peer's
// certificate checked against the fingerprint its SDP gave, and the SRTP
// keys exported from the handshake (EXTRACTOR-dtls_srtp) into the same
// transform SDES uses. A dtlsLink is one association on one socket
// (RTP or RTCP); the session runs one per socket when RTCP is not muxed.

// ErrFingerprint is wrapped when the peer's DTLS certificate does not
// match the a=fingerprint of its SDP.
var ErrFingerprint = errors.New("DTLS certificate does not match the SDP fingerprint")

// dtlsHandshakeTimeout bounds one handshake, retransmissions included.
const dtlsHandshakeTimeout = 15 * time.Second

// dtlsQueue bounds the DTLS datagrams waiting for the handshake; more
// are dropped (the handshake retransmits).
const dtlsQueue = 16

// dtlsProfiles maps the DTLS-SRTP protection profiles sipbell offers, in
// order of preference, to the SDES suite names of the same transform.
var dtlsProfiles = []struct {
	id    dtls.SRTPProtectionProfile
	suite string
}{
	{dtls.SRTP_AES128_CM_HMAC_SHA1_80, SuiteAESCM128SHA1_80},
	{dtls.SRTP_AEAD_AES_128_GCM, SuiteAEADAES128GCM},
	{dtls.SRTP_AES128_CM_HMAC_SHA1_32, SuiteAESCM128SHA1_32},
}

// isDTLS reports whether a datagram is DTLS (RFC 7983: first byte 20-63).
func isDTLS(pkt []byte) bool { return len(pkt) > 0 && pkt[0] >= 20 && pkt[0] <= 63 }

// dtlsLink is one DTLS association on a media socket. It is a
// net.PacketConn to pion/dtls: datagrams the session's reader hands to
// deliver are read, writes go out of the socket to the peer.
type dtlsLink struct {
	sock *net.UDPConn
	peer netip.AddrPort
	in   chan []byte
	done chan struct{}
	once sync.Once

	mu       sync.Mutex
	deadline time.Time     // of ReadFrom; zero: none
	changed  chan struct{} // closed when deadline changes
}

func newDTLSLink(sock *net.UDPConn, peer netip.AddrPort) *dtlsLink {
	return &dtlsLink{sock: sock, peer: peer, in: make(chan []byte, dtlsQueue), done: make(chan struct{}),
		changed: make(chan struct{})}
}

// deliver queues a DTLS datagram from src; only the peer's SDP address is
// heard (false: dropped, another source or the queue is full).
func (l *dtlsLink) deliver(pkt []byte, src netip.AddrPort) bool {
	if src != l.peer {
		return false
	}
	select {
	case l.in <- bytes.Clone(pkt):
		return true
	default:
		return false
	}
}

// ReadFrom implements net.PacketConn, honouring the read deadline (pion
// sets one to end a read when its context ends).
func (l *dtlsLink) ReadFrom(p []byte) (int, net.Addr, error) {
	for {
		l.mu.Lock()
		dl, changed := l.deadline, l.changed
		l.mu.Unlock()
		var expired <-chan time.Time
		if !dl.IsZero() {
			d := time.Until(dl)
			if d <= 0 {
				return 0, nil, os.ErrDeadlineExceeded
			}
			t := time.NewTimer(d)
			defer t.Stop()
			expired = t.C
		}
		select {
		case pkt := <-l.in:
			return copy(p, pkt), net.UDPAddrFromAddrPort(l.peer), nil
		case <-l.done:
			return 0, nil, net.ErrClosed
		case <-expired:
			return 0, nil, os.ErrDeadlineExceeded
		case <-changed:
		}
	}
}

// WriteTo implements net.PacketConn: always to the peer.
func (l *dtlsLink) WriteTo(p []byte, _ net.Addr) (int, error) {
	select {
	case <-l.done:
		return 0, net.ErrClosed
	default:
	}
	return l.sock.WriteToUDPAddrPort(p, l.peer)
}

// Close implements net.PacketConn; the socket stays the session's.
func (l *dtlsLink) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

// LocalAddr implements net.PacketConn.
func (l *dtlsLink) LocalAddr() net.Addr { return l.sock.LocalAddr() }

// SetDeadline implements net.PacketConn (writes never block).
func (l *dtlsLink) SetDeadline(t time.Time) error { return l.SetReadDeadline(t) }

// SetReadDeadline implements net.PacketConn.
func (l *dtlsLink) SetReadDeadline(t time.Time) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.deadline = t
	close(l.changed)
	l.changed = make(chan struct{})
	return nil
}

// SetWriteDeadline implements net.PacketConn.
func (l *dtlsLink) SetWriteDeadline(time.Time) error { return nil }

// verifyFingerprint returns pion's certificate check: the peer's leaf
// certificate must hash to want (the SDP's a=fingerprint).
func verifyFingerprint(want []byte) func([][]byte, [][]*x509.Certificate) error {
	return func(raw [][]byte, _ [][]*x509.Certificate) error {
		if len(raw) == 0 {
			return fmt.Errorf("%w: the peer sent no certificate", ErrFingerprint)
		}
		got := sha256.Sum256(raw[0])
		if !bytes.Equal(got[:], want) {
			return fmt.Errorf("%w: certificate sha-256 %s, SDP said %s", ErrFingerprint,
				hex.EncodeToString(got[:]), hex.EncodeToString(want))
		}
		return nil
	}
}

// handshake runs the DTLS handshake as client or server, bounded by
// dtlsHandshakeTimeout and ctx, and returns the connection and the SRTP
// transform keyed from it (RFC 5764 §4.2).
func (l *dtlsLink) handshake(ctx context.Context, client bool, remoteFP []byte) (*dtls.Conn, *SRTP, error) {
	cert, _, err := localDTLSCert()
	if err != nil {
		return nil, nil, err
	}
	ids := make([]dtls.SRTPProtectionProfile, len(dtlsProfiles))
	for i, p := range dtlsProfiles {
		ids[i] = p.id
	}
	quiet := &logging.DefaultLoggerFactory{Writer: io.Discard, DefaultLogLevel: logging.LogLevelDisabled}
	common := []dtls.Option{dtls.WithCertificates(cert), dtls.WithSRTPProtectionProfiles(ids...),
		dtls.WithInsecureSkipVerify(true), // no chain: the fingerprint is the check
		dtls.WithVerifyPeerCertificate(verifyFingerprint(remoteFP)),
		dtls.WithExtendedMasterSecret(dtls.RequestExtendedMasterSecret),
		dtls.WithLoggerFactory(quiet)}
	raddr := net.UDPAddrFromAddrPort(l.peer)
	var conn *dtls.Conn
	if client {
		opts := make([]dtls.ClientOption, len(common))
		for i, o := range common {
			opts[i] = o
		}
		conn, err = dtls.Client(l, raddr, opts...)
	} else {
		opts := make([]dtls.ServerOption, 0, len(common)+1)
		for _, o := range common {
			opts = append(opts, o)
		}
		conn, err = dtls.Server(l, raddr, append(opts, dtls.WithClientAuth(dtls.RequireAnyClientCert))...)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("DTLS %s: %w", role(client), err)
	}
	hctx, cancel := context.WithTimeout(ctx, dtlsHandshakeTimeout)
	defer cancel()
	if err := conn.HandshakeContext(hctx); err != nil {
		_ = conn.Close()
		return nil, nil, fmt.Errorf("DTLS handshake as %s with %v: %w", role(client), l.peer, err)
	}
	tr, err := exportSRTP(conn, client)
	if err != nil {
		_ = conn.Close()
		return nil, nil, err
	}
	return conn, tr, nil
}

func role(client bool) string {
	if client {
		return "client"
	}
	return "server"
}

// exportSRTP keys the SRTP transform from a finished handshake: client
// key, server key, client salt, server salt (RFC 5764 §4.2).
func exportSRTP(conn *dtls.Conn, client bool) (*SRTP, error) {
	id, ok := conn.SelectedSRTPProtectionProfile()
	suite := ""
	for _, p := range dtlsProfiles {
		if ok && p.id == id {
			suite = p.suite
		}
	}
	prof, known := profileOf(suite)
	if !known {
		return nil, fmt.Errorf("DTLS-SRTP: %w: no protection profile agreed", ErrCrypto)
	}
	kl, _ := prof.KeyLen()
	sl, _ := prof.SaltLen()
	state, ok := conn.ConnectionState()
	if !ok {
		return nil, fmt.Errorf("DTLS-SRTP export: %w: no connection state", ErrCrypto)
	}
	km, err := state.ExportKeyingMaterial("EXTRACTOR-dtls_srtp", nil, 2*(kl+sl))
	if err != nil {
		return nil, fmt.Errorf("DTLS-SRTP export: %w", err)
	}
	ck, sk := km[:kl], km[kl:2*kl]
	cs, ss := km[2*kl:2*kl+sl], km[2*kl+sl:]
	cli := Crypto{Suite: suite, KeySalt: append(append([]byte{}, ck...), cs...)}
	srv := Crypto{Suite: suite, KeySalt: append(append([]byte{}, sk...), ss...)}
	if client {
		return NewSRTP(cli, srv)
	}
	return NewSRTP(srv, cli)
}
