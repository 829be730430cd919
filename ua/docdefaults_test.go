package ua

import (
	"testing"

	"github.com/sipbell/sipbell/internal/configdoc"
)

// TestDocumentedDefaults fails when docs/configuration.md shows a default
// other than the one an account applies to a key left out.
func TestDocumentedDefaults(t *testing.T) {
	var a Account
	for key, applied := range map[string]any{
		"sip.accounts[].expires":   a.expires(),
		"sip.accounts[].transport": a.transport(),
	} {
		if got := configdoc.Format(applied); configdoc.Defaults[key] != got {
			t.Errorf("%s: reference shows %q, the code applies %q", key, configdoc.Defaults[key], got)
		}
	}
}
