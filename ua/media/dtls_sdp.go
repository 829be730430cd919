package media

import (
	"bytes"
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/pion/sdp/v3"
)

// DTLS-SRTP offer/answer (RFC 5763 §5, RFC 4145 roles, RFC 8842): the
// stream is UDP/TLS/RTP/SAVP(F) with a=fingerprint (the SHA-256 of the
// device's certificate) and a=setup. The offerer says actpass, the
// answerer takes active (it is the DTLS client) unless the offer said
// active. Fingerprints are only taken from SDP that came over TLS (the
// policy needs "secure", as SDES keys do): over plain SIP anyone on the
// path could put their own fingerprint in and sit in the middle.
//
// Negotiated.SRTP is then a DTLS descriptor: the session runs the
// handshake and installs the keyed transform (dtls_session.go).

// dtlsParams is a negotiated DTLS-SRTP association.
type dtlsParams struct {
	client   bool   // we are the DTLS client (a=setup:active)
	remoteFP []byte // the peer's a=fingerprint (sha-256)
	suite    atomic.Pointer[string]
}

// isDTLSProto reports whether m is UDP/TLS/RTP/SAVP or SAVPF.
func isDTLSProto(m *sdp.MediaDescription) bool {
	p := strings.ToUpper(strings.Join(m.MediaName.Protos, "/"))
	return p == "UDP/TLS/RTP/SAVP" || p == "UDP/TLS/RTP/SAVPF"
}

// attrOf returns attribute key of m, else of the session d.
func attrOf(d *sdp.SessionDescription, m *sdp.MediaDescription, key string) (string, bool) {
	if v, ok := m.Attribute(key); ok {
		return v, true
	}
	for _, a := range d.Attributes {
		if a.Key == key {
			return a.Value, true
		}
	}
	return "", false
}

// remoteFingerprint returns the first sha-256 a=fingerprint of m (or of
// the session).
func remoteFingerprint(d *sdp.SessionDescription, m *sdp.MediaDescription) ([]byte, bool) {
	for _, attrs := range [][]sdp.Attribute{m.Attributes, d.Attributes} {
		for _, a := range attrs {
			if a.Key != "fingerprint" {
				continue
			}
			if fp, ok := parseFingerprint(a.Value); ok {
				return fp, true
			}
		}
	}
	return nil, false
}

// addFingerprint puts our fingerprint and setup on m.
func addFingerprint(m *sdp.MediaDescription, setup string) error {
	_, fp, err := localDTLSCert()
	if err != nil {
		return fmt.Errorf("DTLS-SRTP: %w", err)
	}
	m.Attributes = append(m.Attributes, sdp.NewAttribute("fingerprint", formatFingerprint(fp)),
		sdp.NewAttribute("setup", setup))
	return nil
}

// offerFingerprint makes m a DTLS-SRTP offer: actpass, or the role of
// the association the call already has (a re-INVITE keeps it).
func (c *sdesState) offerFingerprint(m *sdp.MediaDescription) error {
	m.MediaName.Protos = []string{"UDP", "TLS", "RTP", "SAVP"}
	setup := "actpass"
	if c.dtls != nil {
		setup = setupOf(c.dtls.dtls.client)
	}
	return addFingerprint(m, setup)
}

func setupOf(client bool) string {
	if client {
		return "active"
	}
	return "passive"
}

// descriptor returns the call's DTLS association for role and the peer's
// fingerprint: the existing one when neither changed.
func (c *sdesState) descriptor(client bool, fp []byte) *SRTP {
	if d := c.dtls; d != nil && d.dtls.client == client && bytes.Equal(d.dtls.remoteFP, fp) {
		return d
	}
	c.dtls = &SRTP{dtls: &dtlsParams{client: client, remoteFP: fp}}
	return c.dtls
}

// answerFingerprint answers the DTLS-SRTP offer m (of od) in md.
func (s *SDP) answerFingerprint(od *sdp.SessionDescription, m, md *sdp.MediaDescription) (*SRTP, error) {
	c := &s.sdes
	switch {
	case c.policy == "" || c.policy == SRTPOff:
		return nil, fmt.Errorf("%w: %w: DTLS-SRTP offered, SRTP is off here", ErrSRTPRefused, ErrNoCommonCodec)
	case !c.secure:
		return nil, fmt.Errorf("%w: DTLS-SRTP fingerprint offered over a transport that is not TLS", ErrSRTPRefused)
	}
	fp, ok := remoteFingerprint(od, m)
	if !ok {
		return nil, fmt.Errorf("%w: DTLS-SRTP offer without a sha-256 a=fingerprint", ErrSRTPRefused)
	}
	setup, _ := attrOf(od, m, "setup")
	var client bool
	switch strings.ToLower(strings.TrimSpace(setup)) {
	case "actpass", "passive":
		client = true
	case "active", "": // RFC 4145 §4: no a=setup means active
		client = false
	default:
		return nil, fmt.Errorf("%w: DTLS-SRTP a=setup:%s", ErrSRTPRefused, setup)
	}
	if c.dtls != nil && strings.EqualFold(setup, "actpass") { // a re-offer keeps the roles
		client = c.dtls.dtls.client
	}
	md.MediaName.Protos = m.MediaName.Protos
	if err := addFingerprint(md, setupOf(client)); err != nil {
		return nil, err
	}
	return c.descriptor(client, fp), nil
}

// answeredFingerprint reads the peer's answer to our DTLS-SRTP offer.
func (s *SDP) answeredFingerprint(ad *sdp.SessionDescription, m *sdp.MediaDescription) (*SRTP, error) {
	c := &s.sdes
	if !isDTLSProto(m) {
		return nil, fmt.Errorf("%w: the peer answered %s, not DTLS-SRTP", ErrSRTPRequired, strings.Join(m.MediaName.Protos, "/"))
	}
	fp, ok := remoteFingerprint(ad, m)
	if !ok {
		return nil, fmt.Errorf("%w: DTLS-SRTP answer without a sha-256 a=fingerprint", ErrSRTPRefused)
	}
	setup, _ := attrOf(ad, m, "setup")
	switch strings.ToLower(strings.TrimSpace(setup)) {
	case "active", "": // the answerer is the client
		return c.descriptor(false, fp), nil
	case "passive":
		return c.descriptor(true, fp), nil
	}
	return nil, fmt.Errorf("%w: DTLS-SRTP answer with a=setup:%s", ErrSRTPRefused, setup)
}
