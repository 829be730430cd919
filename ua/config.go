package ua

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/sipbell/sipbell/internal/cfgerr"
	"github.com/sipbell/sipbell/ua/sipdns"
)

// Config is the user agent's section of the configuration file ("sip:").
type Config struct {
	// Listen is the host:port that SIP is received on, over both UDP and
	// TCP. Port 0 picks a free port (printed at start).
	Listen string `yaml:"listen"`
	// ListenTLS is the host:port that SIP over TLS (SIPS) is received on,
	// beside listen; 5061 is the usual port ("0.0.0.0:5061"). Empty
	// disables it; port 0 picks a free port (printed at start). Idle
	// timeout and connection caps are those of TCP.
	ListenTLS string `yaml:"listen_tls"`
	// TLSCertFile is the device's own certificate (PEM) for TLS: shown to
	// callers on listen_tls and to a registrar or proxy that asks for a
	// client certificate. Empty means a self-signed ECDSA P-256
	// certificate made on first start and kept in the state dir
	// (sip-cert.pem, sip-key.pem), so its fingerprint stays the same
	// across restarts.
	TLSCertFile string `yaml:"tls_cert_file"`
	// TLSKeyFile is the private key (PEM) of tls_cert_file; set both or
	// neither.
	TLSKeyFile string `yaml:"tls_key_file"`
	// SRTP encrypts the media of calls made or taken directly (not through
	// an account): off, optional, mandatory or dtls (default off). Optional
	// offers RTP/AVP with SDES keys (a=crypto), so a peer without SRTP
	// still answers in clear (best effort, as baresip's "srtp"), and
	// answers offers that carry keys with keys. Mandatory offers RTP/SAVP
	// (as baresip's "srtp-mand" and PBXs requiring SRTP expect), answers a
	// plain offer 488 and hangs up on a plain answer. Keys only travel in
	// SIP over TLS: a call whose SIP is not TLS gets none (optional) or is
	// refused (mandatory). A sips: target or Request-URI makes SRTP
	// mandatory for that call. Dtls is mandatory with DTLS-SRTP (RFC 5763,
	// baresip's "dtls_srtp", gateways to browsers): the offer is
	// UDP/TLS/RTP/SAVP with the fingerprint of a certificate made per
	// process, the keys come from a DTLS handshake on the RTP port, and a
	// peer whose certificate does not match its SDP fingerprint is hung
	// up on. Optional, mandatory and dtls all answer a DTLS-SRTP offer;
	// fingerprints, like keys, are only trusted in SIP over TLS.
	SRTP string `yaml:"srtp"`
	// User is the user part of this device's SIP address when no account
	// is registered, so peers reach it as sip:<user>@<host>:<port>.
	User string `yaml:"user"`
	// DisplayName is shown to the called party.
	DisplayName string `yaml:"display_name"`
	// UserAgent is the User-Agent / Server header value; empty means
	// "sipbell/<version>".
	UserAgent string `yaml:"user_agent"`
	// Trace logs every SIP message sent and received (debug aid).
	Trace bool `yaml:"trace"`

	// Accounts are the registrations. The first account is the identity
	// for outgoing calls; none means peer-to-peer mode.
	Accounts []Account `yaml:"accounts"`
	// AllowFrom lists the source networks that may call besides the
	// registrar/proxy of an account: networks ("192.168.1.0/24"),
	// addresses ("10.0.0.7") and host names ("pbx.example", resolved at
	// start). A caller admitted this way has no verified identity: it may
	// call (and be answered), not open the door. A From header proves
	// nothing, so caller URIs ("sip:alice@pbx.example") admit nobody any
	// more; they are accepted for older files and warned about at start
	// (list such callers in Callers). In peer-to-peer mode only this list
	// and Callers apply; both empty admit nobody.
	AllowFrom []string `yaml:"allow_from"`
	// Callers are the callers this device recognises itself when they
	// call directly (not through a registrar), as a PBX recognises its
	// extensions: by a digest challenge the device sends (password), by
	// source address (networks without password), or both. The user name
	// is the caller's verified identity, which device.door.allowed lists.
	// Calls through an account's registrar/proxy are identified by the
	// P-Asserted-Identity it asserts instead. Watchers (SUBSCRIBE) and
	// MESSAGE senders are challenged and recognised the same way. A digest
	// answer is good from the same address, for the same call, within a
	// minute, and once: a replayed one (its nonce count not above the
	// last) is challenged afresh.
	Callers []KnownCaller `yaml:"callers"`
	// AutoAnswer is for a user agent used on its own (tools, tests): it
	// answers every admitted call after AutoAnswerDelay. sipbell ignores
	// it (older files still load): the device decides which calls are
	// answered (device.auto_answer, limited by device.door.allowed).
	AutoAnswer bool `yaml:"auto_answer"`
	// AutoAnswerDelay is how long an incoming call rings before AutoAnswer
	// answers it (0..60s).
	AutoAnswerDelay time.Duration `yaml:"auto_answer_delay"`
	// RingTimeout ends an unanswered call, outgoing (CANCEL) or incoming
	// (480), after this long (5s..10m). It bounds every call; a button's
	// device.buttons[].ring_timeout is how long the door rings its targets,
	// so a target rings for the shorter of the two.
	RingTimeout time.Duration `yaml:"ring_timeout"`
	// MaxCallLength hangs up an established call after this long (0 means
	// no limit). It bounds every call, whatever its direction; the door's
	// device.call.time_limit (with its warning beep and extend key) ends a
	// visitor call sooner, and the shorter of the two ends the call.
	MaxCallLength time.Duration `yaml:"max_call_length"`
	// MaxCalls is how many calls the device holds at once, ringing or
	// answered (1..16; 0 means the default, 1): a call beyond it is
	// answered 486 Busy Here, and placing one fails. One suits a door
	// station, which takes one visitor call and is busy for everyone else
	// meanwhile; the new call a transfer places (the resident's phone
	// hands the door call on) replaces the old one and is always allowed.
	// The phone mode's call waiting needs 2.
	MaxCalls int `yaml:"max_calls"`
	// SessionExpires is the session timer (RFC 4028) offered on calls we
	// place and granted to callers that ask for one (90s..2h; 0 off): one
	// side refreshes the call (UPDATE or re-INVITE) every half interval,
	// and a call whose peer stops refreshing is ended with BYE shortly
	// before the interval runs out, so a peer that died does not hold the
	// door for the whole max_call_length.
	SessionExpires time.Duration `yaml:"session_expires"`
	// MinSE is the shortest session interval accepted (90s..session_expires,
	// RFC 4028 Min-SE): a caller asking for less is answered 422 with this
	// value, and a peer answering our INVITE with 422 is asked again with
	// its larger minimum.
	MinSE time.Duration `yaml:"min_se"`
	// KeepAlive is how often each registration is checked (1s..10m; 0
	// off): an OPTIONS to the device's own address through the registrar,
	// which also keeps NAT bindings and TCP/TLS connections open. A
	// registrar that lost the registration (it restarted, say) is noticed
	// within this interval and registered with again at once, so the
	// default, 4s, has the device reachable again within 5 s of a
	// registrar that restarted, at a cost of about 1.1 kB each way per
	// check (our OPTIONS, with the last challenge answered again, the
	// OPTIONS the registrar forwards back to us and the two 200s; a fresh
	// challenge when the registrar lets the nonce expire): some 280
	// bytes/s each way at 4s; 25s costs 45 bytes/s but leaves the device
	// unreachable for up to 25 s. One that does not answer at
	// all is tried every 2 s until it does, the status saying "failed"
	// meanwhile (a TCP/TLS connection that closes is noticed within a
	// second). A registrar that never answers OPTIONS gets CRLF pings
	// (RFC 5626) instead.
	KeepAlive time.Duration `yaml:"keepalive"`

	// TCPIdleTimeout closes an inbound SIP TCP connection that has carried
	// nothing, not even a keep-alive, for this long (10s..1h; 0 means the
	// default, 3m: above the 95–120 s keep-alive interval of RFC 5626
	// clients). Outgoing connections (the registration's) are not affected.
	TCPIdleTimeout time.Duration `yaml:"tcp_idle_timeout"`
	// TCPMaxConnections caps the inbound SIP TCP connections (8..4096; 0
	// means the default, 128: about 6 MB and 128 file descriptors on a Pi
	// Zero, leaving the rest for RTP ports, the admin page and the
	// registration), and never more than a quarter of the process's file
	// descriptor limit. An eighth of it is kept for the registrars and
	// proxies of the accounts. When the cap is reached, the connection idle the
	// longest is closed to make room; a newcomer is refused only when all
	// are busy. Refusals are counted and logged as summaries.
	TCPMaxConnections int `yaml:"tcp_max_connections"`
	// TCPMaxPerSource caps the inbound SIP TCP connections from one IP
	// address (1..1024; 0 means the default, 8). Registrars and proxies of
	// the accounts are exempt.
	TCPMaxPerSource int `yaml:"tcp_max_per_source"`
	// Limits bound what strangers can make the device spend: rates,
	// scanners, failing sources, memory.
	Limits Limits `yaml:"limits"`
	// DNSServer is the DNS server (an IP address, optionally with :port)
	// asked for registrars, outbound proxies and call targets given as
	// domain names, which are found as RFC 3263 says: NAPTR and SRV
	// records choose transport, servers and ports (in priority order,
	// weighted within a priority), A/AAAA records the addresses; a name
	// with a port only needs its address. A server that times out, fails
	// at the transport or answers 503 is left for the next one DNS gave,
	// and a registration goes back to the first at its next refresh.
	// Empty means the nameservers of /etc/resolv.conf (names in
	// /etc/hosts are found too). Over TLS the name itself is used.
	DNSServer string `yaml:"dns_server"`
}

