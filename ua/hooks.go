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
	u.server.OnSubscribe(u.checked(h)) // the request checks over TCP, as for the other methods
	u.extraAllow = appendOnce(u.extraAllow, "SUBSCRIBE")
	u.allowEvents = "presence, dialog"
}

// HandleMessage installs h as the MESSAGE handler (RFC 3428) and
// announces MESSAGE in Allow. Call it before Run.
func (u *UA) HandleMessage(h sipgo.RequestHandler) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.server.OnMessage(u.checked(h)) // the request checks over TCP, as for the other methods
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
	return u.registrationHop(src) // dns.go: DNS may name it only later
}

// trustedAddrs resolves the registrars and proxies of all accounts to
// address:port pairs (once).
func (u *UA) trustedAddrs() []netip.AddrPort {
	u.trustOnce.Do(u.resolveTrusted)
	return u.trustedAP
}

// Admits reports whether a request from src that carries no credentials
// is admitted by its source: an account's registrar/proxy (address and
// port), a network or host of allow_from, or the address of a
// sip.callers entry without a password. from is the claimed From URI: it
// proves nothing and is not looked at (kept for callers of the old
// signature). Use Admit where the request can be challenged.
func (u *UA) Admits(_ string, src netip.AddrPort) bool {
	if !src.IsValid() {
		return false
	}
	src = netip.AddrPortFrom(src.Addr().Unmap(), src.Port())
	if u.Trusted(src) || u.networkAllowed(src.Addr()) {
		return true
	}
	_, ok := u.networkCaller(src.Addr(), "")
	return ok
}

// Admit decides, for a handler installed with HandleMessage or
// HandleSubscribe, whether req is admitted and who it is from, exactly as
// for an INVITE: the identity a trusted proxy asserts, a digest challenge
// for sip.callers (the 401 is sent here), or the source network. When it
// reports false it has answered req (401 or 403) and the handler must
// only return.
func (u *UA) Admit(req *sip.Request, tx sip.ServerTransaction) (Caller, bool) {
	return u.admit(req, tx)
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
			for _, ap := range u.serverAddrs(sv, tr, port) { // dns.go: SRV hops too
				u.trusted = append(u.trusted, ap.Addr())
				u.trustedAP = append(u.trustedAP, ap)
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
