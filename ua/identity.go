package ua

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
)

// This file decides who a request is from, as far as it can be verified,
// and whether it is admitted at all. The From header is never an
// identity: a caller is whoever a trusted proxy asserts (RFC 3325), the
// sip.callers user whose password answered our own digest challenge, or
// the sip.callers user bound to the source address.

// Verification says how a caller's identity was established.
type Verification int

// How an identity was verified.
const (
	// Unverified: nothing was; the From header is a claim only.
	Unverified Verification = iota
	// ByProxy: a trusted proxy (the address and port of an account's
	// registrar, failover or outbound proxy; over TLS the connection to
	// it whose certificate verified) asserted it in P-Asserted-Identity.
	ByProxy
	// ByDigest: the caller answered the user agent's own digest challenge
	// with the password of a sip.callers entry.
	ByDigest
	// ByNetwork: the source address is the one a sip.callers entry
	// without a password is bound to.
	ByNetwork
	// ByCertificate: the caller's TLS connection showed the client
	// certificate a sip.callers entry's tls_sha256 names.
	ByCertificate
)

// String names the verification for logs: "none", "proxy", "digest", "network".
func (v Verification) String() string {
	switch v {
	case ByProxy:
		return "proxy"
	case ByDigest:
		return "digest"
	case ByNetwork:
		return "network"
	case ByCertificate:
		return "certificate"
	}
	return "none"
}

// Caller is who an incoming request is from, as far as it was verified.
type Caller struct {
	// Identity is the verified identity: the URI a trusted proxy asserted
	// ("sip:alice@pbx.example", ByProxy) or a sip.callers user ("alice",
	// ByDigest, ByNetwork); "" when Unverified.
	Identity string
	// Via says how Identity was verified.
	Via Verification
	// Claimed is the From URI: for display, never for a decision.
	Claimed string
	// Name is the display name of the P-Asserted-Identity a trusted proxy
	// asserted (ByProxy only; "" otherwise), bounded to 64 bytes: for
	// display (caller ID), never for a decision.
	Name string
	// Source is the address the request came from.
	Source netip.AddrPort
	// Trusted: the request came from a trusted proxy.
	Trusted bool
}

// Verified reports whether the caller has a verified identity.
func (c Caller) Verified() bool { return c.Identity != "" && c.Via != Unverified }

// String describes the caller for logs.
func (c Caller) String() string {
	if c.Verified() {
		return c.Identity + " (verified by " + c.Via.String() + ")"
	}
	return c.Claimed + " (unverified)"
}

// nonceLife bounds how long a digest challenge may be answered.
const nonceLife = time.Minute

// digestRealm is the realm of the user agent's own challenges.
const digestRealm = "sipbell"

// identityState is what identity checks keep: the key that signs nonces
// (so challenges need no table), the allow_from host names resolved once,
// and the per-source limit of refusal log lines.
type identityState struct {
	once     sync.Once
	key      [32]byte
	hostNets []netip.Prefix // allow_from host names, resolved
	refusals *LogLimiter
	uses     nonceUses // nonce counts accepted (nonce.go)
}

func (u *UA) ident() *identityState {
	s := &u.identity
	s.once.Do(func() {
		_, _ = rand.Read(s.key[:])
		s.refusals = NewLogLimiter(u.log, u.clock, time.Minute, 256)
		for _, e := range u.allow {
			if !e.prefix.IsValid() && e.user == "" {
				for _, ip := range lookupIPs(e.host) {
					s.hostNets = append(s.hostNets, netip.PrefixFrom(ip, ip.BitLen()))
				}
			}
		}
	})
	return s
}

// admit decides whether req may start something here and who it is from.
// It answers a request it does not admit (401 with a challenge, or 403)
// and then reports false.
func (u *UA) admit(req *sip.Request, tx sip.ServerTransaction) (Caller, bool) {
	c, v := u.identify(req)
	switch v.code {
	case 0:
		return c, true
	case 401:
		if v.why != "" {
			u.refused(req, c, v.why)
		}
		ch := digest.Challenge{Realm: digestRealm, Nonce: u.nonce(c.Source, req, u.clock.Now()),
			Algorithm: "MD5", QOP: []string{"auth"}, Stale: v.stale}
		u.respond(tx, req, 401, sip.NewHeader("WWW-Authenticate", ch.String()))
	default:
		u.refused(req, c, v.why)
		u.respond(tx, req, 403)
	}
	tx.Terminate() // no retransmissions, no state kept for scanners
	return c, false
}