// KnownCaller is one caller the device recognises itself (sip.callers).
type KnownCaller struct {
	// User names the caller: the digest user name it authenticates with
	// and the identity device.door.allowed lists ("alice").
	User string `yaml:"user"`
	// Password is the digest password the device challenges the caller
	// for when it calls (or sends a MESSAGE) claiming to be User. Empty:
	// the caller is recognised by Networks alone.
	Password string `yaml:"password" secret:"true"`
	// Networks are the addresses or networks the caller may call from
	// ("192.168.1.20", "10.0.0.0/24"). Without a password they are what
	// identifies the caller (use single addresses: anyone there is that
	// caller); empty means anywhere, which needs a password.
	Networks []string `yaml:"networks"`
	// TLSSHA256 identifies the caller by its TLS client certificate: the
	// SHA-256 fingerprint (as tls_pin_sha256) of the certificate it shows
	// when it calls over listen_tls. A self-signed one will do: the
	// handshake proves the caller holds its key. Networks then only
	// restrict where it may call from: they no longer identify it.
	TLSSHA256 string `yaml:"tls_sha256"`
}

func (k KnownCaller) validate() error {
	var errs cfgerr.List
	if k.User == "" {
		errs.Add("user", "must not be empty")
	} else if !validUserPart(k.User) {
		errs.Add("user", "%q is not a valid SIP user part", k.User)
	}
	if k.Password == "" && len(k.Networks) == 0 && k.TLSSHA256 == "" {
		errs.Add("password", "a caller needs a password, networks, a tls_sha256 certificate, or some of them")
	}
	if _, err := parsePin(k.TLSSHA256); k.TLSSHA256 != "" && err != nil {
		errs.Add("tls_sha256", "%v", err)
	}
	for i, n := range k.Networks {
		if _, err := parseNetwork(n); err != nil {
			errs.Add(cfgerr.Index("networks", i), "%q is not an address or network", n)
		}
	}
	return errs.Err()
}

