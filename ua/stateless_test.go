package ua

import (
	"strings"
	"testing"
)

// toTag returns the To tag of a raw response.
func toTag(res string) string {
	for _, line := range strings.Split(res, "\r\n") {
		if low := strings.ToLower(line); strings.HasPrefix(low, "to:") || strings.HasPrefix(low, "t:") {
			if _, tag, ok := strings.Cut(line, "tag="); ok {
				tag, _, _ = strings.Cut(tag, ";")
				return tag
			}
		}
	}
	return ""
}

// TestStatelessAnswers: OPTIONS, a method not allowed (REGISTER: 405)
// and a CANCEL that matches nothing (481) keep no transaction state: a
// retransmission (same branch) is answered anew (another To tag) instead
// of the stored answer being replayed for 32 s of Timer J. A flood of
// them therefore leaves nothing behind.
func TestStatelessAnswers(t *testing.T) {
	t.Parallel()
	h := start(t, testConfig(), nil)
	for _, tc := range []struct{ method, want string }{
		{"OPTIONS", "SIP/2.0 200"}, {"REGISTER", "SIP/2.0 405"}, {"CANCEL", "SIP/2.0 481"},
	} {
		conn := dial(t, h)
		msg := request(tc.method, h.Addr().String(), conn.LocalAddr(), "st-"+tc.method, "", "")
		first := exchange(t, conn, msg, tc.want)
		again := exchange(t, conn, msg, tc.want)
		if toTag(first) == "" || toTag(first) == toTag(again) {
			t.Errorf("%s retransmission answered from kept state (To tag %q both times)", tc.method, toTag(first))
		}
	}
}
