package ua

import (
	"strings"
	"testing"

	"github.com/emiago/sipgo/sip"
)

// TestAssertedName: the display name of the first P-Asserted-Identity
// entry that has one, unquoted and bounded.
func TestAssertedName(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ pai, want string }{
		{`"Alice Liddell" <sip:alice@pbx>`, "Alice Liddell"},
		{`Alice <sip:alice@pbx>`, "Alice"},
		{`<sip:alice@pbx>`, ""},
		{`sip:alice@pbx`, ""},
		{`"Say \"hi\"" <sip:alice@pbx>`, `Say "hi"`},
		{`"` + strings.Repeat("x", 100) + `" <sip:alice@pbx>`, strings.Repeat("x", maxName)},
	} {
		req := sip.NewRequest(sip.INVITE, sip.Uri{Scheme: "sip", User: "door", Host: "192.0.2.1"})
		req.AppendHeader(sip.NewHeader("P-Asserted-Identity", tc.pai))
		if got := assertedName(req); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.pai, got, tc.want)
		}
	}
}
