package ua

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// This file holds the hooks other SIP features (presence, watchers,
// MESSAGE commands: package ua/presence) use to share the user agent's
// sockets, identity and trust decisions.

// ErrNotListening is returned by Client before Listen.
var ErrNotListening = errors.New("ua: not listening")

// HandleSubscribe installs h as the SUBSCRIBE handler and announces
// SUBSCRIBE in Allow and "presence, dialog" in Allow-Events. Call it
// before Run.
func (u *UA) HandleSubscribe(h sipgo.RequestHandler) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.server.OnSubscribe(h)
	u.extraAllow = appendOnce(u.extraAllow, "SUBSCRIBE")
	u.allowEvents = "presence, dialog"
}

// HandleMessage installs h as the MESSAGE handler (RFC 3428) and
// announces MESSAGE in Allow. Call it before Run.
func (u *UA) HandleMessage(h sipgo.RequestHandler) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.server.OnMessage(h)
	u.extraAllow = appendOnce(u.extraAllow, "MESSAGE")
}

func appendOnce(list []string, s string) []string {
	for _, v := range list {
		if v == s {
			return list
		}
	}
	return append(list, s)
}

// allowHeader is the Allow value of this user agent: the base methods
// plus those installed with HandleSubscribe and HandleMessage.
func (u *UA) allowHeader() string {
	u.mu.Lock()
	defer u.mu.Unlock()
	if len(u.extraAllow) == 0 {
		return AllowHeader()
	}
	return strings.Join(append(append([]string(nil), allowed...), u.extraAllow...), ", ")
}

// allowEventsHeader is the Allow-Events value, "" when no event package
// is served.
func (u *UA) allowEventsHeader() string {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.allowEvents
}

// Ready is closed once Run serves: from then on requests can leave from
// the listening UDP socket.
func (u *UA) Ready() <-chan struct{} { return u.ready }

// Client returns the sipgo client for transport ("udp", "tcp", "tls"):
// UDP requests leave from the listening socket. It needs Listen first.
func (u *UA) Client(transport string) (*sipgo.Client, error) {
	if u.Addr() == nil {
		return nil, fmt.Errorf("ua: client %s: %w", transport, ErrNotListening)
	}
	return u.client(strings.ToLower(transport))
}

// Contact returns our Contact for a dialog over transport: the
// registered contact of an account on that transport (TCP/TLS), else the
// listening address. It needs Listen first.
func (u *UA) Contact(transport string) sip.ContactHeader {
	user := u.cfg.User
	if len(u.cfg.Accounts) > 0 {
		user = u.cfg.Accounts[0].User
	}
	return u.contactFor(user, strings.ToLower(transport))
}

// Trusted reports whether src is the address and port of an account's
// registrar, failover registrar or outbound proxy (a server without a
// port means 5060, 5061 for TLS), i.e. whether a request from src was
// relayed, and its sender authenticated, by a server of ours. Unlike the
// call admission it compares the port too, so another program on the
// proxy's host is not trusted.
func (u *UA) Trusted(src netip.AddrPort) bool {
	src = netip.AddrPortFrom(src.Addr().Unmap(), src.Port())
	for _, t := range u.trustedAddrs() {
		if t == src {
			return true
		}
	}
	return false
}

// trustedAddrs resolves the registrars and proxies of all accounts to
// address:port pairs (once).
func (u *UA) trustedAddrs() []netip.AddrPort {
	u.trustOnce.Do(u.resolveTrusted)
	return u.trustedAP
}

// Admits reports whether the allow_from list admits a request whose From
// URI is from and whose source is src: by source network, or by caller
// URI (user@host or host). The From alone proves nothing; see Trusted.
func (u *UA) Admits(from string, src netip.AddrPort) bool {
	var uri sip.Uri
	host, user := "", ""
	if err := sip.ParseUri(strings.Trim(strings.TrimSpace(from), "<>"), &uri); err == nil {
		host, user = uri.Host, uri.User
	}
	return u.allowListed(host, user, src.Addr().Unmap(), src.IsValid())
}

// allowListed matches the allow-list by source IP (when ipOK) and by
// From host and user.
func (u *UA) allowListed(host, user string, ip netip.Addr, ipOK bool) bool {
	for _, e := range u.allow {
		if e.prefix.IsValid() {
			if ipOK && e.prefix.Contains(ip) {
				return true
			}
			continue
		}
		if host == "" || !strings.EqualFold(host, e.host) {
			continue
		}
		if e.user == "" || e.user == user {
			return true
		}
	}
	return false
}

// Identity is the first account as other SIP features need it: who we
// are, how we authenticate and where requests go.
type Identity struct {
	AOR         sip.Uri // sip:user@domain[:port]
	DisplayName string
	AuthUser    string
	Password    string
	Transport   string // udp, tcp or tls
	// Destination is host:port of the account's outbound proxy, else its
	// registrar.
	Destination string
}

// Primary returns the first account's identity; false in peer-to-peer
// mode (no accounts).
func (u *UA) Primary() (Identity, bool) {
	if len(u.cfg.Accounts) == 0 {
		return Identity{}, false
	}
	a := u.cfg.Accounts[0]
	id := Identity{AOR: newAOR(a), DisplayName: u.cfg.DisplayName, AuthUser: a.authUser(),
		Password: a.Password, Transport: a.transport()}
	via := a.OutboundProxy
	if via == "" {
		via = a.Registrar
	}
	if sv, err := parseServer(via, id.Transport); err == nil {
		id.Destination = sv.addr(id.Transport)
	}
	return id, true
}

// ServerAddr turns a server as configured (host, host:port, sip:host:port)
// into host:port, with the transport's default port when none is given.
func ServerAddr(s, transport string) (string, error) {
	sv, err := parseServer(s, transport)
	if err != nil {
		return "", fmt.Errorf("ua: server %q: %w", s, err)
	}
	return sv.addr(transport), nil
}

// resolveTrusted fills u.trusted (IPs, for call admission) and
// u.trustedAP (IP and port, for Trusted).
func (u *UA) resolveTrusted() {
	for _, a := range u.cfg.Accounts {
		tr := a.transport()
		for _, s := range append([]string{a.Registrar, a.OutboundProxy}, a.Failover...) {
			if s == "" {
				continue
			}
			sv, err := parseServer(s, tr)
			if err != nil {
				continue
			}
			port := 5060
			if tr == "tls" {
				port = 5061
			}
			if sv.Port != 0 {
				port = sv.Port
			}
			for _, ip := range lookupIPs(sv.Host) {
				u.trusted = append(u.trusted, ip)
				u.trustedAP = append(u.trustedAP, netip.AddrPortFrom(ip, uint16(port)))
			}
		}
	}
}

// lookupIPs resolves host (an IP literal or a name) to unmapped addresses.
func lookupIPs(host string) []netip.Addr {
	if ip, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{ip.Unmap()}
	}
	var out []netip.Addr
	ips, _ := net.LookupIP(host)
	for _, ip := range ips {
		if a, ok := netip.AddrFromSlice(ip); ok {
			out = append(out, a.Unmap())
		}
	}
	return out
}
