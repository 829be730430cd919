package sipdns

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"golang.org/x/net/dns/dnsmessage"
)

// Query is what to resolve: the host of a SIP URI, and what the URI and
// the caller say about port and transport.
type Query struct {
	Host      string // a domain name or an IP address
	Port      int    // the URI's port; 0 when it has none
	Transport string // the URI's transport: udp, tcp or tls; "" when it names none
	Secure    bool   // a sips: URI: TLS only
	// Supported are the transports the caller can use, most preferred
	// first (udp, tcp, tls); nil means udp, tcp.
	Supported []string
}

// Hop is one server to send to, in the order to try them.
type Hop struct {
	Addr      netip.AddrPort
	Transport string // udp, tcp or tls
	Name      string // the host name the address belongs to (SRV target)
}

// String is "udp 192.0.2.1:5060 (pbx.example.)".
func (h Hop) String() string {
	if h.Name == "" {
		return h.Transport + " " + h.Addr.String()
	}
	return fmt.Sprintf("%s %s (%s)", h.Transport, h.Addr, h.Name)
}

// maxNAPTRFollowed bounds the NAPTR records whose SRV records are looked
// up in one resolution (one per transport is the usual zone).
const maxNAPTRFollowed = 6

// errDeclined is an SRV answer whose only target is ".".
var errDeclined = errors.New("service declined")

// naptrServices maps the NAPTR services of RFC 3263 to transports.
var naptrServices = map[string]string{"sip+d2u": "udp", "sip+d2t": "tcp", "sips+d2t": "tls"}

// srvPrefix is the SRV owner prefix per transport (RFC 3263 §4.1).
var srvPrefix = map[string]string{"udp": "_sip._udp.", "tcp": "_sip._tcp.", "tls": "_sips._tcp."}

// Resolve returns the servers for q in the order to try them (RFC 3263
// §4): an IP address is used as it is; with a port, only the addresses of
// the host are looked up; otherwise NAPTR records (when no transport is
// given) choose the transports, SRV records the hosts and ports, and
// without them the host's addresses at the transport's default port.
// At most MaxHops are returned; none is an error naming the host.
func (r *Resolver) Resolve(ctx context.Context, q Query) ([]Hop, error) {
	ts, err := q.transports()
	if err != nil {
		return nil, err
	}
	host := strings.TrimSuffix(strings.Trim(q.Host, "[]"), ".")
	if host == "" || len(host) > maxNameSize {
		return nil, fmt.Errorf("sipdns: resolve %q: not a host", q.Host)
	}
	if a, err := netip.ParseAddr(host); err == nil {
		return []Hop{{Addr: netip.AddrPortFrom(a.Unmap(), port(q.Port, ts[0])), Transport: ts[0]}}, nil
	}
	var hops []Hop
	declined := false
	if q.Port == 0 && !isLocalhost(host) {
		if q.Transport == "" {
			hops, err = r.viaNAPTR(ctx, host, ts)
		}
		for _, t := range ts {
			if len(hops) > 0 || errors.Is(err, ErrNoAnswer) {
				break
			}
			var h []Hop
			h, err = r.viaSRV(ctx, srvPrefix[t]+host, t)
			hops = append(hops, h...)
			declined = declined || errors.Is(err, errDeclined)
		}
	}
	if len(hops) == 0 && declined {
		return nil, fmt.Errorf("sipdns: resolve %s: %w (SRV target \".\": no SIP service there)", host, ErrNotFound)
	}
	if len(hops) == 0 {
		addrs, err := r.addrs(ctx, host)
		if err != nil {
			return nil, fmt.Errorf("sipdns: resolve %s: %w", host, err)
		}
		for _, a := range addrs {
			hops = append(hops, Hop{Addr: netip.AddrPortFrom(a, port(q.Port, ts[0])), Transport: ts[0], Name: absolute(host)})
		}
	}
	return dedupe(hops), nil
}

// transports returns what q allows, in order.
func (q Query) transports() ([]string, error) {
	ts := q.Supported
	if ts == nil {
		ts = []string{"udp", "tcp"}
	}
	var out []string
	for _, t := range ts {
		t = strings.ToLower(t)
		if (q.Transport != "" && t != strings.ToLower(q.Transport)) || (q.Secure && t != "tls") || srvPrefix[t] == "" {
			continue
		}
		out = append(out, t)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("sipdns: resolve %s: no usable transport (asked %q, secure %v, supported %v)", q.Host, q.Transport, q.Secure, ts)
	}
	return out, nil
}

func port(p int, transport string) uint16 {
	if p > 0 && p < 65536 {
		return uint16(p)
	}
	return defaultPort(transport)
}

// viaNAPTR follows the host's NAPTR records whose service is one of ts,
// by order and preference, to their SRV records.
func (r *Resolver) viaNAPTR(ctx context.Context, host string, ts []string) ([]Hop, error) {
	a, err := r.lookup(ctx, host, typeNAPTR)
	if err != nil {
		return nil, err
	}
	recs := slices.Clone(a.NAPTR)
	slices.SortStableFunc(recs, func(x, y naptrRecord) int {
		if x.Order != y.Order {
			return int(x.Order) - int(y.Order)
		}
		return int(x.Preference) - int(y.Preference)
	})
	var hops []Hop
	followed := 0
	for _, n := range recs {
		t := naptrServices[strings.ToLower(n.Services)]
		if !strings.EqualFold(n.Flags, "s") || !slices.Contains(ts, t) || n.Rep == "." {
			continue
		}
		if followed++; followed > maxNAPTRFollowed {
			break
		}
		h, err := r.viaSRV(ctx, n.Rep, t)
		if errors.Is(err, ErrNoAnswer) {
			return hops, err
		}
		hops = append(hops, h...)
		if len(hops) >= MaxHops {
			break
		}
	}
	return hops, nil
}

// viaSRV returns the servers of the SRV records at name, ordered by
// RFC 2782, each target's addresses in turn.
func (r *Resolver) viaSRV(ctx context.Context, name, transport string) ([]Hop, error) {
	a, err := r.lookup(ctx, name, dnsmessage.TypeSRV)
	if err != nil {
		return nil, err
	}
	recs := a.SRV[:min(len(a.SRV), maxSRVPerName)]
	if len(recs) == 1 && recs[0].Target == "." {
		return nil, errDeclined // "decidedly not available" (RFC 2782)
	}
	var hops []Hop
	for _, s := range orderSRV(recs, r.intn) {
		if s.Target == "." {
			continue
		}
		addrs, err := r.addrs(ctx, strings.TrimSuffix(s.Target, "."))
		if errors.Is(err, ErrNoAnswer) {
			return hops, err
		}
		for _, ip := range addrs {
			hops = append(hops, Hop{Addr: netip.AddrPortFrom(ip, s.Port), Transport: transport, Name: s.Target})
		}
		if len(hops) >= MaxHops {
			break
		}
	}
	return hops, nil
}

// dedupe drops repeated hops (keeping the first) and cuts to MaxHops.
func dedupe(hops []Hop) []Hop {
	out := hops[:0:0]
	seen := map[string]bool{}
	for _, h := range hops {
		k := h.Transport + " " + h.Addr.String()
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, h)
		if len(out) == MaxHops {
			break
		}
	}
	return out
}
