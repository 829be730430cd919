package main

import (
	"strings"
	"testing"
	"time"
)

// sippCall is one call of a sipp -trace_msg log: when its first INVITE
// was sent and when the first response of each status to it (CSeq 1)
// came back.
type sippCall struct {
	invite time.Time
	got    map[string]time.Time // status code ("100", "200"): first received
}

// sippCalls reads a sipp -trace_msg log into its calls by Call-ID.
// Responses that come before any INVITE of their call are left out.
func sippCalls(trace string) map[string]*sippCall {
	calls := map[string]*sippCall{}
	for _, block := range strings.Split(trace, "----------------------------------------------- ")[1:] {
		head, msg, _ := strings.Cut(block, "\n")
		at, err := time.Parse("2006-01-02 15:04:05.000000", strings.TrimSpace(head))
		if err != nil {
			continue
		}
		callID, status := "", ""
		for _, l := range strings.Split(msg, "\n") {
			l = strings.TrimSpace(l)
			if v, ok := strings.CutPrefix(l, "SIP/2.0 "); ok && status == "" && len(v) >= 3 {
				status = v[:3]
			}
			if v, ok := strings.CutPrefix(l, "Call-ID:"); ok {
				callID = strings.TrimSpace(v)
				break
			}
		}
		c := calls[callID]
		switch {
		case strings.Contains(msg, "message sent") && strings.Contains(msg, "\nINVITE "):
			if c == nil {
				calls[callID] = &sippCall{invite: at, got: map[string]time.Time{}}
			}
		case c != nil && status != "" && strings.Contains(msg, "received") && strings.Contains(msg, "CSeq: 1 INVITE"):
			if _, ok := c.got[status]; !ok {
				c.got[status] = at
			}
		}
	}
	return calls
}

// inviteTo is, for each call of a sipp -trace_msg log that got a response
// with status, the time from its first INVITE sent to the first such
// response received, in milliseconds.
func inviteTo(trace, status string) []float64 {
	var out []float64
	for _, c := range sippCalls(trace) {
		if at, ok := c.got[status]; ok {
			out = append(out, float64(at.Sub(c.invite).Microseconds())/1000)
		}
	}
	return out
}

// TestInviteTo: the benchmarks' INVITE→response times come from each
// call's first INVITE and its first response of the status, whatever
// else is in between (retransmissions, other calls, the ACK and BYE).
func TestInviteTo(t *testing.T) {
	t.Parallel()
	msg := func(at, dir, first, callID, cseq string) string {
		return "----------------------------------------------- 2026-12-06 08:00:" + at + "\n" +
			"UDP message " + dir + "\n\n" + first + "\nVia: SIP/2.0/UDP 127.0.0.1:5060\nCall-ID: " + callID +
			"\nCSeq: " + cseq + "\nContent-Length: 0\n\n"
	}
	trace := msg("00.000000", "sent (300 bytes):", "INVITE sip:door@127.0.0.1 SIP/2.0", "a", "1 INVITE") +
		msg("00.000500", "received [200] bytes :", "SIP/2.0 100 Trying", "b", "1 INVITE") + // no INVITE yet
		msg("00.001000", "sent (300 bytes):", "INVITE sip:door@127.0.0.1 SIP/2.0", "b", "1 INVITE") +
		msg("00.001500", "received [200] bytes :", "SIP/2.0 100 Trying", "a", "1 INVITE") +
		msg("00.500000", "sent (300 bytes):", "INVITE sip:door@127.0.0.1 SIP/2.0", "a", "1 INVITE") + // retransmission
		msg("00.501000", "received [200] bytes :", "SIP/2.0 100 Trying", "a", "1 INVITE") +
		msg("00.502000", "received [200] bytes :", "SIP/2.0 200 OK", "a", "1 INVITE") +
		msg("00.503000", "received [200] bytes :", "SIP/2.0 200 OK", "a", "1 INVITE") + // retransmitted 200
		msg("00.504000", "received [200] bytes :", "SIP/2.0 200 OK", "a", "2 BYE") +
		msg("00.006000", "received [200] bytes :", "SIP/2.0 486 Busy Here", "b", "1 INVITE")
	for _, tc := range []struct {
		status string
		want   []float64
	}{
		{"100", []float64{1.5}},
		{"200", []float64{502}},
		{"486", []float64{5}},
		{"180", nil},
	} {
		got := inviteTo(trace, tc.status)
		if len(got) != len(tc.want) || (len(got) > 0 && got[0] != tc.want[0]) {
			t.Errorf("inviteTo %s = %v, want %v", tc.status, got, tc.want)
		}
	}
}