// refused logs a refusal once per source per minute (the rest are
// summed up).
func (u *UA) refused(req *sip.Request, c Caller, why string) {
	u.ident().refusals.Log(slog.LevelWarn, c.Source.Addr().String(), "request refused: "+why,
		"from", c.Claimed, "method", req.Method.String())
}

// verdict is identify's decision: code 0 admits, 401 challenges (stale:
// the answer used an old nonce), 403 refuses for why.
type verdict struct {
	code  int
	stale bool
	why   string
}

var (
	admitOK     = verdict{}
	challenge   = verdict{code: 401}
	notAllowed  = verdict{code: 403, why: "caller not allowed"}
	badPassword = verdict{code: 403, why: "digest authentication failed"}
	replayed    = verdict{code: 401, why: "digest answer replayed (nonce count not above the last one accepted)"}
)

// identify verifies who req is from and decides whether it is admitted.
func (u *UA) identify(req *sip.Request) (Caller, verdict) {
	c := Caller{Claimed: fromURI(req)}
	src, err := netip.ParseAddrPort(req.Source())
	if err != nil {
		return c, notAllowed
	}
	c.Source = netip.AddrPortFrom(src.Addr().Unmap(), src.Port())
	ip := c.Source.Addr()
	if u.Trusted(c.Source) {
		c.Trusted = true
		if id := assertedIdentity(req); id != "" {
			c.Identity, c.Via, c.Name = id, ByProxy, assertedName(req)
		}
		return c, admitOK
	}
	// From here on a P-Asserted-Identity is ignored: only a trusted proxy
	// may assert one (RFC 3325 §5).
	if k, ok := u.certCaller(req, c.Source); ok { // tls_callers.go
		c.Identity, c.Via = k.User, ByCertificate
		return c, admitOK
	}
	if h := req.GetHeader("Authorization"); h != nil {
		user, res := u.checkDigest(req, h.Value(), c.Source)
		switch res {
		case digestOK:
			c.Identity, c.Via = user, ByDigest
			return c, admitOK
		case digestStale:
			return c, verdict{code: 401, stale: true}
		case digestForeign:
			return c, challenge
		case digestReplayed:
			return c, replayed
		}
		return c, badPassword
	}
	claimed := ""
	if f := req.From(); f != nil {
		claimed = f.Address.User
	}
	mayChallenge := false
	for _, k := range u.cfg.Callers {
		if k.Password == "" || !k.from(ip) {
			continue
		}
		if k.User == claimed {
			return c, challenge // the caller says who it is: it proves it
		}
		mayChallenge = true
	}
	if k, ok := u.networkCaller(ip, claimed); ok {
		c.Identity, c.Via = k.User, ByNetwork
		return c, admitOK
	}
	if u.networkAllowed(ip) {
		return c, admitOK
	}
	if mayChallenge {
		// Whoever else may call from here is challenged too, whatever user
		// it claims, so that the answer tells a scanner no user name.
		return c, challenge
	}
	return c, notAllowed
}

// networkCaller finds the sip.callers entry without a password or a
// certificate bound to ip, preferring the one named claimed.
func (u *UA) networkCaller(ip netip.Addr, claimed string) (KnownCaller, bool) {
	var found *KnownCaller
	for i := range u.cfg.Callers {
		k := &u.cfg.Callers[i]
		if k.Password != "" || k.TLSSHA256 != "" || !k.from(ip) {
			continue
		}
		if found == nil || k.User == claimed {
			found = k
		}
	}
	if found == nil {
		return KnownCaller{}, false
	}
	return *found, true
}

