package ua

import "github.com/emiago/sipgo/sip"

// MaxAlertInfo bounds the Alert-Info an incoming call's event carries.
const MaxAlertInfo = 256

// alertInfo returns the request's Alert-Info headers, joined by ", " and
// cut to MaxAlertInfo bytes ("" when there is none).
func alertInfo(req *sip.Request) string {
	var s string
	for _, h := range req.GetHeaders("Alert-Info") {
		if s != "" {
			s += ", "
		}
		s += h.Value()
		if len(s) >= MaxAlertInfo {
			return s[:MaxAlertInfo]
		}
	}
	return s
}
