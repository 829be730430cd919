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

// PrimaryRoute returns the host:port that requests for the first
// account's domain (PUBLISH, SUBSCRIBE, MESSAGE) go to now: its outbound
// proxy or registrar as the registration reaches it. For a server given
// as a name that is the server the registration's DNS
// resolution (RFC 3263) uses, or, before the registration resolved it,
// the first the UA's resolver finds (sip.dns_server, else resolv.conf):
// never the system resolver behind the SIP stack; over TLS it is
// "domain:port", resolved for the SIP stack to that server (tlsdns.go),
// so that the certificate is checked against the domain. For an IP
// address it is Primary's Destination. It fails without an account or when
// DNS names no server over the account's transport.
func (u *UA) PrimaryRoute(ctx context.Context) (string, error) {
	if len(u.cfg.Accounts) == 0 {
		return "", fmt.Errorf("ua: primary route: %w", ErrNoAccount)
	}
	a := u.cfg.Accounts[0]
	via := a.OutboundProxy
	if via == "" {
		via = a.Registrar
	}
	tr := a.transport()
	sv, err := parseServer(via, tr)
	if err != nil {
		return "", fmt.Errorf("ua: primary route %q: %w", via, err)
	}
	if !usesDNS(sv, tr) {
		return sv.addr(tr), nil
	}
	over := func(h sipdns.Hop) bool { return h.Transport == tr }
	hops := u.registrationHops(sv)
	if !slices.ContainsFunc(hops, over) { // not resolved yet, or DNS chose another transport
		if hops, err = u.resolveServer(ctx, sv, []string{tr}, a.Transport != ""); err != nil {
			return "", fmt.Errorf("ua: primary route: %w", err)
		}
	}
	if i := slices.IndexFunc(hops, over); i >= 0 {
		return u.names.dest(hops[i], tlsServerName(a, sv)), nil // tlsdns.go
	}
	return "", fmt.Errorf("ua: primary route %s: no server over %s: %w", sv.Host, tr, sipdns.ErrNotFound)
}

// ServerRoute returns the host:port requests to a server configured as s
// (host, host:port or a sip: URI, e.g. presence.server) go to over
// transport: an IP address as it is, a name resolved as registrars are
// (RFC 3263 through sip.dns_server, else resolv.conf), the first server
// found over transport (over TLS as "name:port", see PrimaryRoute).
func (u *UA) ServerRoute(ctx context.Context, s, transport string) (string, error) {
	tr := strings.ToLower(transport)
	if tr == "" {
		tr = "udp"
	}
	sv, err := parseServer(s, tr)
	if err != nil {
		return "", fmt.Errorf("ua: server route %q: %w", s, err)
	}
	if !usesDNS(sv, tr) {
		return sv.addr(tr), nil
	}
	hops, err := u.resolveServer(ctx, sv, []string{tr}, true)
	if err != nil {
		return "", fmt.Errorf("ua: server route: %w", err)
	}
	if i := slices.IndexFunc(hops, func(h sipdns.Hop) bool { return h.Transport == tr }); i >= 0 {
		return u.names.dest(hops[i], sv.Host), nil // tlsdns.go
	}
	return "", fmt.Errorf("ua: server route %s: no server over %s: %w", sv.Host, tr, sipdns.ErrNotFound)
}
