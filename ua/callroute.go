package ua

import (
	"context"
	"strings"

	"github.com/emiago/sipgo/sip"
	"github.com/sipbell/sipbell/ua/sipdns"
)

// hopKey carries the server an INVITE goes to (a sipdns.Hop) in its
// context, from inviteEach to routeInvite.
type hopKey struct{}

// callHops returns the servers an INVITE to target may go to, in the
// order to try them, when DNS chooses them (RFC 3263): for a call through
// the first account, its outbound proxy's or registrar's (starting with
// the one the registration uses); for a direct call to a domain name,
// that name's. false when ctx already carries a hop, or no DNS is
// involved (an IP address; TLS, which keeps the name).
func (u *UA) callHops(ctx context.Context, target sip.Uri) ([]sipdns.Hop, bool) {
	if _, ok := ctx.Value(hopKey{}).(sipdns.Hop); ok {
		return nil, false
	}
	if sv, tr, explicit, ok := u.viaAccount(target); ok {
		if !usesDNS(sv, tr) {
			return nil, false
		}
		if hops := u.registrationHops(sv); len(hops) > 0 {
			return hops, true
		}
		hops, err := u.resolveServer(ctx, sv, []string{tr}, explicit)
		if err != nil {
			u.log.Warn("call: the account's server is not found in DNS", "server", sv.Host, "err", err)
		}
		return hops, len(hops) > 0
	}
	tr, _ := target.UriParams.Get("transport")
	tr = strings.ToLower(tr)
	sv := server{Host: target.Host, Port: target.Port, TLS: strings.EqualFold(target.Scheme, "sips")}
	if sv.TLS || !usesDNS(sv, tr) {
		return nil, false
	}
	ctx, cancel := context.WithTimeout(ctx, dnsTimeout)
	defer cancel()
	hops, err := u.dns.Resolve(ctx, sipdns.Query{Host: sv.Host, Port: sv.Port, Transport: tr, Supported: []string{"udp", "tcp"}})
	if err != nil {
		u.log.Info("call: target not found in DNS", "host", sv.Host, "err", err)
	}
	return hops, len(hops) > 0
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
func (u *UA) inviteEach(ctx context.Context, c *call, hops []sipdns.Hop, try func(context.Context) attempt) attempt {
	var a attempt
	for i, h := range hops {
		a = try(context.WithValue(ctx, hopKey{}, h))
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
	h, ok := ctx.Value(hopKey{}).(sipdns.Hop)
	if !ok {
		return transport
	}
	req.SetDestination(h.Addr.String())
	req.SetTransport(strings.ToUpper(h.Transport))
	return h.Transport
}
