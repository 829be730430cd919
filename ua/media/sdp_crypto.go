package media

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/pion/sdp/v3"
)

// SDES offer/answer (RFC 4568): which calls carry a=crypto keys, which
// suite is chosen, and the SRTP transform the negotiation yields
// (Negotiated.SRTP). Keys are made fresh for each call from crypto/rand
// and travel only in SIP over TLS: SetSRTP is told whether the call's
// signalling is, and a call that would put keys on a plain transport gets
// none (optional) or is refused (mandatory).

// SRTPPolicy says whether a call's media is encrypted.
type SRTPPolicy string

// SRTP policies. Optional is best effort as baresip's "srtp" does it:
// the offer is RTP/AVP with a=crypto, so a peer without SRTP still
// answers (in clear) and one with SRTP encrypts; offers with keys are
// answered with keys. Mandatory offers RTP/SAVP with a=crypto (as
// baresip's "srtp-mand" and PBXs with SRTP required expect) and refuses
// plain offers and plain answers. DTLS is mandatory too, but offers
// DTLS-SRTP (UDP/TLS/RTP/SAVP with a=fingerprint, RFC 5763) instead of
// keys; every policy but off answers a DTLS-SRTP offer (dtls_sdp.go).
const (
	SRTPOff       SRTPPolicy = "off"
	SRTPOptional  SRTPPolicy = "optional"
	SRTPMandatory SRTPPolicy = "mandatory"
	SRTPDTLS      SRTPPolicy = "dtls"
)

// Valid reports whether p is a known policy ("" counts as off).
func (p SRTPPolicy) Valid() bool {
	return p == "" || p == SRTPOff || p == SRTPOptional || p == SRTPMandatory || p == SRTPDTLS
}

// Required reports whether the policy refuses plain RTP.
func (p SRTPPolicy) Required() bool { return p == SRTPMandatory || p == SRTPDTLS }

// Stricter returns the stricter of p and q.
func (p SRTPPolicy) Stricter(q SRTPPolicy) SRTPPolicy {
	rank := func(x SRTPPolicy) int { return map[SRTPPolicy]int{SRTPOptional: 1, SRTPMandatory: 2, SRTPDTLS: 3}[x] }
	if rank(q) > rank(p) {
		return q
	}
	return p
}

// ErrSRTPRequired is wrapped when SRTP is mandatory and the peer offered
// or answered plain RTP, or the signalling is not TLS.
var ErrSRTPRequired = errors.New("SRTP required")

// ErrSRTPRefused is wrapped when an offer asks for SRTP the device will
// not do: policy off, keys that came over a plain transport, or no suite
// sipbell supports.
var ErrSRTPRefused = errors.New("SRTP offer refused")

// sdesState is one call's SDES state, kept across re-INVITEs so that the
// keys (and the transform's replay state) stay the same.
type sdesState struct {
	policy SRTPPolicy
	secure bool     // the call's SIP is over TLS
	keys   []Crypto // ours, one per suite, made when first needed
	offer  bool     // the last offer carried keys
	local  Crypto
	remote Crypto
	tr     *SRTP

	offerDTLS bool  // the last offer was DTLS-SRTP (dtls_sdp.go)
	dtls      *SRTP // the DTLS-SRTP association, kept across re-INVITEs
}

// SetSRTP sets the call's policy and whether its signalling is over TLS.
// Mandatory SRTP without TLS fails (ErrSRTPRequired): the keys would be
// readable by anyone on the path.
func (s *SDP) SetSRTP(policy SRTPPolicy, secure bool) error {
	if !policy.Valid() {
		return fmt.Errorf("set SRTP policy %q: %w: want off, optional, mandatory or dtls", policy, ErrSRTPRefused)
	}
	if policy.Required() && !secure {
		return fmt.Errorf("set SRTP policy %s: %w: the call's SIP is not over TLS (SDES keys are never sent in clear)", policy, ErrSRTPRequired)
	}
	s.sdes.policy, s.sdes.secure = policy, secure
	return nil
}

// HasCryptoKeys reports whether an SDP body carries a=crypto keys.
func HasCryptoKeys(body []byte) bool {
	return bytes.Contains(body, []byte("\na=crypto:")) || bytes.HasPrefix(body, []byte("a=crypto:"))
}

// sendsKeys reports whether our SDP carries keys at all.
func (c *sdesState) sendsKeys() bool {
	return c.secure && (c.policy == SRTPOptional || c.policy.Required())
}

// key returns our key for suite with tag, made on first use.
func (c *sdesState) key(tag int, suite string) (Crypto, error) {
	for _, k := range c.keys {
		if k.Suite == suite {
			return Crypto{Tag: tag, Suite: suite, KeySalt: k.KeySalt}, nil
		}
	}
	k, err := NewCrypto(tag, suite)
	if err != nil {
		return Crypto{}, err
	}
	c.keys = append(c.keys, k)
	return k, nil
}

// transform returns the SRTP transform for our key local and the peer's
// remote, the same one as before when neither changed.
func (c *sdesState) transform(local, remote Crypto) (*SRTP, error) {
	if c.tr != nil && local.Suite == c.local.Suite && bytes.Equal(local.KeySalt, c.local.KeySalt) &&
		remote.Suite == c.remote.Suite && bytes.Equal(remote.KeySalt, c.remote.KeySalt) {
		return c.tr, nil
	}
	tr, err := NewSRTP(local, remote)
	if err != nil {
		return nil, err
	}
	c.local, c.remote, c.tr = local, remote, tr
	return tr, nil
}

