package main

import (
	"io"
	"log/slog"
	"testing"

	"github.com/sipbell/sipbell/history"
	"github.com/sipbell/sipbell/ua"
)

// TestHistoryCallMedia: an answered call's entry names its media's SRTP
// suite and how the keys were agreed (SDES in the SDP, DTLS); DTLS-SRTP
// agrees its suite after the answer, so the call's end names the suite
// the call had. Plain calls say so, and missed calls say nothing of media.
func TestHistoryCallMedia(t *testing.T) {
	t.Parallel()
	const suite = "AES_CM_128_HMAC_SHA1_80"
	for _, tc := range []struct {
		name                  string
		answered, ended       string // ua.Event.SRTP at the answer and at the end ("-": not answered)
		wantAnswered, wantEnd string
	}{
		{"plain", "", "", "media not encrypted", "200 BYE"},
		{"sdes", suite, suite, "media encrypted (SRTP " + suite + " via SDES)", "200 BYE"},
		{"dtls", "DTLS", suite + " via DTLS", "media encrypted (SRTP via DTLS, keys being agreed)",
			"200 BYE; media encrypted (SRTP " + suite + " via DTLS)"},
		{"dtls agreed at the answer", suite + " via DTLS", suite + " via DTLS", "media encrypted (SRTP " + suite + " via DTLS)", "200 BYE"},
		{"missed", "-", "DTLS", "", "486 Busy Here"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h, err := history.Open(t.TempDir(), history.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer h.Close()
			r := &recorder{h: h, log: slog.New(slog.NewTextHandler(io.Discard, nil)), calls: map[string]bool{},
				regs: map[string]string{}, media: map[string]string{}}
			call := func(st ua.CallState, srtp string, code int, reason string) {
				r.sip(ua.Event{Kind: ua.EventCallState, CallID: "c1", Peer: "sip:alice@pbx", State: st, SRTP: srtp, Code: code, Reason: reason})
			}
			call(ua.CallCalling, "", 0, "")
			end, reason := 200, "BYE"
			if tc.answered != "-" {
				call(ua.CallAnswered, tc.answered, 0, "")
			} else {
				end, reason = 486, "Busy Here"
			}
			call(ua.CallEnded, tc.ended, end, reason)
			_ = h.Sync() // List shows what is on disk
			got := map[string]string{}
			for _, e := range h.List(history.Filter{}) {
				got[e.Kind] = e.Detail
			}
			if tc.answered != "-" && got[history.KindAnswered] != tc.wantAnswered {
				t.Errorf("answered entry %q, want %q", got[history.KindAnswered], tc.wantAnswered)
			}
			endKind := history.KindCallEnded
			if tc.answered == "-" {
				endKind = history.KindMissed
			}
			if got[endKind] != tc.wantEnd {
				t.Errorf("%s entry %q, want %q (entries %v)", endKind, got[endKind], tc.wantEnd, got)
			}
		})
	}
}
