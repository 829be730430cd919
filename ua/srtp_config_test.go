package ua

import (
	"strings"
	"testing"
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
		{"bad policy", func(c *Config) { c.SRTP = "always" }, "srtp: must be off, optional or mandatory"},
		{"account tls", acct("tls", "pbx.example:5061", "mandatory"), ""},
		{"account sips", acct("", "sips:pbx.example", "optional"), ""},
		{"account udp off", acct("udp", "pbx.example", "off"), ""},
		{"account udp mandatory", acct("udp", "pbx.example", "mandatory"), "accounts[0].srtp: mandatory needs transport tls"},
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