// Account is one registration with a registrar.
type Account struct {
	// Registrar is host[:port] or a sip:/sips: URI of the registrar. A
	// sips: URI requires transport tls. A domain name without a port is
	// looked up by NAPTR and SRV records (see dns_server), so that
	// "sip:pbx.example" finds the servers and ports its DNS names.
	Registrar string `yaml:"registrar"`
	// Failover lists further registrars (same form) tried in order when
	// the previous one times out or answers 5xx; the primary is tried
	// again at each refresh.
	Failover []string `yaml:"failover"`
	// Transport is udp, tcp or tls; empty means udp, or tls for a sips:
	// registrar. Empty with a registrar (or outbound proxy) given as a
	// name: its DNS chooses, as RFC 3263 says (NAPTR SIP+D2T or SIP+D2U
	// records in their order, else whichever of _sip._udp and _sip._tcp
	// SRV records exists, UDP first), once, when DNS first answers.
	Transport string `yaml:"transport"`
	// User is the user part of the address of record.
	User string `yaml:"user"`
	// AuthUser is the digest user name when it differs from User.
	AuthUser string `yaml:"auth_user"`
	// Password is the digest password.
	Password string `yaml:"password" secret:"true"`
	// Domain is the host[:port] of the address of record; empty means the
	// registrar's host[:port] as configured.
	Domain string `yaml:"domain"`
	// Expires is the registration lifetime asked for (10s..24h; 0 means
	// the default, 1h); the registrar's grant is used.
	Expires time.Duration `yaml:"expires"`
	// OutboundProxy, host[:port], receives every request of this account
	// instead of the registrar (a name is looked up as for Registrar).
	OutboundProxy string `yaml:"outbound_proxy"`
	// TLSCAFile is a PEM file of CAs trusted for TLS; empty means the
	// system roots.
	TLSCAFile string `yaml:"tls_ca_file"`
	// TLSPinSHA256 pins the server's certificate by its SHA-256
	// fingerprint (64 hex digits, colons and a "SHA-256 " prefix allowed,
	// as openssl x509 -fingerprint -sha256 prints it): a server showing
	// that certificate is trusted without a CA (a PBX's self-signed one);
	// others are still checked against the CAs.
	TLSPinSHA256 string `yaml:"tls_pin_sha256"`
	// TLSServerName is the name the registrar's or outbound proxy's TLS
	// certificate must carry when that is not the SIP domain in
	// registrar/outbound_proxy. By default (RFC 5922) a server DNS found
	// (NAPTR SIPS+D2T, _sips._tcp SRV) is checked against that domain,
	// never against the SRV target host; set this to the host name for a
	// provider whose certificates name their hosts.
	TLSServerName string `yaml:"tls_server_name"`
	// SRTP is sip.srtp for calls through this account (default off);
	// optional, mandatory or dtls needs transport tls.
	SRTP string `yaml:"srtp"`
}

