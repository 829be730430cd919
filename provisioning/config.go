package provisioning

import (
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/sipbell/sipbell/internal/cfgerr"
)

// Config is the provisioning section of the configuration file
// ("provisioning:"): where the device pulls its configuration from, how
// a bad configuration is rolled back, and the local admin web server.
type Config struct {
	// URL is the per-device configuration URL template. {mac} (lower-case
	// hex, no separators), {MAC} (upper-case), {mac_colons}, {serial} and
	// {model} are replaced. Empty means: use the URL a DHCP server gave
	// (option 160, then 66/67) if any, else no pull provisioning. The
	// server's file is applied when it changes (a new ETag or new
	// content): a change made on the web page or through the API stays
	// until the server publishes a new file, which then wins whole, as IP
	// phones keep local changes until the server's file changes. What was
	// last fetched is kept in the state dir, so a restart does not undo a
	// local change. A fetched file is the whole configuration over the
	// defaults, except its provisioning: section, which is read key by key
	// over the one in force: a file without one keeps the URL, credentials
	// and admin page. An empty file is refused, and so is a file that
	// would remove the URL, the admin page or every SIP account without
	// writing the key (url: "", admin: listen: "", sip: accounts: []).
	URL string `yaml:"url"`
	// CommonURL is an optional file (same placeholders) fetched too; the
	// per-device file is merged over it key by key.
	CommonURL string `yaml:"common_url"`
	// SigningKeys pins minisign public keys (the "RW..." line of a
	// minisign.pub). When set, every fetched file (the device file and
	// the common file) must come with a detached signature at the same
	// URL plus ".minisig" (minisign -S -m FILE), made by one of these
	// keys; otherwise it is refused with the reason and the running
	// configuration is kept. List two keys to rotate: sign with the new
	// one, then drop the old one from the (signed) file.
	SigningKeys []string `yaml:"signing_keys,omitempty"`
	// RequireEncryption refuses every fetched file (device and common
	// file) that is not age-encrypted to this device. Files encrypted to
	// the device (age -r RECIPIENT, binary or -a armored; the recipient is
	// in the status API and the start log) are decrypted whether or not
	// this is set. A minisign signature covers the file as served (the
	// encrypted file). The device's identity is StateDir/age.key (0600).
	RequireEncryption bool `yaml:"require_encryption,omitempty"`
	// Interval is how often the files are fetched again (0: only at start
	// and on request). A random offset of up to a tenth of it is added
	// so a building of devices does not hit the server at once.
	Interval time.Duration `yaml:"interval"`
	// User and Password authenticate to the provisioning server (HTTP
	// basic or digest, whichever the server asks for).
	User     string `yaml:"user"`
	Password string `yaml:"password" secret:"true"`
	// CAFile is a PEM file of CA certificates trusted for HTTPS, instead
	// of the system roots.
	CAFile string `yaml:"ca_file"`
	// Timeout bounds one fetch.
	Timeout time.Duration `yaml:"timeout"`
	// DHCPLeaseFiles are read, in order, for a provisioning URL in DHCP
	// option 160 or 66/67 when URL is empty (dhclient and dhcpcd formats).
	DHCPLeaseFiles []string `yaml:"dhcp_lease_files"`
	// DHCPInform names the network interface ("eth0") on which the
	// device asks the DHCP server itself for options 160, 66/67 and 43
	// (a DHCPINFORM, RFC 2131) when url is empty, at start and hourly.
	// It works whatever DHCP client the system runs: NetworkManager
	// (Raspberry Pi OS bookworm) and systemd-networkd keep these options
	// in no file sipbell can read. The answer is kept in the state dir
	// and read after dhcp_lease_files. Needs root or
	// CAP_NET_BIND_SERVICE (port 68). Empty: off.
	DHCPInform string `yaml:"dhcp_inform,omitempty"`
	// RollbackAfter: when the device was healthy (registered) before a
	// configuration change and is not healthy again within this time, the
	// last-known-good configuration is restored. 0 disables.
	RollbackAfter time.Duration `yaml:"rollback_after"`
	// StateDir holds the admin password hash, the web server's
	// self-signed certificate and what pull provisioning last fetched.
	StateDir string `yaml:"state_dir"`
	// Admin is the local web UI and JSON API.
	Admin AdminConfig `yaml:"admin"`
	// Firmware names the firmware to run; only the gokrazy image installs
	// it (a Debian install updates with apt).
	Firmware FirmwareConfig `yaml:"firmware,omitempty"`
}

// AdminConfig configures the device's own web server.
type AdminConfig struct {
	// Listen is host:port of the web UI and API; empty disables it.
	Listen string `yaml:"listen"`
	// TLS serves HTTPS (default). Without CertFile/KeyFile a self-signed
	// certificate is made on first start and kept in the state dir. HTTPS
	// answers carry HSTS (one year): a browser that trusted the
	// certificate keeps to HTTPS for this host name.
	TLS bool `yaml:"tls"`
	// CertFile is the web page's certificate (PEM); empty means the
	// self-signed one made on first start.
	CertFile string `yaml:"cert_file"`
	// KeyFile is the private key (PEM) of cert_file; set both or neither.
	KeyFile string `yaml:"key_file"`
	// Password is the admin password. When empty, the password set
	// before is kept (stored hashed in the state dir); on first start
	// without one, a random password is generated and logged once. A
	// changed password ends every session opened with the old one.
	Password string `yaml:"password" secret:"true"`
}

