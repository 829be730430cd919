package ua

import (
	"net"
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

// TestPrackChallenged: a callee (or a proxy before it) answers our PRACK
// 407 with a digest challenge; the PRACK is sent once more with
// Proxy-Authorization and the call is answered.
func TestPrackChallenged(t *testing.T) {
	t.Parallel()
	hole, err := net.ListenPacket("udp", "127.0.0.1:0") // a registrar that never answers
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { hole.Close() })
	s := uas(t, scenario("uas_prack_auth.xml"), nil)
	cfg := testConfig()
	cfg.Accounts = []Account{{Registrar: hole.LocalAddr().String(), User: "door", Password: "secret", Expires: time.Hour}}
	h := start(t, cfg, nil)
	c := callTo(t, h, Hunt, "sip:uas@"+s.Addr)
	h.wait(t, 10*time.Second, "answered after the challenged PRACK", callIs(CallAnswered))
	hangup(t, c)
	r := sippDone(t, s)
	if n := strings.Count(r.Messages, "PRACK sip:"); n != 2 {
		t.Errorf("%d PRACKs sent, want 2 (the second with credentials)", n)
	}
}

// TestManyReliable18x: a callee sends 12 reliable provisional responses,
// each PRACKed, before its 200: more than sipgo's WaitAnswer reads by
// itself (10); the call is answered all the same.
func TestManyReliable18x(t *testing.T) {
	t.Parallel()
	s := uas(t, scenario("uas_many_18x.xml"), nil)
	h := start(t, testConfig(), nil)
	c := callTo(t, h, Hunt, "sip:uas@"+s.Addr)
	h.wait(t, 10*time.Second, "answered after 12 reliable 18x", callIs(CallAnswered))
	hangup(t, c)
	r := sippDone(t, s)
	if n := strings.Count(r.Messages, "PRACK sip:"); n != 12 {
		t.Errorf("%d PRACKs sent, want 12", n)
	}
}
