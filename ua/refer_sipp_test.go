package ua

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
)

// TestTransferee: the door calls a sipp "resident" who sends REFER; the
// door answers 202, calls the Refer-To target with the headers RFC 3892
// and RFC 3891 ask for, NOTIFYs the progress (100, then the final) and,
// when the target answered, ends the resident's dialog with BYE.
func TestTransferee(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		target  string // scenario of the Refer-To target
		repl    map[string]string
		uriTail string // appended to the target's URI in Refer-To
		final   string
		moved   bool
	}{
		{name: "blind: Referred-By", target: "uas_transfer_target.xml",
			repl: map[string]string{"want": "Referred-By: .sip:resident@"}, final: "200 OK", moved: true},
		{name: "attended: Replaces", target: "uas_transfer_target.xml",
			repl:    map[string]string{"want": "Replaces: abc@host;to-tag=t1;from-tag=f1"},
			uriTail: "?Replaces=abc%40host%3Bto-tag%3Dt1%3Bfrom-tag%3Df1", final: "200 OK", moved: true},
		{name: "target busy: the call stays", target: "uas_status.xml",
			repl: map[string]string{"code": "486", "reason": "Busy Here", "hdr": ""}, final: "486 Busy Here"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			target := scenario(tc.target)
			if !strings.HasPrefix(tc.target, "uas_transfer") {
				target = tc.target // one of interop's own
			}
			to := uas(t, target, tc.repl)
			resident := uas(t, scenario("uas_refer.xml"), map[string]string{
				"referto": "sip:target@" + to.Addr + tc.uriTail, "final": tc.final})
			h := start(t, testConfig(), nil)
			c := callTo(t, h, Hunt, "sip:uas@"+resident.Addr)
			h.wait(t, 5*time.Second, "answered", callIs(CallAnswered))
			if tc.moved {
				ev := h.wait(t, 10*time.Second, "transferred", func(e Event) bool { return e.Transferred })
				if !strings.Contains(ev.Peer, "target@"+to.Addr) || ev.CallID != c.ID() {
					t.Errorf("transferred to %s (call %s), want the target in call %s", ev.Peer, ev.CallID, c.ID())
				}
				sippDone(t, resident) // BYE'd by the door
				hangup(t, c)
				sippDone(t, to)
				return
			}
			sippDone(t, to)
			// The target's sipp is done once it has the ACK, which the
			// transaction layer sends before the door has read the 486:
			// a hang-up now would cancel the transfer (487 to the referrer).
			waitLog(t, h, "call transfer failed")
			if c.State() != CallAnswered || !strings.Contains(c.Peer(), resident.Addr) {
				t.Errorf("after a failed transfer the call is %s with %s", c.State(), c.Peer())
			}
			hangup(t, c)
			sippDone(t, resident)
		})
	}
}

// TestParseReferral: what a REFER may ask and what is refused (400).
func TestParseReferral(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, referTo, by string
		err               bool
		target            string
		hdrs              []string
	}{
		{name: "blind", referTo: "<sip:bob@pbx.example>", by: "<sip:alice@pbx.example>",
			target: "sip:bob@pbx.example", hdrs: []string{"Referred-By: <sip:alice@pbx.example>"}},
		{name: "no Referred-By: the From", referTo: "sip:bob@pbx.example",
			target: "sip:bob@pbx.example", hdrs: []string{"Referred-By: <sip:alice@192.0.2.1>"}},
		{name: "attended", referTo: "<sip:bob@pbx.example;method=INVITE?Replaces=x%40y%3Bto-tag%3Da%3Bfrom-tag%3Db&Subject=hi>",
			target: "sip:bob@pbx.example", hdrs: []string{"Replaces: x@y;to-tag=a;from-tag=b", "Require: replaces",
				"Referred-By: <sip:alice@192.0.2.1>"}},
		{name: "tel URI", referTo: "<tel:+4930123>", err: true},
		{name: "method BYE", referTo: "<sip:bob@pbx.example;method=BYE>", err: true},
		{name: "Replaces without tags", referTo: "<sip:bob@pbx.example?Replaces=x%40y>", err: true},
		{name: "no Refer-To", err: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := sip.NewRequest(sip.REFER, sip.Uri{Scheme: "sip", User: "door", Host: "192.0.2.2"})
			from := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: "alice", Host: "192.0.2.1"}, Params: sip.NewParams()}
			req.AppendHeader(from)
			req.AppendHeader(&sip.CSeqHeader{SeqNo: 7, MethodName: sip.REFER})
			if tc.referTo != "" {
				req.AppendHeader(sip.NewHeader("Refer-To", tc.referTo))
			}
			if tc.by != "" {
				req.AppendHeader(sip.NewHeader("Referred-By", tc.by))
			}
			r, err := parseReferral(req)
			if tc.err {
				if !errors.Is(err, errBadRefer) {
					t.Fatalf("got %v, want errBadRefer", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var hdrs []string
			for _, h := range r.hdrs {
				hdrs = append(hdrs, h.Name()+": "+h.Value())
			}
			if r.target.String() != tc.target || strings.Join(hdrs, "|") != strings.Join(tc.hdrs, "|") || r.id != 7 {
				t.Errorf("got %s %q id %d, want %s %q", r.target.String(), hdrs, r.id, tc.target, tc.hdrs)
			}
		})
	}
}

// TestTransferTargetEarlyMedia: a transfer target that rings with early
// media (183 with SDP) does not take the call's media or dialog before it
// answers: the resident stays connected until then.
func TestTransferTargetEarlyMedia(t *testing.T) {
	t.Parallel()
	m := &startLog{}
	to := uas(t, scenario("uas_early_media.xml"), map[string]string{"wait_ms": "300"})
	resident := uas(t, scenario("uas_refer.xml"), map[string]string{"referto": "sip:target@" + to.Addr, "final": "200 OK"})
	h := start(t, testConfig(), nil, WithMedia(m))
	c := callTo(t, h, Hunt, "sip:uas@"+resident.Addr)
	h.wait(t, 5*time.Second, "answered", callIs(CallAnswered))
	h.wait(t, 10*time.Second, "transferred", func(e Event) bool { return e.Transferred })
	if n := h.count(func(e Event) bool { return e.EarlyMedia }); n != 0 {
		t.Errorf("%d early media events from the transfer target", n)
	}
	if n := m.count(); n != 2 {
		t.Errorf("media started %d times, want twice (the resident, then the target's answer)", n)
	}
	sippDone(t, resident)
	hangup(t, c)
	sippDone(t, to)
}