// DefaultConfig returns a configuration that needs no PBX: it listens on
// all addresses on port 5060 as user "door"; which calls are answered is
// the device's decision (AutoAnswer is off).
func DefaultConfig() Config {
	return Config{Listen: "0.0.0.0:5060", User: "door", DisplayName: "Door",
		RingTimeout: 60 * time.Second, MaxCallLength: time.Hour,
		SessionExpires: 30 * time.Minute, MinSE: 90 * time.Second,
		KeepAlive: DefaultKeepAlive, Limits: DefaultLimits(), TCPIdleTimeout: DefaultTCPIdleTimeout,
		TCPMaxConnections: DefaultTCPMaxConnections, TCPMaxPerSource: DefaultTCPMaxPerSource}
}

// Validate checks the configuration and returns a cfgerr.List whose paths
// are relative to this section.
func (c *Config) Validate() error {
	var errs cfgerr.List
	if err := validHostPort(c.Listen); err != nil {
		errs.Add("listen", "%v", err)
	}
	c.validateTLS(&errs)  // tls.go
	c.validateSRTP(&errs) // srtp.go
	if c.User == "" {
		errs.Add("user", "must not be empty")
	} else if !validUserPart(c.User) {
		errs.Add("user", "%q is not a valid SIP user part", c.User)
	}
	for i, a := range c.Accounts {
		errs.Merge(cfgerr.Index("accounts", i), a.validate())
	}
	for i, s := range c.AllowFrom {
		if _, err := parseAllow(s); err != nil {
			errs.Add(cfgerr.Index("allow_from", i), "%v", err)
		}
	}
	seen := map[string]bool{}
	for i, k := range c.Callers {
		errs.Merge(cfgerr.Index("callers", i), k.validate())
		if seen[k.User] {
			errs.Add(cfgerr.Index("callers", i)+".user", "%q is listed twice", k.User)
		}
		seen[k.User] = true
	}
	if c.AutoAnswerDelay < 0 || c.AutoAnswerDelay > time.Minute {
		errs.Add("auto_answer_delay", "must be 0..60s, got %v", c.AutoAnswerDelay)
	}
	if c.RingTimeout < 5*time.Second || c.RingTimeout > 10*time.Minute {
		errs.Add("ring_timeout", "must be 5s..10m, got %v", c.RingTimeout)
	}
	if c.MaxCallLength < 0 || (c.MaxCallLength > 0 && c.MaxCallLength < 10*time.Second) {
		errs.Add("max_call_length", "must be 0 (no limit) or at least 10s, got %v", c.MaxCallLength)
	}
	if c.MaxCalls < 0 || c.MaxCalls > 16 {
		errs.Add("max_calls", "must be 0 (default) or 1..16, got %d", c.MaxCalls)
	}
	if c.SessionExpires != 0 && (c.SessionExpires < 90*time.Second || c.SessionExpires > 2*time.Hour) {
		errs.Add("session_expires", "must be 0 (off) or 90s..2h, got %v", c.SessionExpires)
	}
	if c.SessionExpires != 0 && (c.MinSE < 90*time.Second || c.MinSE > c.SessionExpires) {
		errs.Add("min_se", "must be 90s..session_expires (%v), got %v", c.SessionExpires, c.MinSE)
	}
	if c.KeepAlive < 0 || (c.KeepAlive > 0 && c.KeepAlive < time.Second) || c.KeepAlive > 10*time.Minute {
		errs.Add("keepalive", "must be 0 (off) or 1s..10m, got %v", c.KeepAlive)
	}
	if c.TCPIdleTimeout != 0 && (c.TCPIdleTimeout < 10*time.Second || c.TCPIdleTimeout > time.Hour) {
		errs.Add("tcp_idle_timeout", "must be 0 (default) or 10s..1h, got %v", c.TCPIdleTimeout)
	}
	if c.TCPMaxConnections != 0 && (c.TCPMaxConnections < 8 || c.TCPMaxConnections > 4096) {
		errs.Add("tcp_max_connections", "must be 0 (default) or 8..4096, got %d", c.TCPMaxConnections)
	}
	if c.TCPMaxPerSource != 0 && (c.TCPMaxPerSource < 1 || c.TCPMaxPerSource > 1024) {
		errs.Add("tcp_max_per_source", "must be 0 (default) or 1..1024, got %d", c.TCPMaxPerSource)
	}
	if c.DNSServer != "" {
		if _, err := sipdns.ServerAddr(c.DNSServer); err != nil {
			errs.Add("dns_server", "%q: want an IP address with an optional port", c.DNSServer)
		}
	}
	errs.Merge("limits", c.Limits.validate())
	return errs.Err()
}