// networkAllowed reports whether allow_from admits ip: by network, or by
// a host name's address.
func (u *UA) networkAllowed(ip netip.Addr) bool {
	for _, e := range u.allow {
		if e.prefix.IsValid() && e.prefix.Contains(ip) {
			return true
		}
	}
	for _, p := range u.ident().hostNets {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// admitted reports whether a request that cannot be challenged (NOTIFY)
// comes from a trusted proxy or an admitted network.
func (u *UA) admitted(req *sip.Request) bool {
	_, v := u.identify(req)
	return v.code == 0
}

// assertedIdentity returns the first sip: or sips: URI of the request's
// P-Asserted-Identity headers as sip:user@host, "" when there is none.
func assertedIdentity(req *sip.Request) string {
	for _, h := range req.GetHeaders("P-Asserted-Identity") {
		for _, v := range splitAddrs(h.Value()) {
			var uri sip.Uri
			if err := sip.ParseUri(v, &uri); err != nil || uri.User == "" || uri.Host == "" {
				continue
			}
			if s := strings.ToLower(uri.Scheme); s != "sip" && s != "sips" {
				continue
			}
			return "sip:" + uri.User + "@" + strings.ToLower(uri.Host)
		}
	}
	return ""
}

// maxName bounds an asserted display name.
const maxName = 64

// assertedName is the display name of the first P-Asserted-Identity
// entry with one (a quoted string or a token before '<'), "" when none.
func assertedName(req *sip.Request) string {
	for _, h := range req.GetHeaders("P-Asserted-Identity") {
		v := strings.TrimSpace(h.Value())
		i := strings.IndexByte(v, '<')
		if i <= 0 {
			continue
		}
		name := strings.TrimSpace(v[:i])
		if len(name) >= 2 && name[0] == '"' && name[len(name)-1] == '"' {
			name = strings.ReplaceAll(name[1:len(name)-1], `\"`, `"`)
		}
		if len(name) > maxName {
			name = name[:maxName]
		}
		return name
	}
	return ""
}

// splitAddrs splits a header value of name-addrs or addr-specs at the
// commas outside <> and quotes, returning the URIs.
func splitAddrs(v string) []string {
	var out []string
	depth, quoted, start := 0, false, 0
	emit := func(part string) {
		part = strings.TrimSpace(part)
		if i := strings.IndexByte(part, '<'); i >= 0 {
			if j := strings.IndexByte(part[i:], '>'); j > 0 {
				part = part[i+1 : i+j]
			}
		} else if k := strings.IndexByte(part, ';'); k >= 0 {
			part = part[:k]
		}
		if part != "" {
			out = append(out, part)
		}
	}
	for i := 0; i < len(v); i++ {
		switch v[i] {
		case '"':
			quoted = !quoted
		case '<':
			if !quoted {
				depth++
			}
		case '>':
			if !quoted && depth > 0 {
				depth--
			}
		case ',':
			if !quoted && depth == 0 {
				emit(v[start:i])
				start = i + 1
			}
		}
		if len(out) >= 4 { // an identity has at most two URIs (RFC 3325 §9.1)
			return out
		}
	}
	emit(v[start:])
	return out
}

// nonce signs the time, the source address and the Call-ID, so an answer
// is only good from the same address for the same call, for nonceLife,
// and the user agent keeps no table of challenges.
func (u *UA) nonce(src netip.AddrPort, req *sip.Request, now time.Time) string {
	var ts [8]byte
	binary.BigEndian.PutUint64(ts[:], uint64(now.UnixNano()))
	return base64.RawURLEncoding.EncodeToString(append(ts[:], u.nonceMAC(ts[:], src, req)...))
}

func (u *UA) nonceMAC(ts []byte, src netip.AddrPort, req *sip.Request) []byte {
	m := hmac.New(sha256.New, u.ident().key[:])
	m.Write(ts)
	m.Write(src.Addr().AsSlice())
	if id := req.CallID(); id != nil {
		m.Write([]byte(id.Value()))
	}
	return m.Sum(nil)[:16]
}

// maxAuthorization bounds the Authorization header looked at.
const maxAuthorization = 2048

// digestResult is what an Authorization header proved.
type digestResult int

const (
	digestBad      digestResult = iota // wrong user or password: refused
	digestOK                           // verified
	digestStale                        // our nonce, too old: challenged again (stale=true)
	digestForeign                      // not a nonce we gave this call: challenged again
	digestReplayed                     // a nonce count already accepted: challenged again
)

// checkDigest verifies an Authorization header against sip.callers and
// returns the caller's user name.
func (u *UA) checkDigest(req *sip.Request, value string, src netip.AddrPort) (string, digestResult) {
	if len(value) > maxAuthorization {
		return "", digestBad
	}
	cred, err := digest.ParseCredentials(value)
	if err != nil {
		return "", digestBad
	}
	raw, err := base64.RawURLEncoding.DecodeString(cred.Nonce)
	if err != nil || len(raw) != 8+16 || !hmac.Equal(raw[8:], u.nonceMAC(raw[:8], src, req)) {
		return "", digestForeign // not ours, or for another call or address
	}
	issued := time.Unix(0, int64(binary.BigEndian.Uint64(raw[:8])))
	if age := u.clock.Now().Sub(issued); age < 0 || age > nonceLife {
		return "", digestStale
	}
	var k *KnownCaller
	for i := range u.cfg.Callers {
		if c := &u.cfg.Callers[i]; c.User == cred.Username && c.Password != "" && c.from(src.Addr()) {
			k = c
		}
	}
	if k == nil || cred.Realm != digestRealm || (cred.Algorithm != "" && !strings.EqualFold(cred.Algorithm, "MD5")) {
		return "", digestBad
	}
	ch := &digest.Challenge{Realm: digestRealm, Nonce: cred.Nonce, Algorithm: cred.Algorithm}
	if cred.QOP != "" {
		ch.QOP = []string{cred.QOP}
	}
	want, err := digest.Digest(ch, digest.Options{Method: req.Method.String(), URI: cred.URI,
		Username: k.User, Password: k.Password, Cnonce: cred.Cnonce, Count: cred.Nc})
	if err != nil || subtle.ConstantTimeCompare([]byte(want.Response), []byte(strings.ToLower(cred.Response))) != 1 {
		return "", digestBad
	}
	switch u.ident().uses.use(cred.Nonce, cred.Nc, issued, u.clock.Now()) {
	case nonceReplayed:
		return "", digestReplayed
	case nonceForgotten:
		return "", digestStale
	}
	return k.User, digestOK
}

// from reports whether the caller may call from ip: anywhere when it
// names no networks.
func (k KnownCaller) from(ip netip.Addr) bool {
	if len(k.Networks) == 0 {
		return true
	}
	for _, n := range k.Networks {
		if p, err := parseNetwork(n); err == nil && p.Contains(ip) {
			return true
		}
	}
	return false
}

// parseNetwork reads "10.0.0.0/8" or a single address.
func parseNetwork(s string) (netip.Prefix, error) {
	if p, err := netip.ParsePrefix(s); err == nil {
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// sameParty reports whether an in-dialog request of call c comes from
// where its verified caller does: a trusted proxy for a call that came
// through one, the caller's own address otherwise, so that nobody else
// can slip door codes (SIP INFO) into the call. Outgoing calls (and
// calls a transfer handed to a party we called) are not checked.
func (u *UA) sameParty(c *call, req *sip.Request) bool {
	if !c.incoming || c.isTransferred() {
		return true
	}
	src, err := netip.ParseAddrPort(req.Source())
	if err != nil {
		return false
	}
	src = netip.AddrPortFrom(src.Addr().Unmap(), src.Port())
	if c.caller.Trusted {
		return u.Trusted(src)
	}
	return src.Addr() == c.caller.Source.Addr()
}

// refuseInDialog answers 403 to an in-dialog request from elsewhere than
// its call's caller, and logs it (rate-limited).
func (u *UA) refuseInDialog(req *sip.Request, tx sip.ServerTransaction) {
	src, _ := netip.ParseAddrPort(req.Source())
	u.refused(req, Caller{Claimed: fromURI(req), Source: src}, "in-dialog request from another source than the caller")
	u.respond(tx, req, 403)
}

// warnIdentityConfig says at start which allow_from entries no longer
// admit anyone: caller URIs, which could only be matched against the
// From header a caller writes.
func (u *UA) warnIdentityConfig() {
	for i, e := range u.allow {
		if e.prefix.IsValid() || e.user == "" {
			continue
		}
		u.log.Warn("sip.allow_from entry admits nobody: a From header proves nothing; "+
			"list the caller in sip.callers (password and/or networks), or allow its network",
			"entry", u.cfg.AllowFrom[i])
	}
}
