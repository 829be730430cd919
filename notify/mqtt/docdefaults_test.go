package mqtt

import (
	"testing"

	"github.com/sipbell/sipbell/internal/configdoc"
)

// TestDocumentedDefaults fails when docs/configuration.md shows an MQTT
// default other than the one applied to a key left out.
func TestDocumentedDefaults(t *testing.T) {
	c := Config{}.withDefaults()
	for key, applied := range map[string]any{
		"notify.mqtt.topic":                 c.Topic,
		"notify.mqtt.queue":                 c.Queue,
		"notify.mqtt.backoff_max":           c.BackoffMax,
		"notify.mqtt.home_assistant.prefix": c.HomeAssistant.Prefix,
		"notify.mqtt.home_assistant.user":   c.HomeAssistant.User,
	} {
		if got := configdoc.Format(applied); configdoc.Defaults[key] != got {
			t.Errorf("%s: reference shows %q, the code applies %q", key, configdoc.Defaults[key], got)
		}
	}
}