func (a Account) validate() error {
	var errs cfgerr.List
	if a.Registrar == "" {
		errs.Add("registrar", "must not be empty")
	} else if _, err := parseServer(a.Registrar, a.transport()); err != nil {
		errs.Add("registrar", "%v", err)
	}
	for i, f := range a.Failover {
		if _, err := parseServer(f, a.transport()); err != nil {
			errs.Add(cfgerr.Index("failover", i), "%v", err)
		}
	}
	switch a.Transport {
	case "", "udp", "tcp", "tls":
	default:
		errs.Add("transport", "must be udp, tcp or tls, got %q", a.Transport)
	}
	if a.User == "" {
		errs.Add("user", "must not be empty")
	} else if !validUserPart(a.User) {
		errs.Add("user", "%q is not a valid SIP user part", a.User)
	}
	if a.AuthUser != "" && !validUserPart(a.AuthUser) {
		errs.Add("auth_user", "%q is not a valid user name", a.AuthUser)
	}
	if a.Domain != "" {
		if _, err := parseServer(a.Domain, "udp"); err != nil || strings.Contains(strings.ToLower(a.Domain), "sip:") {
			errs.Add("domain", "%q is not host[:port]", a.Domain)
		}
	}
	if a.Expires != 0 && (a.Expires < 10*time.Second || a.Expires > 24*time.Hour) {
		errs.Add("expires", "must be 10s..24h, got %v", a.Expires)
	}
	if a.OutboundProxy != "" {
		if _, err := parseServer(a.OutboundProxy, a.transport()); err != nil {
			errs.Add("outbound_proxy", "%v", err)
		}
	}
	a.validatePin(&errs) // tls_pin.go
	if a.TLSCAFile != "" && a.transport() != "tls" {
		errs.Add("tls_ca_file", "only used with transport tls")
	}
	if a.TLSServerName != "" && a.transport() != "tls" {
		errs.Add("tls_server_name", "only used with transport tls")
	}
	return errs.Err()
}

