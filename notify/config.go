package notify

import (
	"net/url"
	"strings"
	"time"

	"github.com/sipbell/sipbell/internal/cfgerr"
	"github.com/sipbell/sipbell/notify/mqtt"
)

// Config is the "notify:" section of the configuration file.
type Config struct {
	// Webhooks receive every selected event as an HTTP POST.
	Webhooks []Webhook `yaml:"webhooks"`
	// Messages are SIP MESSAGEs sent on events.
	Messages Messages `yaml:"messages"`
	// Queue bounds the events waiting per receiver (webhook or messages);
	// beyond it the oldest are dropped and counted.
	Queue int `yaml:"queue"`
	// MQTT publishes events and state to a broker, takes commands from it
	// and announces the device to Home Assistant.
	MQTT mqtt.Config `yaml:"mqtt"`
}

// Webhook is one HTTP receiver.
type Webhook struct {
	// URL is an http:// or https:// URL.
	URL string `yaml:"url"`
	// Events selects event names (rang, answered, missed, busy, call-ended,
	// door-opened, door-left-open, door-closed, door-contact-open, tamper,
	// tamper-cleared, registration, audio-fault, audio-ok: the speaker and
	// microphone self-test); empty means all.
	Events []string `yaml:"events"`
	// Secret, when set, signs each request (X-Sipbell-Signature).
	Secret string `yaml:"secret" secret:"true"`
	// Timeout bounds one request (1s..60s; 0 means 5s).
	Timeout time.Duration `yaml:"timeout"`
	// Retries is how many times a failed delivery is tried again (0..20;
	// left out: 5).
	Retries *int `yaml:"retries"`
	// BackoffMax caps the wait between retries (1s..1h; 0 means 5m); the
	// first wait is one second, doubling, with jitter.
	BackoffMax time.Duration `yaml:"backoff_max"`
}

// Messages configures SIP MESSAGEs sent on events.
type Messages struct {
	// To lists SIP URIs (sip:alice@pbx.example) that get the texts.
	To []string `yaml:"to"`
	// Events selects which events send a message (default: missed,
	// door-opened, door-left-open).
	Events []string `yaml:"events"`
	// Texts overrides the text per event name, e.g. "Door opened by
	// {{.Who}} at {{.Time.Local.Format "15:04"}}". A text names the
	// event's fields (.ID .Event .Time .Device .Account .Registration
	// .Button .Targets .Peer .Incoming .Reason .Who .OpenSeconds .Open)
	// in this subset of Go's text/template: {{.Field}}, {{.Time.Format
	// "layout"}} (UTC) and {{.Time.Local.Format "layout"}}, {{if .Field}}
	// ... {{else if .Field}} ... {{else}} ... {{end}}, {{range
	// .Targets}}{{.}}{{end}}, {{/* comments */}} and the {{- -}} trim
	// markers; anything else (functions, pipelines, variables) is refused.
	Texts map[string]string `yaml:"texts"`
}

// EventNames are the event names a filter may use.
var EventNames = []string{"registration", "rang", "answered", "missed", "busy", "call-ended",
	"door-opened", "door-left-open", "door-closed", "door-contact-open", "tamper", "tamper-cleared",
	"audio-fault", "audio-ok"}

// DefaultConfig returns no webhooks and no messages, with the defaults
// filled in for when they are added.
func DefaultConfig() Config {
	return Config{Queue: 64, Messages: Messages{Events: []string{"missed", "door-opened", "door-left-open"}}}
}

// webhook defaults, applied by the Notifier to zero fields.
const (
	defaultTimeout    = 5 * time.Second
	defaultRetries    = 5
	defaultBackoffMax = 5 * time.Minute
)

// Validate checks the section; paths are relative to it.
func (c *Config) Validate() error {
	var errs cfgerr.List
	for i, w := range c.Webhooks {
		errs.Merge(cfgerr.Index("webhooks", i), w.validate())
	}
	if c.Queue < 1 || c.Queue > 10000 {
		errs.Add("queue", "must be 1..10000, got %d", c.Queue)
	}
	errs.Merge("messages", c.Messages.validate())
	errs.Merge("mqtt", c.MQTT.Validate())
	return errs.Err()
}

// retries is the configured retry count, or the default.
func (w Webhook) retries() int {
	if w.Retries == nil {
		return defaultRetries
	}
	return *w.Retries
}

func (w Webhook) validate() error {
	var errs cfgerr.List
	u, err := url.Parse(w.URL)
	switch {
	case w.URL == "":
		errs.Add("url", "must not be empty")
	case err != nil:
		errs.Add("url", "%v", err)
	case u.Scheme != "http" && u.Scheme != "https" || u.Host == "":
		errs.Add("url", "%q is not an http:// or https:// URL", w.URL)
	case u.User != nil:
		errs.Add("url", "must not carry credentials; use secret to sign requests")
	}
	validEvents(&errs, "events", w.Events)
	if w.Timeout != 0 && (w.Timeout < time.Second || w.Timeout > time.Minute) {
		errs.Add("timeout", "must be 1s..60s, got %v", w.Timeout)
	}
	if w.Retries != nil && (*w.Retries < 0 || *w.Retries > 20) {
		errs.Add("retries", "must be 0..20, got %d", *w.Retries)
	}
	if w.BackoffMax != 0 && (w.BackoffMax < time.Second || w.BackoffMax > time.Hour) {
		errs.Add("backoff_max", "must be 1s..1h, got %v", w.BackoffMax)
	}
	if w.Secret != "" && len(w.Secret) < 16 {
		errs.Add("secret", "must be at least 16 characters when set")
	}
	return errs.Err()
}

func (m Messages) validate() error {
	var errs cfgerr.List
	for i, to := range m.To {
		low := strings.ToLower(to)
		if !(strings.HasPrefix(low, "sip:") || strings.HasPrefix(low, "sips:")) || !strings.Contains(to, "@") ||
			strings.ContainsAny(to, " \t<>\"") {
			errs.Add(cfgerr.Index("to", i), "%q is not a SIP URI like sip:alice@pbx.example", to)
		}
	}
	validEvents(&errs, "events", m.Events)
	for name, text := range m.Texts {
		path := "texts." + name
		if !knownEvent(name) {
			errs.Add(path, "unknown event %q (one of %s)", name, strings.Join(EventNames, ", "))
			continue
		}
		if _, err := parseText(text); err != nil {
			errs.Add(path, "%v", err)
		} else if len(text) > 1000 {
			errs.Add(path, "longer than 1000 bytes")
		}
	}
	return errs.Err()
}

func validEvents(errs *cfgerr.List, path string, evs []string) {
	for i, e := range evs {
		if !knownEvent(e) {
			errs.Add(cfgerr.Index(path, i), "unknown event %q (one of %s)", e, strings.Join(EventNames, ", "))
		}
	}
}

func knownEvent(name string) bool {
	for _, n := range EventNames {
		if n == name {
			return true
		}
	}
	return false
}

// selects reports whether filter (empty: all) contains name.
func selects(filter []string, name string) bool {
	if len(filter) == 0 {
		return true
	}
	for _, f := range filter {
		if f == name {
			return true
		}
	}
	return false
}
