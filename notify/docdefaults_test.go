package notify

import (
	"testing"

	"github.com/sipbell/sipbell/internal/configdoc"
)

// TestDocumentedDefaults fails when docs/configuration.md shows a webhook
// default other than the one the notifier applies to a key left out.
func TestDocumentedDefaults(t *testing.T) {
	n := &Notifier{cfg: DefaultConfig()}
	s := n.webhookSink(Webhook{URL: "http://127.0.0.1:1/"})
	for key, applied := range map[string]any{
		"notify.webhooks[].retries":     s.retries,
		"notify.webhooks[].backoff_max": s.backoffMax,
		"notify.webhooks[].timeout":     defaultTimeout,
	} {
		if got := configdoc.Format(applied); configdoc.Defaults[key] != got {
			t.Errorf("%s: reference shows %q, the code applies %q", key, configdoc.Defaults[key], got)
		}
	}
}
