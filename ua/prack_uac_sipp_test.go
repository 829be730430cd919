package ua

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestPrackAsCaller: a callee sending reliable 180 and 183 (Require:
// 100rel) gets one PRACK per RSeq, in order, naming our INVITE's CSeq; the
// retransmitted 180 is not PRACKed again; the 183's SDP starts the early
// media and is the call's answer when the 200 carries none.
func TestPrackAsCaller(t *testing.T) {
	t.Parallel()
	m := &startLog{}
	s := uas(t, scenario("uas_100rel.xml"), nil)
	h := start(t, testConfig(), nil, WithMedia(m))
	c := callTo(t, h, Hunt, "sip:uas@"+s.Addr)
	h.wait(t, 5*time.Second, "early media", func(e Event) bool { return e.EarlyMedia })
	h.wait(t, 5*time.Second, "answered", callIs(CallAnswered))
	if n, ok := c.Media(); !ok || n.Codec.Name != "PCMU" {
		t.Errorf("negotiated %+v %v, want PCMU from the reliable 183", n, ok)
	}
	hangup(t, c)
	r := sippDone(t, s)
	inv := regexp.MustCompile(`(?m)^CSeq: *([0-9]+) INVITE`).FindStringSubmatch(r.Messages)
	racks := regexp.MustCompile(`(?m)^RAck: *([0-9]+) ([0-9]+) INVITE`).FindAllStringSubmatch(r.Messages, -1)
	if inv == nil || len(racks) != 2 {
		t.Fatalf("INVITE CSeq %v, RAcks %v: want two PRACKs\n%s", inv, racks, r.Messages)
	}
	for i, rk := range racks {
		if rk[1] != []string{"1", "2"}[i] || rk[2] != inv[1] {
			t.Errorf("PRACK %d has RAck %s %s, want %d %s", i+1, rk[1], rk[2], i+1, inv[1])
		}
	}
	if n := strings.Count(r.Messages, "PRACK sip:"); n != 2 {
		t.Errorf("%d PRACKs sent, want 2 (the retransmitted 180 is not PRACKed again)", n)
	}
}
