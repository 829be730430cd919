package mqtt

import (
	"net/url"
	"strings"
	"time"

	"github.com/sipbell/sipbell/internal/cfgerr"
)

// Config is the "notify.mqtt:" section of the configuration file.
type Config struct {
	// Broker is mqtt://host:port (plain) or mqtts://host:port (TLS); empty
	// disables MQTT.
	Broker string `yaml:"broker"`
	// User is the user name sipbell logs in to the broker with.
	User string `yaml:"user"`
	// Password is that user's password.
	Password string `yaml:"password" secret:"true"`
	// CAFile is a PEM file of the CAs that sign the broker's certificate
	// (mqtts://); empty means the system's roots.
	CAFile string `yaml:"ca_file"`
	// ClientID is the MQTT client identifier (default: "sipbell-" and the
	// topic's last level).
	ClientID string `yaml:"client_id"`
	// Topic is the prefix of every topic this device uses (default
	// "sipbell"); one per door station on a shared broker.
	Topic string `yaml:"topic"`
	// Commands lists the MQTT users whose commands run (each publishes
	// under <topic>/command/<user>/, which the broker's ACL must reserve
	// to that user: open, open/N for relay N, call, hangup, dnd); empty:
	// no commands.
	Commands []string `yaml:"commands"`
	// Queue bounds the messages waiting while the broker is unreachable
	// (1..10000; 0 means 64); beyond it the oldest are dropped and counted.
	Queue int `yaml:"queue"`
	// BackoffMax caps the wait between reconnection attempts (1s..10m; 0
	// means 1m); waits start at one second and double.
	BackoffMax time.Duration `yaml:"backoff_max"`
	// HomeAssistant announces the device to Home Assistant.
	HomeAssistant HomeAssistant `yaml:"home_assistant"`
}

// HomeAssistant configures Home Assistant MQTT discovery.
type HomeAssistant struct {
	// Discovery publishes retained discovery configs; when false, the
	// configs published before are removed (empty retained payloads).
	Discovery bool `yaml:"discovery"`
	// Prefix is Home Assistant's discovery prefix (default "homeassistant").
	Prefix string `yaml:"prefix"`
	// User is the MQTT user Home Assistant publishes commands as (its
	// buttons send to <topic>/command/<user>/open); it must be listed in
	// commands for them to work. Default: "homeassistant".
	User string `yaml:"user"`
}

// Defaults filled in by withDefaults.
const (
	defaultTopic      = "sipbell"
	defaultQueue      = 64
	defaultBackoffMax = time.Minute
	defaultHAPrefix   = "homeassistant"
	defaultHAUser     = "homeassistant"
)

// Enabled reports whether a broker is configured.
func (c Config) Enabled() bool { return c.Broker != "" }

func (c Config) withDefaults() Config {
	if c.Topic == "" {
		c.Topic = defaultTopic
	}
	if c.Queue == 0 {
		c.Queue = defaultQueue
	}
	if c.BackoffMax == 0 {
		c.BackoffMax = defaultBackoffMax
	}
	if c.HomeAssistant.Prefix == "" {
		c.HomeAssistant.Prefix = defaultHAPrefix
	}
	if c.HomeAssistant.User == "" {
		c.HomeAssistant.User = defaultHAUser
	}
	if c.ClientID == "" {
		c.ClientID = "sipbell-" + c.Topic[strings.LastIndex(c.Topic, "/")+1:]
	}
	return c
}

// brokerURL turns mqtt:// and mqtts:// into the client library's schemes.
func (c Config) brokerURL() string {
	u, _ := url.Parse(c.Broker)
	if u.Scheme == "mqtts" {
		return "ssl://" + u.Host
	}
	return "tcp://" + u.Host
}

// Validate checks the section; paths are relative to it.
func (c *Config) Validate() error {
	var errs cfgerr.List
	if c.Broker == "" {
		return nil
	}
	u, err := url.Parse(c.Broker)
	switch {
	case err != nil:
		errs.Add("broker", "%v", err)
	case u.Scheme != "mqtt" && u.Scheme != "mqtts" || u.Port() == "":
		errs.Add("broker", "%q is not mqtt://host:port or mqtts://host:port", c.Broker)
	case u.User != nil:
		errs.Add("broker", "must not carry credentials; use user and password")
	}
	if c.Password != "" && c.User == "" {
		errs.Add("user", "must be set when password is")
	}
	for _, p := range []struct{ path, topic string }{{"topic", c.Topic}, {"home_assistant.prefix", c.HomeAssistant.Prefix}} {
		if strings.ContainsAny(p.topic, "+#\x00") || strings.HasPrefix(p.topic, "/") || strings.HasSuffix(p.topic, "/") || len(p.topic) > 200 {
			errs.Add(p.path, "%q is not a topic prefix (no +, #, leading or trailing /, at most 200 bytes)", p.topic)
		}
	}
	for i, u := range append(append([]string(nil), c.Commands...), c.HomeAssistant.User) {
		if strings.ContainsAny(u, "+#/\x00") || len(u) > 100 {
			path := cfgerr.Index("commands", i)
			if i == len(c.Commands) {
				path = "home_assistant.user"
			}
			errs.Add(path, "%q cannot be a topic level", u)
		}
	}
	if c.Queue < 0 || c.Queue > 10000 {
		errs.Add("queue", "must be 1..10000 (0: 64), got %d", c.Queue)
	}
	if c.BackoffMax != 0 && (c.BackoffMax < time.Second || c.BackoffMax > 10*time.Minute) {
		errs.Add("backoff_max", "must be 1s..10m, got %v", c.BackoffMax)
	}
	return errs.Err()
}