// transport returns the account's transport, defaulting to udp, or tls
// for a sips: registrar.
func (a Account) transport() string {
	if a.Transport != "" {
		return a.Transport
	}
	if strings.HasPrefix(strings.ToLower(a.Registrar), "sips:") {
		return "tls"
	}
	return "udp"
}

func (a Account) expires() time.Duration {
	if a.Expires == 0 {
		return time.Hour
	}
	return a.Expires
}

func (a Account) authUser() string {
	if a.AuthUser != "" {
		return a.AuthUser
	}
	return a.User
}

// server is a parsed registrar or proxy address.
type server struct {
	Host string
	Port int // 0: the transport's default
	TLS  bool
}

func (s server) addr(transport string) string {
	p := s.Port
	if p == 0 {
		p = 5060
		if transport == "tls" {
			p = 5061
		}
	}
	return net.JoinHostPort(s.Host, strconv.Itoa(p))
}

// parseServer accepts host, host:port, [v6]:port, sip:host[:port] and
// sips:host[:port] (the last requires transport tls).
func parseServer(s, transport string) (server, error) {
	var sv server
	rest := s
	if low := strings.ToLower(s); strings.HasPrefix(low, "sips:") {
		if transport != "tls" {
			return sv, fmt.Errorf("%q is a sips: URI, which requires transport tls", s)
		}
		sv.TLS, rest = true, s[5:]
	} else if strings.HasPrefix(low, "sip:") {
		rest = s[4:]
	}
	if i := strings.IndexByte(rest, ';'); i >= 0 {
		rest = rest[:i]
	}
	if strings.Contains(rest, "@") {
		return sv, fmt.Errorf("%q: a registrar has no user part", s)
	}
	host, port := rest, ""
	if h, p, err := net.SplitHostPort(rest); err == nil {
		host, port = h, p
	}
	if host == "" || strings.ContainsAny(host, " \t/<>\"") || (strings.Contains(host, ":") && net.ParseIP(host) == nil) {
		return sv, fmt.Errorf("%q is not host[:port]", s)
	}
	sv.Host = host
	if port != "" {
		p, err := strconv.Atoi(port)
		if err != nil || p < 1 || p > 65535 {
			return sv, fmt.Errorf("%q: port must be 1..65535", s)
		}
		sv.Port = p
	}
	return sv, nil
}

func validUserPart(s string) bool {
	return s != "" && !strings.ContainsAny(s, "@:;<> \t\r\n\"")
}

// allowEntry is one parsed allow_from item: a network or a caller.
type allowEntry struct {
	prefix netip.Prefix // valid for a network
	user   string       // "" matches any user at host
	host   string
}

func parseAllow(s string) (allowEntry, error) {
	if p, err := netip.ParsePrefix(s); err == nil {
		return allowEntry{prefix: p.Masked()}, nil
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return allowEntry{prefix: netip.PrefixFrom(a, a.BitLen())}, nil
	}
	rest := s
	low := strings.ToLower(s)
	if strings.HasPrefix(low, "sips:") {
		rest = s[5:]
	} else if strings.HasPrefix(low, "sip:") {
		rest = s[4:]
	}
	var e allowEntry
	if u, h, ok := strings.Cut(rest, "@"); ok {
		if !validUserPart(u) {
			return e, fmt.Errorf("%q: bad user part", s)
		}
		e.user, rest = u, h
	}
	if h, _, err := net.SplitHostPort(rest); err == nil {
		rest = h
	}
	if rest == "" || strings.ContainsAny(rest, " \t/<>;@\"") {
		return e, fmt.Errorf("%q is neither a caller URI nor a network", s)
	}
	e.host = strings.ToLower(rest)
	return e, nil
}

func validHostPort(s string) error {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return err
	}
	if host != "" && net.ParseIP(host) == nil {
		return &net.AddrError{Err: "host must be an IP address", Addr: s}
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 0 || p > 65535 {
		return &net.AddrError{Err: "port must be 0..65535", Addr: s}
	}
	return nil
}
