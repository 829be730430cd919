package media

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/srtp/v3"
)

// SRTP with keys exchanged in SDP (SDES, RFC 4568): the a=crypto
// attribute and the per-packet transform of one call's media. The
// transform works in the caller's buffers: Protect and Unprotect allocate
// nothing per packet once the destination has room (the benchmark checks).

// SDES crypto suites (RFC 4568 §6.2, RFC 7714 §12).
const (
	SuiteAESCM128SHA1_80 = "AES_CM_128_HMAC_SHA1_80"
	SuiteAESCM128SHA1_32 = "AES_CM_128_HMAC_SHA1_32"
	SuiteAEADAES128GCM   = "AEAD_AES_128_GCM"
)

// ErrCrypto marks an a=crypto attribute sipbell cannot use.
var ErrCrypto = errors.New("unusable a=crypto")

// SRTPOverhead is the most an SRTP packet is longer than its RTP packet
// (the GCM tag; HMAC-SHA1-80 adds 10).
const SRTPOverhead = 16

// SRTCPOverhead is the most an SRTCP packet is longer than its RTCP
// packet (E flag and index, and the GCM tag).
const SRTCPOverhead = 4 + 16

// suites maps the SDES names to pion's profiles, in sipbell's order of
// preference when offering.
var suites = []struct {
	name    string
	profile srtp.ProtectionProfile
}{
	{SuiteAESCM128SHA1_80, srtp.ProtectionProfileAes128CmHmacSha1_80},
	{SuiteAEADAES128GCM, srtp.ProtectionProfileAeadAes128Gcm},
	{SuiteAESCM128SHA1_32, srtp.ProtectionProfileAes128CmHmacSha1_32},
}

func profileOf(suite string) (srtp.ProtectionProfile, bool) {
	for _, s := range suites {
		if s.name == suite {
			return s.profile, true
		}
	}
	return 0, false
}

// Crypto is one a=crypto attribute: tag, suite and the inline master key
// and salt (concatenated, as on the wire).
type Crypto struct {
	Tag     int
	Suite   string
	KeySalt []byte
}

// NewCrypto makes a fresh random master key and salt for suite.
func NewCrypto(tag int, suite string) (Crypto, error) {
	p, ok := profileOf(suite)
	if !ok {
		return Crypto{}, fmt.Errorf("new crypto %q: %w: unknown suite", suite, ErrCrypto)
	}
	kl, _ := p.KeyLen()
	sl, _ := p.SaltLen()
	c := Crypto{Tag: tag, Suite: suite, KeySalt: make([]byte, kl+sl)}
	if _, err := rand.Read(c.KeySalt); err != nil {
		return Crypto{}, fmt.Errorf("new crypto %q: %w", suite, err)
	}
	return c, nil
}

// String is the attribute's value: "1 AES_CM_128_HMAC_SHA1_80 inline:...".
func (c Crypto) String() string {
	return strconv.Itoa(c.Tag) + " " + c.Suite + " inline:" + base64.StdEncoding.EncodeToString(c.KeySalt)
}

// ParseCrypto reads an a=crypto value (RFC 4568 §9.1). Session
// parameters and lifetimes are accepted when they change nothing sipbell
// does; a key with an MKI, several keys, or unencrypted or
// unauthenticated SRTP are refused (ErrCrypto).
func ParseCrypto(v string) (Crypto, error) {
	f := strings.Fields(v)
	if len(f) < 3 {
		return Crypto{}, fmt.Errorf("parse crypto %q: %w: want tag, suite and key params", v, ErrCrypto)
	}
	tag, err := strconv.Atoi(f[0])
	if err != nil || tag < 0 || tag > 999999999 {
		return Crypto{}, fmt.Errorf("parse crypto %q: %w: bad tag", v, ErrCrypto)
	}
	p, ok := profileOf(f[1])
	if !ok {
		return Crypto{}, fmt.Errorf("parse crypto %q: %w: suite %s not supported", v, ErrCrypto, f[1])
	}
	for _, sp := range f[3:] {
		if strings.HasPrefix(sp, "UNENCRYPTED_") || sp == "UNAUTHENTICATED_SRTP" {
			return Crypto{}, fmt.Errorf("parse crypto %q: %w: %s", v, ErrCrypto, sp)
		}
	}
	if strings.Contains(f[2], ";") {
		return Crypto{}, fmt.Errorf("parse crypto %q: %w: more than one key", v, ErrCrypto)
	}
	key, ok := strings.CutPrefix(f[2], "inline:")
	if !ok {
		return Crypto{}, fmt.Errorf("parse crypto %q: %w: key method is not inline", v, ErrCrypto)
	}
	parts := strings.Split(key, "|")
	if len(parts) > 2 || (len(parts) == 2 && strings.Contains(parts[1], ":")) {
		return Crypto{}, fmt.Errorf("parse crypto %q: %w: MKI not supported", v, ErrCrypto)
	}
	ks, err := base64.StdEncoding.DecodeString(parts[0])
	if err != nil {
		ks, err = base64.RawStdEncoding.DecodeString(parts[0])
	}
	kl, _ := p.KeyLen()
	sl, _ := p.SaltLen()
	if err != nil || len(ks) != kl+sl {
		return Crypto{}, fmt.Errorf("parse crypto %q: %w: key and salt must be %d bytes", v, ErrCrypto, kl+sl)
	}
	return Crypto{Tag: tag, Suite: f[1], KeySalt: ks}, nil
}

