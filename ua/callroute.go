package ua

import (
	"context"
	"strings"

	"github.com/emiago/sipgo/sip"
	"github.com/sipbell/sipbell/ua/sipdns"
)

// hopKey carries the server an INVITE goes to (a routedHop) in its
// context, from inviteEach to routeInvite.
type hopKey struct{}

// routedHop is a server DNS gave and, for TLS, the name its certificate
// must carry (RFC 5922: the SIP domain, or tls_server_name).
type routedHop struct {
	sipdns.Hop
	name string
	more bool // further hops follow: the INVITE is given up sooner (invitehop.go)
}

// callHops returns the servers an INVITE to target may go to, in the
// order to try them, when DNS chooses them (RFC 3263): for a call through
// the first account, its outbound proxy's or registrar's (starting with
// the one the registration uses); for a direct call to a domain name,
// that name's (a sips: target or transport=tls: over TLS only). name is
// what a TLS server's certificate must carry. false when ctx already
// carries a hop, or no DNS is involved (an IP address).
func (u *UA) callHops(ctx context.Context, target sip.Uri) (hops []sipdns.Hop, name string, ok bool) {
	if _, ok := ctx.Value(hopKey{}).(routedHop); ok {
		return nil, "", false
	}
	if sv, tr, explicit, ok := u.viaAccount(target); ok {
		if !usesDNS(sv, tr) {
			return nil, "", false
		}
		name = tlsServerName(u.cfg.Accounts[0], sv)
		if hops := u.registrationHops(sv); len(hops) > 0 {
			return hops, name, true
		}
		hops, err := u.resolveServer(ctx, sv, []string{tr}, explicit)
		if err != nil {
			u.log.Warn("call: the account's server is not found in DNS", "server", sv.Host, "err", err)
		}
		return hops, name, len(hops) > 0
	}
	tr, _ := target.UriParams.Get("transport")
	tr = strings.ToLower(tr)
	sv := server{Host: target.Host, Port: target.Port, TLS: strings.EqualFold(target.Scheme, "sips")}
	if !usesDNS(sv, tr) {
		return nil, "", false
	}
	supported := []string{"udp", "tcp"}
	if sv.TLS || tr == "tls" {
		supported = []string{"tls"}
	}
	ctx, cancel := context.WithTimeout(ctx, dnsTimeout)
	defer cancel()
	hops, err := u.dns.Resolve(ctx, sipdns.Query{Host: sv.Host, Port: sv.Port, Transport: tr, Secure: sv.TLS, Supported: supported})
	if err != nil {
		u.log.Info("call: target not found in DNS", "host", sv.Host, "err", err)
	}
	return hops, sv.Host, len(hops) > 0
}

// tlsServerName is the name a TLS certificate of server sv of account a
// must carry: tls_server_name, else the SIP domain (RFC 5922 §4.1).
func tlsServerName(a Account, sv server) string {
	if a.TLSServerName != "" {
		return a.TLSServerName
	}
	return sv.Host
}

// viaAccount reports whether a call to target goes through the first
// account (as inviteRequest decides: a target in its domain, or any
// target when it has an outbound proxy), and to which server.
func (u *UA) viaAccount(target sip.Uri) (sv server, transport string, explicit, ok bool) {
	if len(u.cfg.Accounts) == 0 {
		return server{}, "", false, false
	}
	a := u.cfg.Accounts[0]
	aor := newAOR(a)
	if !(strings.EqualFold(target.Host, aor.Host) && (target.Port == aor.Port || target.Port == 0) || a.OutboundProxy != "") {
		return server{}, "", false, false
	}
	via := a.OutboundProxy
	if via == "" {
		via = a.Registrar
	}
	sv, err := parseServer(via, a.transport())
	return sv, a.transport(), a.Transport != "", err == nil
}

// registrationHops returns the hops of the first account's registration
// for server sv, starting with the one in use.
func (u *UA) registrationHops(sv server) []sipdns.Hop {
	u.mu.Lock()
	var r *regLoop
	if len(u.regs) > 0 {
		r = u.regs[0]
	}
	u.mu.Unlock()
	if r == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	si := max(r.current, 0)
	if r.target(si) != sv {
		return nil
	}
	rt := r.routes[si]
	return append(append([]sipdns.Hop(nil), rt.hops[rt.at:]...), rt.hops[:rt.at]...)
}

// inviteEach runs try once per hop until one does not fail with a
// timeout, a transport error or a 503 (inviteOnce reports all three as
// 503), RFC 3263 §4.3.
func (u *UA) inviteEach(ctx context.Context, c *call, hops []sipdns.Hop, name string, try func(context.Context) attempt) attempt {
	var a attempt
	for i, h := range hops {
		a = try(context.WithValue(ctx, hopKey{}, routedHop{h, name, i < len(hops)-1}))
		if a.dc != nil || a.code != 503 || ctx.Err() != nil || i == len(hops)-1 {
			return a
		}
		u.log.Info("call: trying the next server DNS gave", "call", c.id, "failed", h.String(), "reason", a.reason, "next", hops[i+1].String())
	}
	return a
}

// routeInvite sends req to the hop ctx carries, if any, over its
// transport, and returns the transport to use.
func (u *UA) routeInvite(ctx context.Context, req *sip.Request, transport string) string {
	h, ok := ctx.Value(hopKey{}).(routedHop)
	if !ok {
		return transport
	}
	req.SetDestination(u.names.dest(h.Hop, h.name))
	req.SetTransport(strings.ToUpper(h.Transport))
	return h.Transport
}