// offerCrypto adds our keys to the offer's audio stream m, one per
// suite in order of preference (RTP/SAVP when mandatory).
func (s *SDP) offerCrypto(m *sdp.MediaDescription) error {
	c := &s.sdes
	c.offer = c.sendsKeys()
	if c.policy.Required() && !c.secure {
		return fmt.Errorf("SDP offer: %w: the call's SIP is not over TLS", ErrSRTPRequired)
	}
	if c.offerDTLS = c.offer && c.policy == SRTPDTLS; c.offerDTLS {
		return c.offerFingerprint(m) // dtls_sdp.go
	}
	if !c.offer {
		return nil
	}
	if c.policy == SRTPMandatory {
		m.MediaName.Protos = []string{"RTP", "SAVP"}
	}
	for i, su := range suites {
		k, err := c.key(i+1, su.name)
		if err != nil {
			return fmt.Errorf("SDP offer: %w", err)
		}
		m.Attributes = append(m.Attributes, sdp.NewAttribute("crypto", k.String()))
	}
	return nil
}

// offeredCrypto returns the first a=crypto of m that sipbell supports,
// and whether m had any.
func offeredCrypto(m *sdp.MediaDescription) (Crypto, bool, error) {
	var firstErr error
	found := false
	for _, a := range m.Attributes {
		if a.Key != "crypto" {
			continue
		}
		found = true
		k, err := ParseCrypto(a.Value)
		if err == nil {
			return k, true, nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	if !found {
		return Crypto{}, false, nil
	}
	return Crypto{}, true, firstErr
}

// answerCrypto decides the SRTP of the offered stream m whose answer is
// md: it adds our key for the first offered suite sipbell supports and
// returns the transform, nil for a plain call, or an error when the offer
// cannot be taken under the policy.
func (s *SDP) answerCrypto(od *sdp.SessionDescription, m, md *sdp.MediaDescription) (*SRTP, error) {
	c := &s.sdes
	if isDTLSProto(m) {
		return s.answerFingerprint(od, m, md) // dtls_sdp.go
	}
	savp := strings.EqualFold(strings.Join(m.MediaName.Protos, "/"), "RTP/SAVP")
	remote, hasKeys, err := offeredCrypto(m)
	switch {
	case savp && (c.policy == "" || c.policy == SRTPOff):
		return nil, fmt.Errorf("%w: %w: RTP/SAVP offered, SRTP is off here", ErrSRTPRefused, ErrNoCommonCodec)
	case (savp || hasKeys) && !c.secure && c.policy.Required():
		return nil, fmt.Errorf("%w: SRTP keys offered over a transport that is not TLS", ErrSRTPRequired)
	case savp && !c.secure:
		return nil, fmt.Errorf("%w: SRTP keys offered over a transport that is not TLS", ErrSRTPRefused)
	case !hasKeys && c.policy.Required():
		return nil, fmt.Errorf("%w: the offer is plain RTP (no a=crypto)", ErrSRTPRequired)
	case !hasKeys || !c.sendsKeys():
		return nil, nil // plain: keys from a plain transport are not used
	case err != nil && (savp || c.policy.Required()):
		return nil, fmt.Errorf("%w: %w", ErrSRTPRefused, err)
	case err != nil:
		return nil, nil // optional: no suite in common, plain RTP/AVP
	}
	local, err := c.key(remote.Tag, remote.Suite)
	if err != nil {
		return nil, err
	}
	tr, err := c.transform(local, remote)
	if err != nil {
		return nil, err
	}
	md.MediaName.Protos = m.MediaName.Protos
	md.Attributes = append(md.Attributes, sdp.NewAttribute("crypto", local.String()))
	return tr, nil
}

// answeredCrypto reads the a=crypto of the peer's answer m to our offer:
// the transform when it took one of our suites, nil for a plain answer
// (an error when SRTP is mandatory).
func (s *SDP) answeredCrypto(ad *sdp.SessionDescription, m *sdp.MediaDescription) (*SRTP, error) {
	c := &s.sdes
	if !c.offer {
		return nil, nil
	}
	if c.offerDTLS {
		return s.answeredFingerprint(ad, m) // dtls_sdp.go
	}
	remote, hasKeys, err := offeredCrypto(m)
	switch {
	case !hasKeys && c.policy.Required():
		return nil, fmt.Errorf("%w: the peer answered plain RTP (no a=crypto)", ErrSRTPRequired)
	case !hasKeys:
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("%w: %w", ErrSRTPRefused, err)
	}
	for i, su := range suites { // offerCrypto tagged them 1, 2, 3
		if su.name == remote.Suite && remote.Tag == i+1 {
			local, err := c.key(remote.Tag, remote.Suite)
			if err != nil {
				return nil, err
			}
			return c.transform(local, remote)
		}
	}
	return nil, fmt.Errorf("%w: answer's a=crypto %d %s is not one we offered", ErrSRTPRefused, remote.Tag, remote.Suite)
}