// SRTP is one call's media transform: protect with the local key (what
// sipbell offered or answered), unprotect with the peer's. Protect and
// Unprotect may run on two goroutines (send and receive); each side is
// used by one at a time.
type SRTP struct {
	// txMu and rxMu serialise each context's use: RTP and RTCP of one
	// direction come from different goroutines.
	txMu, rxMu sync.Mutex
	tx, rx     *srtp.Context
	suite      string
	txh, rxh   rtp.Header
	txch, rxch rtcp.Header

	// dtls is set on a DTLS-SRTP descriptor (Negotiated.SRTP of a
	// DTLS-SRTP call): no keys yet, the session's handshake makes the
	// keyed transform (dtls_session.go).
	dtls *dtlsParams
}

// NewSRTP builds the transform from the local and the remote key, which
// must name the same suite.
func NewSRTP(local, remote Crypto) (*SRTP, error) {
	if local.Suite != remote.Suite {
		return nil, fmt.Errorf("new srtp: %w: local suite %s, remote %s", ErrCrypto, local.Suite, remote.Suite)
	}
	p, ok := profileOf(local.Suite)
	if !ok {
		return nil, fmt.Errorf("new srtp %s: %w: unknown suite", local.Suite, ErrCrypto)
	}
	tx, err := newContext(local, p)
	if err != nil {
		return nil, err
	}
	rx, err := newContext(remote, p, srtp.SRTPReplayProtection(128), srtp.SRTCPReplayProtection(128))
	if err != nil {
		return nil, err
	}
	return &SRTP{tx: tx, rx: rx, suite: local.Suite}, nil
}

// Suite names the crypto suite ("AES_CM_128_HMAC_SHA1_80"); "" for a nil
// transform (a plain call).
func (s *SRTP) Suite() string {
	if s == nil {
		return ""
	}
	if s.dtls != nil {
		if su := s.dtls.suite.Load(); su != nil {
			return *su + " via DTLS"
		}
		return "DTLS" // the handshake has not finished
	}
	return s.suite
}

func newContext(c Crypto, p srtp.ProtectionProfile, opts ...srtp.ContextOption) (*srtp.Context, error) {
	kl, _ := p.KeyLen()
	if len(c.KeySalt) <= kl {
		return nil, fmt.Errorf("new srtp %s: %w: key too short", c.Suite, ErrCrypto)
	}
	ctx, err := srtp.CreateContext(c.KeySalt[:kl], c.KeySalt[kl:], p, opts...)
	if err != nil {
		return nil, fmt.Errorf("new srtp %s: %w", c.Suite, err)
	}
	return ctx, nil
}

// Protect encrypts and authenticates the RTP packet pkt into dst (which
// needs cap len(pkt)+SRTPOverhead to stay allocation-free) and returns
// the SRTP packet.
func (s *SRTP) Protect(dst, pkt []byte) ([]byte, error) {
	s.txMu.Lock()
	defer s.txMu.Unlock()
	out, err := s.tx.EncryptRTP(dst[:0], pkt, &s.txh)
	if err != nil {
		return nil, fmt.Errorf("srtp protect: %w", err)
	}
	return out, nil
}

// Unprotect checks and decrypts the SRTP packet pkt into dst (cap
// len(pkt)) and returns the RTP packet; forged, replayed or garbled
// packets fail.
func (s *SRTP) Unprotect(dst, pkt []byte) ([]byte, error) {
	s.rxMu.Lock()
	defer s.rxMu.Unlock()
	out, err := s.rx.DecryptRTP(dst[:0], pkt, &s.rxh)
	if err != nil {
		return nil, fmt.Errorf("srtp unprotect: %w", err)
	}
	return out, nil
}

// ProtectRTCP turns an RTCP compound packet into SRTCP (dst cap
// len(pkt)+20, index and tag, to stay allocation-free).
func (s *SRTP) ProtectRTCP(dst, pkt []byte) ([]byte, error) {
	s.txMu.Lock()
	defer s.txMu.Unlock()
	out, err := s.tx.EncryptRTCP(dst[:0], pkt, &s.txch)
	if err != nil {
		return nil, fmt.Errorf("srtcp protect: %w", err)
	}
	return out, nil
}

// UnprotectRTCP checks and decrypts an SRTCP packet.
func (s *SRTP) UnprotectRTCP(dst, pkt []byte) ([]byte, error) {
	s.rxMu.Lock()
	defer s.rxMu.Unlock()
	out, err := s.rx.DecryptRTCP(dst[:0], pkt, &s.rxch)
	if err != nil {
		return nil, fmt.Errorf("srtcp unprotect: %w", err)
	}
	return out, nil
}
