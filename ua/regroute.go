package ua

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/sipbell/sipbell/ua/sipdns"
)

// route is where one configured server's requests go when DNS names it
// (RFC 3263): its hops in the order to try them, the one in use, and
// whether the next REGISTER starts at the first again (fail back).
type route struct {
	hops     []sipdns.Hop
	at       int
	failBack bool
}

// target is the server requests for si go to: the outbound proxy, or
// registrar si.
func (r *regLoop) target(si int) server {
	if r.proxy != nil {
		return *r.proxy
	}
	return r.servers[si]
}

// resolve refreshes server si's hops before a REGISTER (the resolver
// caches them for their TTL). The hop in use stays in use, unless this is
// a refresh after a failover: then the first hop is tried again. When DNS
// fails, hops found before are kept.
func (r *regLoop) resolve(ctx context.Context, si int, refresh bool) error {
	sv := r.target(si)
	r.mu.Lock()
	tr, choose := r.transport, r.acc.Transport == "" && !r.chosen && !sv.TLS
	r.mu.Unlock()
	if !usesDNS(sv, tr) {
		return nil
	}
	supported := []string{tr}
	if choose {
		supported = []string{"udp", "tcp"} // RFC 3263 §4.1: NAPTR, else SRV, chooses
	}
	hops, err := r.u.resolveServer(ctx, sv, supported, r.acc.Transport != "")
	r.mu.Lock()
	defer r.mu.Unlock()
	rt := &r.routes[si]
	if err != nil {
		if len(rt.hops) > 0 {
			r.u.log.Debug("registration: DNS failed, keeping the servers found before", "account", r.AOR(), "err", err)
			return nil
		}
		return err
	}
	if choose && len(hops) > 0 {
		r.chooseTransportLocked(hops[0].Transport)
	}
	hops = slices.DeleteFunc(hops, func(h sipdns.Hop) bool { return h.Transport != r.transport })
	if len(hops) == 0 {
		if len(rt.hops) > 0 {
			return nil
		}
		return fmt.Errorf("ua: resolve %s: no server over %s: %w", sv.Host, r.transport, sipdns.ErrNotFound)
	}
	var cur sipdns.Hop
	if len(rt.hops) > 0 {
		cur = rt.hops[rt.at]
	}
	rt.hops, rt.at = hops, 0
	if rt.failBack && refresh {
		rt.failBack = false
		return nil
	}
	for i, h := range hops {
		if h == cur {
			rt.at = i
		}
	}
	return nil
}

// trustHops exempts from the request guard's rate limits, besides the
// servers trusted at start, every server the registrations found by DNS
// (RFC 3263): one found after start (DNS was down then, or its records
// changed since) would otherwise be limited like a stranger.
func (u *UA) trustHops() {
	if u.guard == nil {
		return
	}
	aps := slices.Clone(u.trustedAddrs())
	u.mu.Lock()
	regs := u.regs
	u.mu.Unlock()
	for _, r := range regs {
		r.mu.Lock()
		for _, rt := range r.routes {
			for _, h := range rt.hops {
				aps = append(aps, netip.AddrPortFrom(h.Addr.Addr().Unmap(), h.Addr.Port()))
			}
		}
		r.mu.Unlock()
	}
	slices.SortFunc(aps, func(a, b netip.AddrPort) int { return a.Compare(b) })
	u.guard.setTrusted(slices.Compact(aps))
}

// chooseTransportLocked makes tr the registration's transport for the
// loop's life (RFC 3263 §4.1: the account names none, DNS chose):
// REGISTERs, keep-alives and the Contact use it from now on. r.mu is held.
func (r *regLoop) chooseTransportLocked(tr string) {
	r.chosen = true
	if tr == r.transport {
		return
	}
	r.u.log.Info("registration: DNS chose the transport", "account", r.AOR(), "transport", tr)
	r.transport = tr
	r.contact.UriParams = sip.HeaderParams{}
	if tr != "udp" {
		r.contact.UriParams = sip.HeaderParams{{K: "transport", V: tr}}
	}
}

// tr is the transport REGISTERs go over now.
func (r *regLoop) tr() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.transport
}

// nextHopTimeout bounds one REGISTER exchange (digest included) with a
// server DNS found while more of its servers remain to fail over to (RFC
// 3263 §4.3): a dead one, a black hole over UDP, costs this instead of the
// whole transaction timeout (64·T1, 32 s) before the next is tried. The
// last one left gets the full time. A live registrar answers within
// milliseconds; one slower than this is passed over for the next. An
// INVITE is given up after it only when no response came at all
// (invitehop.go): a ringing call is not cut.
const nextHopTimeout = 4 * time.Second

// hopTimeout is the bound of a REGISTER to server si: d, or
// nextHopTimeout when DNS gave further servers after the one in use.
func (r *regLoop) hopTimeout(si int, d time.Duration) time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	if rt := r.routes[si]; rt.at+1 < len(rt.hops) {
		return min(d, nextHopTimeout)
	}
	return d
}

// hopAddr is host:port that requests for si go to now.
func (r *regLoop) hopAddr(si int) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if rt := r.routes[si]; len(rt.hops) > 0 {
		return r.u.names.dest(rt.hops[rt.at], tlsServerName(r.acc, r.target(si))) // tlsdns.go
	}
	return r.target(si).addr(r.transport)
}

// serverName names server si for the status: "pbx.example (192.0.2.1:5060)"
// when DNS found the address.
func (r *regLoop) serverName(si int) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if rt := r.routes[si]; len(rt.hops) > 0 {
		return fmt.Sprintf("%s (%s)", r.target(si).Host, rt.hops[rt.at].Addr)
	}
	return r.servers[si].addr(r.transport)
}

// failover moves server si to its next hop after a timeout, a transport
// error or a 503, and returns it; false when none is left (the first is
// used again: the configured failover registrars come next).
func (r *regLoop) failover(si int) (sipdns.Hop, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	rt := &r.routes[si]
	if rt.at+1 >= len(rt.hops) {
		rt.at = 0
		return sipdns.Hop{}, false
	}
	rt.at++
	return rt.hops[rt.at], true
}

// registeredVia notes a registration through server si's current hop:
// when it is not the first, the refresh tries the first again (fail back).
func (r *regLoop) registeredVia(si int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.routes[si].failBack = r.routes[si].at > 0
}
