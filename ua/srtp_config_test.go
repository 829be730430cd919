package ua

import (
	"strings"
	"testing"

	"github.com/emiago/sipgo/sip"
	"github.com/sipbell/sipbell/ua/media"
)

// TestConfigSRTPValidate: policies are checked, and an account only gets
// SRTP over TLS (keys never travel in clear).
func TestConfigSRTPValidate(t *testing.T) {
	t.Parallel()
	acct := func(transport, registrar, srtp string) func(*Config) {
		return func(c *Config) {
			c.Accounts = []Account{{Registrar: registrar, Transport: transport, User: "door", Password: "pw", SRTP: srtp}}
		}
	}
	for _, tc := range []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"default off", func(*Config) {}, ""},
		{"direct mandatory", func(c *Config) { c.SRTP = "mandatory" }, ""},
		{"direct optional", func(c *Config) { c.SRTP = "optional" }, ""},
		{"direct dtls", func(c *Config) { c.SRTP = "dtls" }, ""},
		{"bad policy", func(c *Config) { c.SRTP = "always" }, "srtp: must be off, optional, mandatory or dtls"},
		{"account tls", acct("tls", "pbx.example:5061", "mandatory"), ""},
		{"account sips", acct("", "sips:pbx.example", "optional"), ""},
		{"account udp off", acct("udp", "pbx.example", "off"), ""},
		{"account udp mandatory", acct("udp", "pbx.example", "mandatory"), "accounts[0].srtp: mandatory needs transport tls"},
		{"account udp dtls", acct("udp", "pbx.example", "dtls"), "accounts[0].srtp: dtls needs transport tls"},
		{"account tls dtls", acct("tls", "pbx.example:5061", "dtls"), ""},
		{"account default optional", acct("", "pbx.example", "optional"), "never sent over udp"},
		{"account tcp", acct("tcp", "pbx.example", "optional"), "never sent over tcp"},
		{"account bad", acct("tls", "pbx.example", "yes"), "accounts[0].srtp: must be"},
		{"caller by certificate", func(c *Config) {
			c.Callers = []KnownCaller{{User: "alice", TLSSHA256: "SHA-256 " + strings.Repeat("AB:", 31) + "AB"}}
		}, ""},
		{"caller bad fingerprint", func(c *Config) { c.Callers = []KnownCaller{{User: "alice", TLSSHA256: "AB:CD"}} },
			"callers[0].tls_sha256: parse pin"},
		{"caller with nothing", func(c *Config) { c.Callers = []KnownCaller{{User: "alice"}} }, "a tls_sha256 certificate"},
	} {
		c := testConfig()
		tc.edit(&c)
		err := c.Validate()
		if (err == nil) != (tc.want == "") || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s: Validate() = %v, want %q", tc.name, err, tc.want)
		}
	}
}

// TestSRTPPolicyOfAnINVITE: an INVITE's own transport and route decide
// whether its SDP may carry keys (a pickup's, not the call's it picks
// up): TLS or not, through an account's proxy or direct, sips: or not.
func TestSRTPPolicyOfAnINVITE(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.SRTP = "optional"
	cfg.Accounts = []Account{{Registrar: "sips:pbx.example", User: "door", Password: "pw", SRTP: "mandatory"}}
	u := &UA{cfg: cfg}
	for _, tc := range []struct {
		name      string
		uri       string
		transport string
		trusted   bool
		policy    media.SRTPPolicy
		secure    bool
	}{
		{"direct over udp", "sip:door@127.0.0.1", "UDP", false, media.SRTPOptional, false},
		{"direct over tls", "sip:door@127.0.0.1", "TLS", false, media.SRTPOptional, true},
		{"through the account's proxy", "sip:door@127.0.0.1", "TLS", true, media.SRTPMandatory, true},
		{"sips: request-uri over udp", "sips:door@127.0.0.1", "UDP", false, media.SRTPMandatory, false},
	} {
		req := sip.NewRequest(sip.INVITE, sip.Uri{Scheme: strings.Split(tc.uri, ":")[0], User: "door", Host: "127.0.0.1"})
		req.SetTransport(tc.transport)
		p, secure := u.srtpFor(Caller{Trusted: tc.trusted}, req)
		if p != tc.policy || secure != tc.secure {
			t.Errorf("%s: policy %s secure %v, want %s %v", tc.name, p, secure, tc.policy, tc.secure)
		}
	}
	// A sips: Request-URI raises the policy to mandatory at least: an
	// account's dtls stays DTLS-SRTP (not SDES).
	cfg.Accounts[0].SRTP = "dtls"
	u = &UA{cfg: cfg}
	req := sip.NewRequest(sip.INVITE, sip.Uri{Scheme: "sips", User: "door", Host: "127.0.0.1"})
	req.SetTransport("TLS")
	if p, _ := u.srtpFor(Caller{Trusted: true}, req); p != media.SRTPDTLS {
		t.Errorf("sips: through a dtls account: policy %s, want dtls", p)
	}
}
