package ua

import (
	"log/slog"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
)

// identityUA is a user agent registered at 127.0.0.1:5070 that admits
// 192.168.1.0/24 and knows alice (password) and the kitchen phone (by
// address).
func identityUA(t *testing.T) (*UA, *fakeClock) {
	t.Helper()
	cfg := testConfig()
	cfg.AllowFrom = []string{"192.168.1.0/24", "sip:alice@home.example"}
	cfg.Accounts = []Account{{Registrar: "127.0.0.1:5070", User: "door"}}
	cfg.Callers = []KnownCaller{
		{User: "alice", Password: "alice-pw"},
		{User: "kitchen", Networks: []string{"192.168.1.20"}},
	}
	clk := &fakeClock{now: time.Unix(1e9, 0)}
	u, err := New(cfg, "t", discard(), WithClock(clk))
	if err != nil {
		t.Fatal(err)
	}
	return u, clk
}

// invite builds an INVITE from fromURI arriving from src.
func invite(t *testing.T, src, fromURI, callID string, hdrs ...sip.Header) *sip.Request {
	t.Helper()
	req := sip.NewRequest(sip.INVITE, sip.Uri{Scheme: "sip", User: "door", Host: "192.0.2.1", Port: 5060})
	var from sip.Uri
	if err := sip.ParseUri(fromURI, &from); err != nil {
		t.Fatal(err)
	}
	fh := &sip.FromHeader{Address: from, Params: sip.NewParams()}
	fh.Params.Add("tag", "ft")
	req.AppendHeader(fh)
	ci := sip.CallIDHeader(callID)
	req.AppendHeader(&ci)
	for _, h := range hdrs {
		req.AppendHeader(h)
	}
	req.SetSource(src)
	return req
}

// TestIdentityFromTrustedProxy: the registrar (address AND port) is
// trusted and its P-Asserted-Identity is the caller; the same from
// another port of its host, or from an allowed network, asserts nothing:
// From is never the identity.
func TestIdentityFromTrustedProxy(t *testing.T) {
	u, _ := identityUA(t)
	pai := sip.NewHeader("P-Asserted-Identity", `"Alice" <sip:alice@PBX.example;user=phone>, <tel:+4930123>`)
	for _, tc := range []struct {
		name, src, from string
		pai             bool
		code            int
		identity        string
		via             Verification
	}{
		{"registrar asserts", "127.0.0.1:5070", "sip:anyone@evil.example", true, 0, "sip:alice@pbx.example", ByProxy},
		{"registrar without PAI", "127.0.0.1:5070", "sip:alice@home.example", false, 0, "", Unverified},
		// With sip.callers holding a password, whoever is not admitted
		// otherwise is challenged (never told whether a user exists).
		{"registrar's host, other port", "127.0.0.1:5099", "sip:anyone@evil.example", true, 401, "", Unverified},
		{"allowed network, forged PAI", "192.168.1.7:5060", "sip:anyone@evil.example", true, 0, "", Unverified},
		{"From alone", "203.0.113.9:5060", "sip:alice@home.example", false, 401, "", Unverified},
		{"stranger", "203.0.113.9:5060", "sip:100@203.0.113.9", false, 401, "", Unverified},
	} {
		var hdrs []sip.Header
		if tc.pai {
			hdrs = append(hdrs, pai)
		}
		c, v := u.identify(invite(t, tc.src, tc.from, "call-"+tc.name, hdrs...))
		if v.code != tc.code || c.Identity != tc.identity || c.Via != tc.via {
			t.Errorf("%s: identify = %+v, code %d; want identity %q via %v, code %d", tc.name, c, v.code, tc.identity, tc.via, tc.code)
		}
	}
}

// TestIdentityWithoutCallers: with no sip.callers, a source outside the
// allowed networks is refused (403), whatever From and PAI say.
func TestIdentityWithoutCallers(t *testing.T) {
	cfg := testConfig()
	cfg.AllowFrom = []string{"sip:alice@home.example"}
	u, err := New(cfg, "t", discard())
	if err != nil {
		t.Fatal(err)
	}
	req := invite(t, "127.0.0.2:5060", "sip:alice@home.example", "c1",
		sip.NewHeader("P-Asserted-Identity", "<sip:alice@home.example>"))
	if c, v := u.identify(req); v.code != 403 || c.Verified() {
		t.Errorf("forged From and PAI: %+v code %d, want 403 unverified", c, v.code)
	}
	cfg.Accounts = []Account{{Registrar: "127.0.0.3", User: "door"}}
	if u, err = New(cfg, "t", discard()); err != nil {
		t.Fatal(err)
	}
	if _, v := u.identify(invite(t, "127.0.0.3:5099", "sip:100@1.1.1.1", "c2")); v.code != 403 {
		t.Errorf("registrar's address, another port: code %d, want 403", v.code)
	}
	if _, v := u.identify(invite(t, "127.0.0.3:5060", "sip:100@1.1.1.1", "c3")); v.code != 0 {
		t.Errorf("registrar: code %d, want admitted", v.code)
	}
}

// answer builds the Authorization a client would send for challenge.
func answer(t *testing.T, req *sip.Request, challenge, user, password string) sip.Header {
	t.Helper()
	ch, err := digest.ParseChallenge(challenge)
	if err != nil {
		t.Fatal(err)
	}
	cred, err := digest.Digest(ch, digest.Options{Method: "INVITE", URI: req.Recipient.Addr(), Username: user, Password: password})
	if err != nil {
		t.Fatal(err)
	}
	return sip.NewHeader("Authorization", cred.String())
}

