package sipdns

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"strings"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// Errors of a lookup, wrapped with the name asked for.
var (
	// ErrNotFound: the name does not exist or has no record of the type
	// (or, for Resolve, no usable server).
	ErrNotFound = errors.New("no such record")
	// ErrNoAnswer: no DNS server answered in time.
	ErrNoAnswer = errors.New("no answer from the DNS server")
	// ErrServerFailure: the server answered with an error (SERVFAIL,
	// REFUSED, ...).
	ErrServerFailure = errors.New("DNS server failure")
	// ErrMalformed: the answer could not be read.
	ErrMalformed = errors.New("malformed DNS answer")
)

// Defaults and bounds.
const (
	DefaultTimeout     = 2 * time.Second // one query to one server
	DefaultCacheSize   = 256             // cached answers
	MaxHops            = 16              // servers returned by one Resolve
	maxTTL             = time.Hour       // a longer TTL is cut to this
	maxNegativeTTL     = 5 * time.Minute // RFC 2308 suggests up to 3 hours; a device should notice a fix sooner
	defaultNegativeTTL = 30 * time.Second
	systemTTL          = 30 * time.Second // addresses from the system resolver (hosts file), which gives no TTL
	maxSRVPerName      = 16
	maxAddrsPerTarget  = 4
	queryAttempts      = 2 // each query is sent at most this often (to the servers in turn)
)

// Options configure a Resolver; the zero value asks the nameservers of
// /etc/resolv.conf.
type Options struct {
	// Server is the DNS server to ask, host or host:port (53); empty
	// means the nameservers of /etc/resolv.conf, and then addresses not
	// found in DNS are looked up with the system resolver too (hosts file).
	Server string
	// Timeout bounds one query to one server (default 2s).
	Timeout time.Duration
	// CacheSize bounds the cached answers (default 256).
	CacheSize int
	// Now is the clock for TTLs (default time.Now).
	Now func() time.Time
	// Intn returns a random number in [0, n) for SRV weights (default
	// math/rand/v2.IntN).
	Intn func(n int) int
}

// Resolver finds SIP servers by RFC 3263. It is safe for concurrent use.
type Resolver struct {
	servers []string
	system  bool // servers from resolv.conf: fall back to the system resolver for addresses
	timeout time.Duration
	cache   *cache
	now     func() time.Time
	intn    func(int) int
}

// New returns a resolver. An unusable Options.Server is reported here.
func New(o Options) (*Resolver, error) {
	r := &Resolver{timeout: o.Timeout, now: o.Now, intn: o.Intn}
	if r.timeout <= 0 {
		r.timeout = DefaultTimeout
	}
	if r.now == nil {
		r.now = time.Now
	}
	if r.intn == nil {
		r.intn = rand.IntN
	}
	size := o.CacheSize
	if size <= 0 {
		size = DefaultCacheSize
	}
	r.cache = newCache(size)
	if o.Server == "" {
		r.servers, r.system = systemServers("/etc/resolv.conf"), true
		return r, nil
	}
	s, err := ServerAddr(o.Server)
	if err != nil {
		return nil, err
	}
	r.servers = []string{s}
	return r, nil
}

// ServerAddr checks a DNS server given as an IP address with an optional
// port and returns it as ip:port (port 53 by default).
func ServerAddr(s string) (string, error) {
	if a, err := netip.ParseAddr(strings.Trim(s, "[]")); err == nil {
		return net.JoinHostPort(a.String(), "53"), nil
	}
	ap, err := netip.ParseAddrPort(s)
	if err != nil || ap.Port() == 0 {
		return "", fmt.Errorf("sipdns: DNS server %q: want an IP address with an optional port", s)
	}
	return ap.String(), nil
}

// lookup answers name and qtype from the cache or the servers, caching
// the answer (and a NXDOMAIN or no-data answer) for its TTL.
func (r *Resolver) lookup(ctx context.Context, name string, qtype dnsmessage.Type) (answer, error) {
	name = absolute(name)
	if a, err, ok := r.cache.get(name, qtype, r.now()); ok {
		return a, err
	}
	var err error
	for i := 0; i < queryAttempts*len(r.servers) && i < queryAttempts*maxServers; i++ {
		var a answer
		a, err = r.exchange(ctx, r.servers[i%len(r.servers)], name, qtype)
		if err == nil || errors.Is(err, ErrNotFound) {
			ttl := min(a.TTL, maxTTL)
			if a.NoData {
				ttl = min(a.TTL, maxNegativeTTL)
			}
			r.cache.put(name, qtype, a, err, ttl, r.now())
			return a, err
		}
		if ctx.Err() != nil {
			break
		}
	}
	return answer{}, err
}

// absolute returns name with a trailing dot, lower case.
func absolute(name string) string {
	name = strings.ToLower(name)
	if !strings.HasSuffix(name, ".") {
		name += "."
	}
	return name
}

// addrs returns the IPv4 then IPv6 addresses of host (at most
// maxAddrsPerTarget). With the system's nameservers, a name DNS does not
// know (or a DNS that does not answer) is looked up with the system
// resolver as well, so hosts-file names work.
func (r *Resolver) addrs(ctx context.Context, host string) ([]netip.Addr, error) {
	if a, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{a.Unmap()}, nil
	}
	var out []netip.Addr
	var firstErr error
	if !isLocalhost(host) {
		for _, t := range []dnsmessage.Type{dnsmessage.TypeA, dnsmessage.TypeAAAA} {
			a, err := r.lookup(ctx, host, t)
			if err != nil && firstErr == nil && (t == dnsmessage.TypeA || len(out) == 0) {
				firstErr = err
			}
			out = append(out, a.Addrs...)
			if errors.Is(err, ErrNoAnswer) {
				break // DNS is down: the second type would only wait as long again
			}
		}
	}
	if len(out) == 0 && r.system {
		out, firstErr = r.systemAddrs(ctx, host)
	}
	if len(out) == 0 {
		if firstErr == nil {
			firstErr = fmt.Errorf("sipdns: %s: %w", host, ErrNotFound)
		}
		return nil, firstErr
	}
	return out[:min(len(out), maxAddrsPerTarget)], nil
}

// systemAddrs asks the system resolver (hosts file, nsswitch), cached for
// systemTTL under the A type of a key marked as from the system.
func (r *Resolver) systemAddrs(ctx context.Context, host string) ([]netip.Addr, error) {
	key := "system:" + absolute(host)
	if a, err, ok := r.cache.get(key, dnsmessage.TypeA, r.now()); ok {
		return a.Addrs, err
	}
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	a := answer{NoData: len(ips) == 0}
	for _, ip := range ips {
		a.Addrs = append(a.Addrs, ip.Unmap())
	}
	if err != nil || len(ips) == 0 {
		err = fmt.Errorf("sipdns: %s: %w: %v", host, ErrNotFound, err)
	}
	r.cache.put(key, dnsmessage.TypeA, a, err, systemTTL, r.now())
	return a.Addrs, err
}

func isLocalhost(host string) bool {
	h := strings.TrimSuffix(strings.ToLower(host), ".")
	return h == "localhost" || strings.HasSuffix(h, ".localhost")
}

// defaultPort is the port of a transport when neither URI nor SRV gives one.
func defaultPort(transport string) uint16 {
	if transport == "tls" {
		return 5061
	}
	return 5060
}
