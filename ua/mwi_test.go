package ua

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestParseMessageSummary(t *testing.T) {
	tests := []struct {
		body    string
		waiting bool
		voice   string
		ok      bool
	}{
		{"Messages-Waiting: yes\r\nMessage-Account: sip:*97@pbx\r\nVoice-Message: 2/8 (0/2)\r\n", true, "2/8 (0/2)", true},
		{"messages-waiting:NO\r\n", false, "", true},
		{"Voice-Message: 1/0\r\n", false, "1/0", false},
		{"Messages-Waiting: maybe\r\n", false, "", false},
		{"", false, "", false},
	}
	for _, tt := range tests {
		w, v, ok := parseMessageSummary(tt.body)
		if w != tt.waiting || v != tt.voice || ok != tt.ok {
			t.Errorf("parse %q = %v %q %v, want %v %q %v", tt.body, w, v, ok, tt.waiting, tt.voice, tt.ok)
		}
	}
}

// TestNotifyMessageSummary: an unsolicited MWI NOTIFY from an admitted
// source reaches the callback; an empty one (RFC 6665: no state yet) is
// 200 and no change; a body without Messages-Waiting is 400; a stranger's
// is 403 and never reaches it.
func TestNotifyMessageSummary(t *testing.T) {
	t.Parallel()
	type mwi struct {
		waiting bool
		voice   string
	}
	got := make(chan mwi, 4)
	h := start(t, testConfig(), nil, WithMessageWaiting(func(w bool, v string) { got <- mwi{w, v} }))
	conn := dial(t, h)
	addr := h.Addr().String()
	hdr := "Event: message-summary\r\nContent-Type: application/simple-message-summary\r\n"
	res := exchange(t, conn, request("NOTIFY", addr, conn.LocalAddr(), "mw1", hdr, "Messages-Waiting: yes\r\nVoice-Message: 1/0\r\n"), "SIP/2.0 200")
	if !strings.HasPrefix(res, "SIP/2.0 200") {
		t.Fatalf("message-summary answered %q", res)
	}
	select {
	case m := <-got:
		if !m.waiting || m.voice != "1/0" {
			t.Errorf("callback got %+v, want waiting 1/0", m)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("message-summary did not reach the callback")
	}
	for i, body := range []string{"", "\r\n"} {
		res = exchange(t, conn, request("NOTIFY", addr, conn.LocalAddr(), fmt.Sprintf("mw0%d", i), hdr, body), "SIP/2.0 200")
		if !strings.HasPrefix(res, "SIP/2.0 200") {
			t.Fatalf("an empty message-summary %q answered %q", body, res)
		}
	}
	exchange(t, conn, request("NOTIFY", addr, conn.LocalAddr(), "mw1b", hdr, "Messages-Waiting: yes\r\nVoice-Message: 3/0\r\n"), "SIP/2.0 200")
	select {
	case m := <-got:
		if m.voice != "3/0" {
			t.Fatalf("an empty message-summary reached the callback: %+v", m)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("message-summary did not reach the callback")
	}
	res = exchange(t, conn, request("NOTIFY", addr, conn.LocalAddr(), "mw2", hdr, "Voice-Message: 1/0\r\n"), "SIP/2.0 400")
	if !strings.HasPrefix(res, "SIP/2.0 400") {
		t.Fatalf("a summary without Messages-Waiting answered %q", res)
	}

	cfg := testConfig()
	cfg.AllowFrom = []string{"192.0.2.0/24"} // not us
	h2 := start(t, cfg, nil, WithMessageWaiting(func(w bool, v string) { got <- mwi{w, v} }))
	conn2 := dial(t, h2)
	res = exchange(t, conn2, request("NOTIFY", h2.Addr().String(), conn2.LocalAddr(), "mw3", hdr, "Messages-Waiting: yes\r\n"), "SIP/2.0 403")
	if !strings.HasPrefix(res, "SIP/2.0 403") {
		t.Fatalf("a stranger's message-summary answered %q", res)
	}
	select {
	case m := <-got:
		t.Fatalf("a stranger's message-summary reached the callback: %+v", m)
	default:
	}
}
