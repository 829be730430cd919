package presence

import (
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	if c := DefaultConfig(); c.Validate() != nil {
		t.Fatalf("default invalid: %v", c.Validate())
	}
	tests := []struct {
		mod  func(*Config)
		path string
	}{
		{func(c *Config) { c.Server = "sip:alice@pbx" }, "server"},
		{func(c *Config) { c.Server = "pbx:0" }, "server"},
		{func(c *Config) { c.Expires = time.Second }, "expires"},
		{func(c *Config) { c.MaxWatchers = -1 }, "max_watchers"},
		{func(c *Config) { c.WatchersFull = 486 }, "watchers_full"},
		{func(c *Config) { c.SubscribeMinExpires = time.Second }, "subscribe_min_expires"},
		{func(c *Config) { c.SubscribeMaxExpires = 30 * time.Second }, "subscribe_max_expires"},
		{func(c *Config) { c.SubscribeExpires = 3 * time.Hour }, "subscribe_expires"},
		{func(c *Config) { c.CommandSecret = "short" }, "command_secret"},
		{func(c *Config) { c.CommandSecret = "long enough but spaced" }, "command_secret: must not contain"},
		{func(c *Config) { c.RequireSecret = true }, "require_secret"},
	}
	for _, tc := range tests {
		c := DefaultConfig()
		tc.mod(&c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.path) {
			t.Errorf("%+v: %v, want %q", c, err, tc.path)
		}
	}
	for _, s := range []string{"pbx.example", "pbx.example:5070", "sip:pbx.example", "[::1]:5060", "10.0.0.1"} {
		c := DefaultConfig()
		c.Server = s
		if err := c.Validate(); err != nil {
			t.Errorf("server %q: %v", s, err)
		}
	}
}

func TestConfigYAML(t *testing.T) {
	t.Parallel()
	src := "publish: false\nserver: sip:presence.example:5070\nexpires: 30m\nmax_watchers: 4\ncommand_secret: 0123456789abcdef\n"
	c := DefaultConfig()
	if err := yaml.Unmarshal([]byte(src), &c); err != nil {
		t.Fatal(err)
	}
	if c.Publish || c.Server != "sip:presence.example:5070" || c.Expires != 30*time.Minute || c.MaxWatchers != 4 ||
		c.CommandSecret != "0123456789abcdef" || !c.Commands || c.Validate() != nil {
		t.Errorf("decoded %+v (%v)", c, c.Validate())
	}
	if m := c.ManagerConfig("sip:door@h", ""); m.MaxSubscriptions != 4 || m.RefuseStatus != 503 {
		t.Errorf("manager config %+v", m)
	}
}
