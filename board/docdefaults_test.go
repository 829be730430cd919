package board

import (
	"testing"

	"github.com/sipbell/sipbell/internal/configdoc"
)

// TestDocumentedDefaults fails when docs/configuration.md shows a call
// button default other than the one the board applies to a key left out.
func TestDocumentedDefaults(t *testing.T) {
	b := roleDefault(CallButton)
	for key, applied := range map[string]any{
		"board.pins.call_buttons[].active":     b.Active,
		"board.pins.call_buttons[].pull":       b.Pull,
		"board.pins.call_buttons[].debounce":   b.Debounce,
		"board.pins.call_buttons[].long_press": b.LongPress,
	} {
		if got := configdoc.Format(applied); configdoc.Defaults[key] != got {
			t.Errorf("%s: reference shows %q, the code applies %q", key, configdoc.Defaults[key], got)
		}
	}
}
