package ua

import (
	"strings"
	"testing"

	"github.com/emiago/sipgo/sip"
)

func TestAlertInfo(t *testing.T) {
	tests := []struct {
		headers []string
		want    string
	}{
		{nil, ""},
		{[]string{"<http://127.0.0.1/Bellcore-dr2>"}, "<http://127.0.0.1/Bellcore-dr2>"},
		{[]string{"<urn:alert:service:normal>", "info=internal"}, "<urn:alert:service:normal>, info=internal"},
		{[]string{strings.Repeat("x", 300)}, strings.Repeat("x", MaxAlertInfo)},
	}
	for _, tt := range tests {
		req := sip.NewRequest(sip.INVITE, sip.Uri{User: "phone", Host: "127.0.0.1"})
		for _, h := range tt.headers {
			req.AppendHeader(sip.NewHeader("Alert-Info", h))
		}
		if got := alertInfo(req); got != tt.want {
			t.Errorf("alertInfo(%q) = %q, want %q", tt.headers, got, tt.want)
		}
	}
}