func challengeFor(u *UA, req *sip.Request) string {
	c, _ := u.identify(req)
	ch := digest.Challenge{Realm: digestRealm, Nonce: u.nonce(c.Source, req, u.clock.Now()), Algorithm: "MD5", QOP: []string{"auth"}}
	return ch.String()
}

// TestIdentityDigest: a caller claiming to be alice is challenged; the
// right password makes her verified by digest, a wrong one is refused, a
// nonce is good only for its call, its source and a minute.
func TestIdentityDigest(t *testing.T) {
	u, clk := identityUA(t)
	const src = "203.0.113.9:5062"
	first := invite(t, src, "sip:alice@anywhere.example", "dg1")
	if _, v := u.identify(first); v.code != 401 {
		t.Fatalf("alice without credentials: code %d, want 401", v.code)
	}
	ch := challengeFor(u, first)

	ok := invite(t, src, "sip:alice@anywhere.example", "dg1", answer(t, first, ch, "alice", "alice-pw"))
	if c, v := u.identify(ok); v.code != 0 || c.Identity != "alice" || c.Via != ByDigest {
		t.Errorf("right password: %+v code %d, want alice by digest", c, v.code)
	}
	bad := invite(t, src, "sip:alice@anywhere.example", "dg1", answer(t, first, ch, "alice", "guess"))
	if _, v := u.identify(bad); v.code != 403 {
		t.Errorf("wrong password: code %d, want 403", v.code)
	}
	other := invite(t, src, "sip:alice@anywhere.example", "another-call", answer(t, first, ch, "alice", "alice-pw"))
	if _, v := u.identify(other); v.code != 401 || v.stale {
		t.Errorf("nonce of another call: %+v, want a fresh (not stale) challenge", v)
	}
	moved := invite(t, "203.0.113.10:5062", "sip:alice@anywhere.example", "dg1", answer(t, first, ch, "alice", "alice-pw"))
	if _, v := u.identify(moved); v.code != 401 {
		t.Errorf("nonce from another address: %+v, want a fresh challenge", v)
	}
	clk.Advance(2 * nonceLife)
	if _, v := u.identify(ok); v.code != 401 || !v.stale {
		t.Errorf("old nonce: %+v, want a stale challenge", v)
	}
}

// TestIdentityNetworkCaller: the kitchen phone is known by its address;
// someone else on the allowed network is admitted without identity, and
// claiming to be alice from there must prove it.
func TestIdentityNetworkCaller(t *testing.T) {
	u, _ := identityUA(t)
	if c, v := u.identify(invite(t, "192.168.1.20:5060", "sip:whoever@x", "n1")); v.code != 0 || c.Identity != "kitchen" || c.Via != ByNetwork {
		t.Errorf("kitchen: %+v code %d", c, v.code)
	}
	if c, v := u.identify(invite(t, "192.168.1.21:5060", "sip:kitchen@x", "n2")); v.code != 0 || c.Verified() {
		t.Errorf("neighbour claiming kitchen: %+v code %d, want admitted unverified", c, v.code)
	}
	if _, v := u.identify(invite(t, "192.168.1.21:5060", "sip:alice@x", "n3")); v.code != 401 {
		t.Errorf("neighbour claiming alice: code %d, want 401", v.code)
	}
}

// TestAllowFromURIWarned: a caller-URI entry of allow_from is warned
// about at start (it admits nobody any more).
func TestAllowFromURIWarned(t *testing.T) {
	cfg := testConfig()
	cfg.AllowFrom = []string{"sip:alice@home.example", "10.0.0.0/8"}
	var logs syncBuf
	if _, err := New(cfg, "t", slog.New(slog.NewTextHandler(&logs, nil))); err != nil {
		t.Fatal(err)
	}
	if out := logs.String(); !strings.Contains(out, "admits nobody") || !strings.Contains(out, "sip:alice@home.example") ||
		strings.Contains(out, "10.0.0.0/8") {
		t.Errorf("start log:\n%s", out)
	}
}

// TestSameParty: an in-dialog request of a P2P call must come from the
// caller's address; of a proxied call, from the trusted proxy.
func TestSameParty(t *testing.T) {
	u, _ := identityUA(t)
	p2p := &call{incoming: true, caller: Caller{Source: netip.MustParseAddrPort("192.168.1.7:5060")}}
	proxied := &call{incoming: true, caller: Caller{Trusted: true, Source: netip.MustParseAddrPort("127.0.0.1:5070")}}
	info := func(src string) *sip.Request { return invite(t, src, "sip:x@y", "i") }
	for _, tc := range []struct {
		c    *call
		src  string
		want bool
	}{
		{p2p, "192.168.1.7:5090", true},
		{p2p, "192.168.1.8:5060", false},
		{proxied, "127.0.0.1:5070", true},
		{proxied, "127.0.0.1:5099", false},
		{proxied, "192.168.1.7:5060", false},
	} {
		if got := u.sameParty(tc.c, info(tc.src)); got != tc.want {
			t.Errorf("sameParty(%+v, %s) = %v, want %v", tc.c.caller, tc.src, got, tc.want)
		}
	}
}

func TestSplitAddrs(t *testing.T) {
	got := splitAddrs(`"Doe, John" <sip:john@pbx.example>, tel:+123;x=1, <sips:a@b>`)
	want := []string{"sip:john@pbx.example", "tel:+123", "sips:a@b"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("splitAddrs = %q, want %q", got, want)
	}
}
