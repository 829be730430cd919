package ua

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"github.com/sipbell/sipbell/ua/sipdns"
)

// dnsTimeout bounds one RFC 3263 resolution (NAPTR, SRV and address
// queries together; each query is bounded by sipdns itself).
const dnsTimeout = 8 * time.Second

// newResolver returns the resolver for registrars, proxies and call
// targets given as domain names: sip.dns_server, else resolv.conf.
func newResolver(cfg Config, c Clock) *sipdns.Resolver {
	r, err := sipdns.New(sipdns.Options{Server: cfg.DNSServer, Now: c.Now})
	if err != nil { // Validate refused it already; be safe anyway
		r, _ = sipdns.New(sipdns.Options{Now: c.Now})
	}
	return r
}

// resolveServer returns the hops of a configured server (RFC 3263): an IP
// address as it is, a name by NAPTR/SRV/A. supported are the transports
// the hops may use, the account's first; explicit says whether the
// configuration named it, so that NAPTR may choose the SRV name otherwise.
func (u *UA) resolveServer(ctx context.Context, sv server, supported []string, explicit bool) ([]sipdns.Hop, error) {
	q := sipdns.Query{Host: sv.Host, Port: sv.Port, Supported: supported, Secure: sv.TLS}
	if explicit {
		q.Transport = supported[0]
	}
	ctx, cancel := context.WithTimeout(ctx, dnsTimeout)
	defer cancel()
	hops, err := u.dns.Resolve(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("ua: resolve %s: %w", sv.Host, err)
	}
	return hops, nil
}

// usesDNS reports whether requests to sv are routed by sipdns: a name,
// not an IP address. Over TLS the certificate is still checked against
// the name (RFC 5922 §4.1), see tlsdns.go.
func usesDNS(sv server, _ string) bool {
	_, err := netip.ParseAddr(sv.Host)
	return err != nil
}

// serverAddrs returns the addresses and ports a configured server sends
// from (for trust): for a name, its DNS hops (sipdns also asks the system
// resolver, hosts file included, when no dns_server is set); for an
// address, the address at port.
func (u *UA) serverAddrs(sv server, transport string, port int) []netip.AddrPort {
	var out []netip.AddrPort
	if usesDNS(sv, transport) {
		hops, err := u.resolveServer(context.Background(), sv, []string{transport}, true)
		if err != nil {
			u.log.Warn("registrar or proxy not found in DNS: requests from it are not trusted", "server", sv.Host, "err", err)
		}
		for _, h := range hops {
			out = append(out, netip.AddrPortFrom(h.Addr.Addr().Unmap(), h.Addr.Port()))
		}
		return out
	}
	for _, ip := range lookupIPs(sv.Host) {
		out = append(out, netip.AddrPortFrom(ip, uint16(port)))
	}
	return out
}

// registrationHop reports whether src is a server an account's
// registration found by DNS (RFC 3263) and uses or may use: trust taken
// at start misses these when DNS did not answer then, or changed since.
func (u *UA) registrationHop(src netip.AddrPort) bool {
	u.mu.Lock()
	regs := u.regs
	u.mu.Unlock()
	for _, r := range regs {
		r.mu.Lock()
		for _, rt := range r.routes {
			for _, h := range rt.hops {
				if netip.AddrPortFrom(h.Addr.Addr().Unmap(), h.Addr.Port()) == src {
					r.mu.Unlock()
					return true
				}
			}
		}
		r.mu.Unlock()
	}
	return false
}
