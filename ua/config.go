package ua

import (
	"net"
	"strconv"
	"strings"

	"github.com/sipbell/sipbell/internal/cfgerr"
)

// Config is the user agent's section of the configuration file ("sip:").
type Config struct {
	// Listen is the host:port that SIP is received on, over both UDP and
	// TCP. Port 0 picks a free port (printed at start).
	Listen string `yaml:"listen"`
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
}

// DefaultConfig returns a configuration that needs no PBX: it listens on
// all addresses on port 5060 as user "door".
func DefaultConfig() Config {
	return Config{Listen: "0.0.0.0:5060", User: "door", DisplayName: "Door"}
}

// Validate checks the configuration and returns a cfgerr.List whose paths
// are relative to this section.
func (c *Config) Validate() error {
	var errs cfgerr.List
	if err := validHostPort(c.Listen); err != nil {
		errs.Add("listen", "%v", err)
	}
	if c.User == "" {
		errs.Add("user", "must not be empty")
	} else if strings.ContainsAny(c.User, "@:;<> \t") {
		errs.Add("user", "%q is not a valid SIP user part", c.User)
	}
	return errs.Err()
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