// Default values of the provisioning section.
const (
	DefaultInterval      = time.Hour
	DefaultFetchTimeout  = 30 * time.Second
	DefaultRollbackAfter = 5 * time.Minute
	DefaultStateDir      = "/var/lib/sipbell"
	DefaultAdminListen   = "0.0.0.0:8443"
)

// DefaultLeaseFiles are where Debian's dhclient and dhcpcd (Raspberry Pi
// OS) keep their leases.
var DefaultLeaseFiles = []string{
	"/var/lib/dhcp/dhclient.leases",
	"/var/lib/dhcp/dhclient.eth0.leases",
	"/var/lib/dhcpcd/eth0.lease",
	"/var/lib/dhcpcd/wlan0.lease",
}

// DefaultConfig returns the provisioning defaults: no pull URL (DHCP
// options are looked at), hourly resync, 5 minute rollback, HTTPS admin
// on port 8443.
func DefaultConfig() Config {
	return Config{
		Interval:       DefaultInterval,
		Timeout:        DefaultFetchTimeout,
		DHCPLeaseFiles: append([]string(nil), DefaultLeaseFiles...),
		RollbackAfter:  DefaultRollbackAfter,
		StateDir:       DefaultStateDir,
		Admin:          AdminConfig{Listen: DefaultAdminListen, TLS: true},
		Firmware:       FirmwareConfig{HealthWindow: DefaultHealthWindow},
	}
}

// Validate checks the section; paths are relative to it.
func (c *Config) Validate() error {
	var errs cfgerr.List
	checkURL(&errs, "url", c.URL)
	checkURL(&errs, "common_url", c.CommonURL)
	if c.CommonURL != "" && c.URL == "" {
		errs.Add("common_url", "needs url to be set too")
	}
	for i, k := range c.SigningKeys {
		if _, err := parseMinisignKey(k); err != nil {
			errs.Add(fmt.Sprintf("signing_keys[%d]", i), "%v", err)
		}
	}
	if c.Interval != 0 && c.Interval < time.Minute {
		errs.Add("interval", "must be 0 (off) or at least 1m, got %s", c.Interval)
	}
	if c.Timeout < time.Second || c.Timeout > 10*time.Minute {
		errs.Add("timeout", "must be between 1s and 10m, got %s", c.Timeout)
	}
	if c.RollbackAfter < 0 || (c.RollbackAfter > 0 && c.RollbackAfter < 10*time.Second) {
		errs.Add("rollback_after", "must be 0 (off) or at least 10s, got %s", c.RollbackAfter)
	}
	if c.Password != "" && c.User == "" {
		errs.Add("user", "must be set when password is")
	}
	if c.StateDir == "" {
		errs.Add("state_dir", "must not be empty")
	}
	for i, f := range c.DHCPLeaseFiles {
		if f == "" {
			errs.Add(cfgerr.Index("dhcp_lease_files", i), "must not be empty")
		}
	}
	errs.Merge("admin", c.Admin.validate())
	errs.Merge("firmware", c.Firmware.validate(c.SigningKeys))
	return errs.Err()
}

func (a *AdminConfig) validate() error {
	var errs cfgerr.List
	if a.Listen != "" {
		if _, port, err := net.SplitHostPort(a.Listen); err != nil || port == "" {
			errs.Add("listen", "must be host:port (empty host: every address), got %q", a.Listen)
		}
	}
	if (a.CertFile == "") != (a.KeyFile == "") {
		errs.Add("cert_file", "cert_file and key_file go together")
	}
	if a.CertFile != "" && !a.TLS {
		errs.Add("tls", "must be true when cert_file is set")
	}
	if a.Password != "" && a.Password != Redacted && len(a.Password) < 8 {
		errs.Add("password", "must be at least 8 characters")
	}
	return errs.Err()
}

func checkURL(errs *cfgerr.List, path, raw string) {
	if raw == "" {
		return
	}
	u, err := url.Parse(expandTemplate(raw, Identity{MAC: net.HardwareAddr{0, 0, 0, 0, 0, 0}, Serial: "x", Model: "x"}))
	switch {
	case err != nil:
		errs.Add(path, "not a URL: %v", err)
	case u.Scheme != "http" && u.Scheme != "https":
		errs.Add(path, "must start with http:// or https://, got %q", raw)
	case u.Host == "":
		errs.Add(path, "has no host: %q", raw)
	case strings.Contains(raw, "{") && strings.Contains(expandTemplate(raw, Identity{}), "{"):
		errs.Add(path, "unknown placeholder (known: {mac} {MAC} {mac_colons} {serial} {model}): %q", raw)
	}
}
