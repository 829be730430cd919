package media

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"fmt"
	"math/big"
	"strings"
	"sync"
	"time"
)

// The device's DTLS identity (RFC 5763 §5): a self-signed ECDSA P-256
// certificate made once per process, whose SHA-256 fingerprint goes into
// every DTLS-SRTP offer and answer. Nothing about it is secret beyond the
// private key, which never leaves memory; a new process makes a new one
// (the fingerprint is what the peer checks, not a name or a chain).

// dtlsCertLife is how long the process's certificate is used before a
// fresh one is made.
const dtlsCertLife = 30 * 24 * time.Hour

var dtlsIdentity struct {
	mu   sync.Mutex
	cert tls.Certificate
	fp   []byte // SHA-256 of cert's DER
	made time.Time
}

// localDTLSCert returns the process's certificate and its SHA-256
// fingerprint, made on first use (and again after dtlsCertLife).
func localDTLSCert() (tls.Certificate, []byte, error) {
	id := &dtlsIdentity
	id.mu.Lock()
	defer id.mu.Unlock()
	if id.fp != nil && time.Since(id.made) < dtlsCertLife {
		return id.cert, id.fp, nil
	}
	cert, err := newDTLSCert(time.Now())
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	sum := sha256.Sum256(cert.Certificate[0])
	id.cert, id.fp, id.made = cert, sum[:], time.Now()
	return id.cert, id.fp, nil
}

// newDTLSCert makes a self-signed ECDSA P-256 certificate valid around now.
func newDTLSCert(now time.Time) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("DTLS certificate: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("DTLS certificate: %w", err)
	}
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: "sipbell"},
		NotBefore: now.Add(-24 * time.Hour), NotAfter: now.Add(dtlsCertLife + 24*time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("DTLS certificate: %w", err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}

// formatFingerprint writes a SHA-256 fingerprint as an a=fingerprint value
// ("sha-256 AB:CD:...", RFC 8122 §5).
func formatFingerprint(sum []byte) string {
	h := strings.ToUpper(hex.EncodeToString(sum))
	var b strings.Builder
	b.WriteString("sha-256 ")
	for i := 0; i < len(h); i += 2 {
		if i > 0 {
			b.WriteByte(':')
		}
		b.WriteString(h[i : i+2])
	}
	return b.String()
}

// parseFingerprint reads an a=fingerprint value; only sha-256 is taken
// (ok false for another hash function or a malformed value).
func parseFingerprint(v string) ([]byte, bool) {
	alg, hexed, found := strings.Cut(strings.TrimSpace(v), " ")
	if !found || !strings.EqualFold(alg, "sha-256") {
		return nil, false
	}
	sum, err := hex.DecodeString(strings.ReplaceAll(strings.TrimSpace(hexed), ":", ""))
	if err != nil || len(sum) != sha256.Size {
		return nil, false
	}
	return sum, true
}
