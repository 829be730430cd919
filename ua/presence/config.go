package presence

import (
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/sipbell/sipbell/internal/cfgerr"
)

// Config is the "presence:" section of the configuration file.
type Config struct {
	// Publish sends the device's presence to a presence server with
	// PUBLISH (needs an account).
	Publish bool `yaml:"publish"`
	// Server is the presence server, host[:port] or sip:host[:port];
	// empty means the first account's outbound proxy, else its registrar.
	Server string `yaml:"server"`
	// Expires is the publication lifetime asked for (1m..24h).
	Expires time.Duration `yaml:"expires"`
	// MaxWatchers bounds the phones subscribed to the device directly
	// (presence or dialog/BLF); 0 refuses direct subscriptions.
	MaxWatchers int `yaml:"max_watchers"`
	// WatchersFull is the answer beyond MaxWatchers: 503 (with
	// Retry-After) or 403.
	WatchersFull int `yaml:"watchers_full"`
	// SubscribeExpires is the lifetime of a subscription that asks for
	// none.
	SubscribeExpires time.Duration `yaml:"subscribe_expires"`
	// SubscribeMinExpires is the shortest lifetime a subscription may ask
	// for; shorter gets 423 Interval Too Brief.
	SubscribeMinExpires time.Duration `yaml:"subscribe_min_expires"`
	// SubscribeMaxExpires caps the lifetime a subscription asks for.
	SubscribeMaxExpires time.Duration `yaml:"subscribe_max_expires"`
	// Commands lets admitted senders send MESSAGE commands (open, status,
	// help); "open" works for a verified sender in device.door.allowed
	// (asserted by the registrar/proxy, or a sip.callers user), or with
	// CommandSecret.
	Commands bool `yaml:"commands"`
	// CommandSecret, when set, lets "open <secret>" open the door.
	CommandSecret string `yaml:"command_secret" secret:"true"`
	// RequireSecret demands the secret even from a verified, allowed
	// sender.
	RequireSecret bool `yaml:"require_secret"`
}

// DefaultConfig publishes for 1h, admits 16 watchers and accepts commands.
func DefaultConfig() Config {
	return Config{Publish: true, Expires: time.Hour, MaxWatchers: 16, WatchersFull: 503,
		SubscribeExpires: time.Hour, SubscribeMinExpires: time.Minute, SubscribeMaxExpires: 2 * time.Hour,
		Commands: true}
}

// Validate checks the section; paths are relative to it.
func (c *Config) Validate() error {
	var errs cfgerr.List
	if c.Server != "" {
		if err := validServer(c.Server); err != "" {
			errs.Add("server", "%s", err)
		}
	}
	if c.Expires < time.Minute || c.Expires > 24*time.Hour {
		errs.Add("expires", "must be 1m..24h, got %v", c.Expires)
	}
	if c.MaxWatchers < 0 || c.MaxWatchers > 256 {
		errs.Add("max_watchers", "must be 0..256, got %d", c.MaxWatchers)
	}
	if c.WatchersFull != 503 && c.WatchersFull != 403 {
		errs.Add("watchers_full", "must be 503 or 403, got %d", c.WatchersFull)
	}
	if c.SubscribeMinExpires < 10*time.Second || c.SubscribeMinExpires > time.Hour {
		errs.Add("subscribe_min_expires", "must be 10s..1h, got %v", c.SubscribeMinExpires)
	}
	if c.SubscribeMaxExpires < c.SubscribeMinExpires || c.SubscribeMaxExpires > 24*time.Hour {
		errs.Add("subscribe_max_expires", "must be subscribe_min_expires..24h, got %v", c.SubscribeMaxExpires)
	}
	if c.SubscribeExpires < c.SubscribeMinExpires || c.SubscribeExpires > c.SubscribeMaxExpires {
		errs.Add("subscribe_expires", "must be within subscribe_min_expires..subscribe_max_expires, got %v", c.SubscribeExpires)
	}
	if c.CommandSecret != "" && len(c.CommandSecret) < 12 {
		errs.Add("command_secret", "must be at least 12 characters when set")
	}
	if strings.ContainsAny(c.CommandSecret, " \t\r\n") {
		errs.Add("command_secret", "must not contain white space")
	}
	if c.RequireSecret && c.CommandSecret == "" {
		errs.Add("require_secret", "needs command_secret")
	}
	return errs.Err()
}

// validServer checks host[:port] or sip:host[:port]; "" when fine.
func validServer(s string) string {
	rest := s
	if low := strings.ToLower(s); strings.HasPrefix(low, "sip:") {
		rest = s[4:]
	} else if strings.HasPrefix(low, "sips:") {
		rest = s[5:]
	}
	if i := strings.IndexByte(rest, ';'); i >= 0 {
		rest = rest[:i]
	}
	host, port := rest, ""
	if h, p, err := net.SplitHostPort(rest); err == nil {
		host, port = h, p
	}
	if host == "" || strings.ContainsAny(host, "@ \t/<>\"") || (strings.Contains(host, ":") && net.ParseIP(host) == nil) {
		return strconv.Quote(s) + " is not host[:port] or sip:host[:port]"
	}
	if port != "" {
		if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
			return strconv.Quote(s) + ": port must be 1..65535"
		}
	}
	return ""
}

// PublisherConfig returns the publisher settings for entity.
func (c Config) PublisherConfig(entity, contact string) PublisherConfig {
	return PublisherConfig{Entity: entity, Contact: contact, Expires: c.Expires}
}

// ManagerConfig returns the watcher settings for entity.
func (c Config) ManagerConfig(entity, contact string) ManagerConfig {
	return ManagerConfig{Entity: entity, Contact: contact, MaxSubscriptions: c.MaxWatchers,
		DefaultExpires: c.SubscribeExpires, MinExpires: c.SubscribeMinExpires, MaxExpires: c.SubscribeMaxExpires,
		RefuseStatus: c.WatchersFull}
}

// CommandConfig returns the MESSAGE command policy.
func (c Config) CommandConfig() CommandConfig {
	return CommandConfig{Secret: c.CommandSecret, RequireSecret: c.RequireSecret}
}
