package provisioning

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/cfgerr"
)

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		mutate func(*Config)
		want   string // "path: message prefix", "" for valid
	}{
		{"defaults", func(c *Config) {}, ""},
		{"full template", func(c *Config) {
			c.URL = "https://prov.example/{model}/{MAC}-{mac}-{mac_colons}-{serial}.yaml"
		}, ""},
		{"ftp", func(c *Config) { c.URL = "ftp://x/{mac}" }, "url: must start with http:// or https://"},
		{"no host", func(c *Config) { c.URL = "http:///x" }, "url: has no host"},
		{"unknown placeholder", func(c *Config) { c.URL = "http://x/{mac_dashes}.yaml" }, "url: unknown placeholder"},
		{"common without url", func(c *Config) { c.CommonURL = "http://x/common.yaml" }, "common_url: needs url"},
		{"interval too short", func(c *Config) { c.Interval = 5 * time.Second }, "interval: must be 0 (off) or at least 1m"},
		{"interval off", func(c *Config) { c.Interval = 0 }, ""},
		{"timeout", func(c *Config) { c.Timeout = 0 }, "timeout: must be between"},
		{"rollback too short", func(c *Config) { c.RollbackAfter = time.Second }, "rollback_after: must be 0 (off) or at least 10s"},
		{"password without user", func(c *Config) { c.Password = "x" }, "user: must be set"},
		{"no state dir", func(c *Config) { c.StateDir = "" }, "state_dir: must not be empty"},
		{"empty lease file", func(c *Config) { c.DHCPLeaseFiles = []string{""} }, "dhcp_lease_files[0]: must not be empty"},
		{"admin listen", func(c *Config) { c.Admin.Listen = "8443" }, "admin.listen: must be host:port"},
		{"admin off", func(c *Config) { c.Admin.Listen = "" }, ""},
		{"cert without key", func(c *Config) { c.Admin.CertFile = "/c.pem" }, "admin.cert_file: cert_file and key_file go together"},
		{"cert without tls", func(c *Config) { c.Admin.CertFile, c.Admin.KeyFile, c.Admin.TLS = "/c", "/k", false }, "admin.tls: must be true"},
		{"short password", func(c *Config) { c.Admin.Password = "short" }, "admin.password: must be at least 8"},
		{"redacted password kept", func(c *Config) { c.Admin.Password = Redacted }, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConfig()
			tc.mutate(&c)
			err := c.Validate()
			if tc.want == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			var l cfgerr.List
			if !errors.As(err, &l) || len(l) != 1 || !strings.HasPrefix(l[0].Error(), tc.want) {
				t.Fatalf("got %v, want one error %q", err, tc.want)
			}
		})
	}
}

func TestExpandTemplate(t *testing.T) {
	t.Parallel()
	got := expandTemplate("http://p/{model}/{serial}/{mac}/{MAC}/{mac_colons}", testID)
	if want := "http://p/rpi-door/0000abcd/b827eb12abcd/B827EB12ABCD/b8:27:eb:12:ab:cd"; got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}
