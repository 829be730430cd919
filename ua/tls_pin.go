package ua

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sipbell/sipbell/internal/cfgerr"
)

// Pinned server certificates (accounts' tls_pin_sha256): a server whose
// certificate has a pinned fingerprint is trusted as it is; any other is
// verified against the CAs as without pins.

// ErrNotPinned marks a server certificate that neither matches a pin nor
// chains to a trusted CA.
var ErrNotPinned = errors.New("certificate not trusted")

// parsePin reads a SHA-256 fingerprint: 64 hex digits, colons and a
// "SHA-256 " (or "sha256 Fingerprint=") prefix allowed.
func parsePin(s string) ([sha256.Size]byte, error) {
	var pin [sha256.Size]byte
	v := strings.TrimSpace(s)
	if i := strings.LastIndexAny(v, " ="); i >= 0 {
		v = v[i+1:]
	}
	b, err := hex.DecodeString(strings.ReplaceAll(v, ":", ""))
	if err != nil || len(b) != sha256.Size {
		return pin, fmt.Errorf("parse pin %q: want a SHA-256 fingerprint (64 hex digits)", s)
	}
	copy(pin[:], b)
	return pin, nil
}

// validatePin checks the account's tls_pin_sha256.
func (a *Account) validatePin(errs *cfgerr.List) {
	if a.TLSPinSHA256 == "" {
		return
	}
	if _, err := parsePin(a.TLSPinSHA256); err != nil {
		errs.Add("tls_pin_sha256", "%v", err)
	}
	if a.transport() != "tls" {
		errs.Add("tls_pin_sha256", "only used with transport tls")
	}
}

// pinTLS returns c verifying servers itself when an account pins a
// certificate: the pinned one is trusted, others as crypto/tls would.
func pinTLS(c *tls.Config, accs []Account) *tls.Config {
	pins := map[[sha256.Size]byte]bool{}
	for _, a := range accs {
		if p, err := parsePin(a.TLSPinSHA256); err == nil && a.TLSPinSHA256 != "" {
			pins[p] = true
		}
	}
	if len(pins) == 0 {
		return c
	}
	c = c.Clone()
	roots, now := c.RootCAs, c.Time
	c.InsecureSkipVerify = true // VerifyConnection below does the verification
	c.VerifyConnection = func(cs tls.ConnectionState) error {
		if len(cs.PeerCertificates) == 0 {
			return fmt.Errorf("verify %s: %w: no certificate", cs.ServerName, ErrNotPinned)
		}
		leaf := cs.PeerCertificates[0]
		if pins[sha256.Sum256(leaf.Raw)] {
			return nil
		}
		opts := x509.VerifyOptions{Roots: roots, DNSName: cs.ServerName, Intermediates: x509.NewCertPool()}
		if now != nil {
			opts.CurrentTime = now()
		} else {
			opts.CurrentTime = time.Now()
		}
		for _, ic := range cs.PeerCertificates[1:] {
			opts.Intermediates.AddCert(ic)
		}
		if _, err := leaf.Verify(opts); err != nil {
			return fmt.Errorf("verify %s (%s): %w: %w", cs.ServerName, Fingerprint(leaf.Raw), ErrNotPinned, err)
		}
		return nil
	}
	return c
}
