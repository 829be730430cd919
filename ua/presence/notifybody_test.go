package presence

import (
	"strings"
	"testing"
)

func TestCheckBody(t *testing.T) {
	t.Parallel()
	pidf := string(readTestdata(t, "asterisk_pjsip_pidf.xml"))
	di := string(readTestdata(t, "kamailio_dialog_confirmed.xml"))
	tests := []struct {
		ct, body string
		want     int
	}{
		{"", "", 0},
		{"application/pidf+xml", pidf, 0},
		{"application/pidf+xml; charset=utf-8", pidf, 0},
		{"application/dialog-info+xml", di, 0},
		{"application/dialog-info+xml", pidf, 400},
		{"application/pidf+xml", "<presence", 400},
		{"application/pidf+xml", pidf + strings.Repeat(" ", MaxBodySize), 413},
		{"application/pidf+xml", `<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:a@b">` + strings.Repeat("<a>", 100), 413},
		{"application/xpidf+xml", pidf, 415},
		{"text/plain", "hello", 415},
		{";;", pidf, 415},
	}
	for i, tc := range tests {
		got, err := CheckBody(tc.ct, []byte(tc.body))
		if got != tc.want || (got != 0) != (err != nil) {
			t.Errorf("%d (%s): %d %v, want %d", i, tc.ct, got, err, tc.want)
		}
	}
}
