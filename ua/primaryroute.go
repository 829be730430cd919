package ua

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/sipbell/sipbell/ua/sipdns"
)

// ErrNoAccount is returned by PrimaryRoute when no account is configured
// (peer-to-peer).
var ErrNoAccount = errors.New("ua: no account")

// PrimaryRoute returns where requests for the first account's domain
// (PUBLISH, SUBSCRIBE, MESSAGE) go now, host:port and transport: its
// outbound proxy or registrar as the registration reaches it. For a server
// given as a name that is the server, and the transport, the
// registration's DNS resolution (RFC 3263) uses (TCP when DNS chose it
// for an account naming no transport), or, before the registration
// resolved it, the first the UA's resolver finds (sip.dns_server, else
// resolv.conf): never the system resolver behind the SIP stack; over TLS
// it is "domain:port", resolved for the SIP stack to that server
// (tlsdns.go), so that the certificate is checked against the domain. For
// an IP address it is Primary's Destination. It fails without an account
// or when DNS names no server.
func (u *UA) PrimaryRoute(ctx context.Context) (dest, transport string, err error) {
	if len(u.cfg.Accounts) == 0 {
		return "", "", fmt.Errorf("ua: primary route: %w", ErrNoAccount)
	}
	a := u.cfg.Accounts[0]
	via := a.OutboundProxy
	if via == "" {
		via = a.Registrar
	}
	tr := a.transport()
	sv, err := parseServer(via, tr)
	if err != nil {
		return "", "", fmt.Errorf("ua: primary route %q: %w", via, err)
	}
	if !usesDNS(sv, tr) {
		return sv.addr(tr), tr, nil
	}
	hops := u.registrationHops(sv)
	if len(hops) == 0 { // not resolved yet: as the registration will
		supported := []string{tr}
		if a.Transport == "" && !sv.TLS {
			supported = []string{"udp", "tcp"} // RFC 3263 §4.1: DNS chooses
		}
		if hops, err = u.resolveServer(ctx, sv, supported, a.Transport != ""); err != nil {
			return "", "", fmt.Errorf("ua: primary route: %w", err)
		}
	}
	if len(hops) == 0 {
		return "", "", fmt.Errorf("ua: primary route %s: %w", sv.Host, sipdns.ErrNotFound)
	}
	return u.names.dest(hops[0], tlsServerName(a, sv)), hops[0].Transport, nil // tlsdns.go
}

// ServerRoute returns the host:port requests to a server configured as s
// (host, host:port or a sip: URI, e.g. presence.server) go to over
// transport, and that transport: an IP address as it is, a name resolved
// as registrars are (RFC 3263 through sip.dns_server, else resolv.conf),
// the first server found over transport (over TLS as "name:port", see
// PrimaryRoute).
func (u *UA) ServerRoute(ctx context.Context, s, transport string) (dest, tr string, err error) {
	tr = strings.ToLower(transport)
	if tr == "" {
		tr = "udp"
	}
	sv, err := parseServer(s, tr)
	if err != nil {
		return "", "", fmt.Errorf("ua: server route %q: %w", s, err)
	}
	if !usesDNS(sv, tr) {
		return sv.addr(tr), tr, nil
	}
	hops, err := u.resolveServer(ctx, sv, []string{tr}, true)
	if err != nil {
		return "", "", fmt.Errorf("ua: server route: %w", err)
	}
	if i := slices.IndexFunc(hops, func(h sipdns.Hop) bool { return h.Transport == tr }); i >= 0 {
		return u.names.dest(hops[i], sv.Host), tr, nil // tlsdns.go
	}
	return "", "", fmt.Errorf("ua: server route %s: no server over %s: %w", sv.Host, tr, sipdns.ErrNotFound)
}
