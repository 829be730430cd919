package ua

import (
	"strings"

	"github.com/emiago/sipgo/sip"
	"github.com/sipbell/sipbell/internal/cfgerr"
	"github.com/sipbell/sipbell/ua/media"
)

// SRTP policy of a call (SDES, ua/media/sdp_crypto.go): sip.srtp for
// calls made or taken directly, accounts[].srtp for calls through an
// account's registrar or proxy, and mandatory for a sips: target or
// Request-URI. Keys travel only in SIP over TLS: an account asking for
// SRTP on another transport is a configuration error, and a call whose
// SIP would not be TLS gets no keys (optional) or is refused (mandatory).

// validateSRTP checks sip.srtp and accounts[].srtp.
func (c *Config) validateSRTP(errs *cfgerr.List) {
	if !media.SRTPPolicy(c.SRTP).Valid() {
		errs.Add("srtp", "must be off, optional, mandatory or dtls, got %q", c.SRTP)
	}
	for i, a := range c.Accounts {
		p := cfgerr.Index("accounts", i) + ".srtp"
		switch {
		case !media.SRTPPolicy(a.SRTP).Valid():
			errs.Add(p, "must be off, optional, mandatory or dtls, got %q", a.SRTP)
		case a.SRTP != "" && a.SRTP != string(media.SRTPOff) && a.transport() != "tls":
			errs.Add(p, "%s needs transport tls (or a sips: registrar): SRTP keys are never sent over %s", a.SRTP, a.transport())
		}
	}
}

// srtpOutgoing returns the SRTP policy of a call to targets (the
// strictest of theirs) and whether every INVITE goes over TLS.
func (u *UA) srtpOutgoing(targets []sip.Uri) (media.SRTPPolicy, bool) {
	policy, secure := media.SRTPOff, len(targets) > 0
	for _, t := range targets {
		p := media.SRTPPolicy(u.cfg.SRTP)
		if _, _, _, ok := u.viaAccount(t); ok { // callroute.go
			p = media.SRTPPolicy(u.cfg.Accounts[0].SRTP)
		}
		if strings.EqualFold(t.Scheme, "sips") {
			p = p.Stricter(media.SRTPMandatory) // dtls stays dtls
		}
		policy = policy.Stricter(p)
		if _, _, transport := u.inviteRequest(t, nil, 0); transport != "tls" {
			secure = false
		}
	}
	return policy, secure
}

// srtpIncoming returns the SRTP policy of an incoming call and whether
// its INVITE came over TLS. A call through an account's proxy takes the
// strictest account policy, a direct one sip.srtp; a sips: Request-URI
// makes it mandatory.
func (u *UA) srtpIncoming(c *call, req *sip.Request) (media.SRTPPolicy, bool) {
	return u.srtpFor(c.caller, req)
}

// srtpFor is srtpIncoming for an INVITE from caller (a pickup's).
func (u *UA) srtpFor(caller Caller, req *sip.Request) (media.SRTPPolicy, bool) {
	policy := media.SRTPPolicy(u.cfg.SRTP)
	if caller.Trusted {
		policy = media.SRTPOff
		for _, a := range u.cfg.Accounts {
			policy = policy.Stricter(media.SRTPPolicy(a.SRTP))
		}
	}
	if strings.EqualFold(req.Recipient.Scheme, "sips") {
		policy = policy.Stricter(media.SRTPMandatory)
	}
	return policy, strings.EqualFold(req.Transport(), "TLS")
}
