package ua

import (
	"strings"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
)

// regAuth is a registrar's digest challenge kept for the next REGISTERs
// (RFC 7616 §3.4: the nonce may be reused with nc counting), so that a
// refresh is one round trip when the registrar allows it.
type regAuth struct {
	server int
	proxy  bool // Proxy-Authenticate (407), else WWW-Authenticate (401)
	chal   *digest.Challenge
	nc     int
}

// maxNonceUses bounds how often one nonce is reused before a fresh
// challenge is let in.
const maxNonceUses = 1 << 16

// preauthorize adds credentials from the kept challenge of server si to
// req; it reports whether it did.
func (r *regLoop) preauthorize(req *sip.Request, si int) bool {
	r.mu.Lock()
	a := r.auth
	if a == nil || a.server != si || a.nc >= maxNonceUses {
		r.mu.Unlock()
		return false
	}
	a.nc++
	nc := a.nc
	r.mu.Unlock()
	cred, err := digest.Digest(a.chal, digest.Options{Method: string(sip.REGISTER), URI: req.Recipient.Addr(),
		Username: r.acc.authUser(), Password: r.acc.Password, Count: nc})
	if err != nil {
		return false
	}
	name := "Authorization"
	if a.proxy {
		name = "Proxy-Authorization"
	}
	req.AppendHeader(sip.NewHeader(name, cred.String()))
	return true
}

// keepChallenge keeps the challenge of res (a 401 or 407 that was then
// answered with credentials) for server si; nil forgets it.
func (r *regLoop) keepChallenge(si int, res *sip.Response) {
	var a *regAuth
	if res != nil {
		name, proxy := "WWW-Authenticate", res.StatusCode == 407
		if proxy {
			name = "Proxy-Authenticate"
		}
		if h := res.GetHeader(name); h != nil {
			if chal, err := digest.ParseChallenge(h.Value()); err == nil {
				chal.Algorithm = strings.ToUpper(chal.Algorithm)
				a = &regAuth{server: si, proxy: proxy, chal: chal, nc: 1}
			}
		}
	}
	r.mu.Lock()
	r.auth = a
	r.mu.Unlock()
}
