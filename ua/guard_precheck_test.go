package ua

import (
	"net"
	"strings"
	"testing"

	"github.com/emiago/sipgo/sip"
)

// TestPrecheckCheap: the guard's request checks stay as they were and do
// their part of the parse's work once (issue 16: they run before sipgo
// parses the request again). A repeated single-value header is named
// from one pass over the headers, and a request with nothing to normalise
// keeps its From and To parameters as parsed (no copy made); one with LWS
// around a parameter is trimmed.
func TestPrecheckCheap(t *testing.T) {
	t.Parallel()
	local := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 5070}
	base := request("INVITE", "127.0.0.1:5060", local, "cheap", "Content-Type: application/sdp\r\n", offerSDP)
	for _, tc := range []struct {
		name      string
		edit      func(string) string
		repeated  string
		normalise bool
	}{
		{"tidy", func(s string) string { return s }, "", false},
		{"two Call-IDs", func(s string) string { return strings.Replace(s, "Call-ID:", "i: other\r\nCall-ID:", 1) }, "Call-ID", false},
		{"two CSeqs", func(s string) string { return strings.Replace(s, "CSeq:", "CSeq: 2 INVITE\r\nCSeq:", 1) }, "CSeq", false},
		{"LWS in a From parameter", func(s string) string { return strings.Replace(s, ";tag=t-cheap", ";tag=t-cheap ;x = 1", 1) }, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			msg, err := checkParser.ParseSIP([]byte(tc.edit(base)))
			if err != nil {
				t.Fatal(err)
			}
			req := msg.(*sip.Request)
			if got := repeatedSingle(req); got != tc.repeated {
				t.Errorf("repeatedSingle = %q, want %q", got, tc.repeated)
			}
			if tc.repeated != "" {
				return
			}
			from := req.From().Params
			if got := normalise(req); got != tc.normalise {
				t.Errorf("normalise = %v, want %v", got, tc.normalise)
			}
			kept := len(from) > 0 && len(req.From().Params) > 0 && &from[0] == &req.From().Params[0]
			if kept == tc.normalise {
				t.Errorf("From parameters copied: %v, want %v (%v -> %v)", !kept, tc.normalise, from, req.From().Params)
			}
		})
	}
}
