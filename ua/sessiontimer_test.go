package ua

import (
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
)

func TestSessionTimerConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		se, min time.Duration
		bad     string
	}{
		{0, 0, ""},
		{30 * time.Minute, 90 * time.Second, ""},
		{60 * time.Second, 60 * time.Second, "session_expires"},
		{3 * time.Hour, 90 * time.Second, "session_expires"},
		{30 * time.Minute, 60 * time.Second, "min_se"},
		{2 * time.Minute, 3 * time.Minute, "min_se"},
	} {
		c := testConfig()
		c.SessionExpires, c.MinSE = tc.se, tc.min
		err := c.Validate()
		switch {
		case tc.bad == "" && err != nil:
			t.Errorf("%v/%v refused: %v", tc.se, tc.min, err)
		case tc.bad != "" && (err == nil || !strings.Contains(err.Error(), tc.bad)):
			t.Errorf("%v/%v: %v, want an error on %s", tc.se, tc.min, err, tc.bad)
		}
	}
}

// TestUASTimerNegotiation covers RFC 4028 §9 on the INVITE's headers.
func TestUASTimerNegotiation(t *testing.T) {
	u := &UA{cfg: Config{SessionExpires: 1800 * time.Second, MinSE: 90 * time.Second}}
	for _, tc := range []struct {
		name     string
		hdrs     []string
		ok       bool
		interval time.Duration
		weRef    bool
	}{
		{"no timer asked, peer without timer: we refresh", nil, true, 1800 * time.Second, true},
		{"no timer asked, peer supports: caller refreshes", []string{"Supported: timer"}, true, 1800 * time.Second, false},
		{"smaller interval honoured", []string{"Supported: timer", "Session-Expires: 300"}, true, 300 * time.Second, false},
		{"larger interval reduced to ours", []string{"Session-Expires: 7200;refresher=uac"}, true, 1800 * time.Second, false},
		{"refresher=uas", []string{"Supported: timer", "Session-Expires: 600;refresher=uas"}, true, 600 * time.Second, true},
		{"compact form", []string{"k: timer", "x: 400;refresher=uac"}, true, 400 * time.Second, false},
		{"below Min-SE: 422", []string{"Session-Expires: 60"}, false, 0, false},
		{"peer Min-SE raises ours", []string{"Supported: timer", "Min-SE: 3600"}, true, 3600 * time.Second, false},
	} {
		req := sip.NewRequest(sip.INVITE, sip.Uri{Scheme: "sip", Host: "127.0.0.1"})
		for _, h := range tc.hdrs {
			k, v, _ := strings.Cut(h, ": ")
			req.AppendHeader(sip.NewHeader(k, v))
		}
		st, ok := u.uasTimer(req)
		if ok != tc.ok || (ok && (st.interval != tc.interval || st.weRefresh != tc.weRef)) {
			t.Errorf("%s: got %+v ok=%v, want interval %v we refresh %v ok=%v", tc.name, st, ok, tc.interval, tc.weRef, tc.ok)
		}
	}
}

func TestExpiryWatch(t *testing.T) {
	for se, want := range map[time.Duration]time.Duration{
		90 * time.Second: 60 * time.Second, 1800 * time.Second: 1768 * time.Second, 3 * time.Second: 2 * time.Second} {
		if got := expiryWatch(se); got != want {
			t.Errorf("expiryWatch(%v) = %v, want %v", se, got, want)
		}
	}
}
