package ua

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
)

func TestBackoff(t *testing.T) {
	base, max := 2*time.Second, 5*time.Minute
	for _, tc := range []struct {
		attempt  int
		rnd      float64
		min, top time.Duration
	}{
		{0, 0, time.Second, time.Second},
		{0, 0.999, time.Second, 2 * time.Second},
		{1, 0, 2 * time.Second, 2 * time.Second},
		{3, 0.5, 12 * time.Second, 12 * time.Second},
		{20, 0.999, 150 * time.Second, max}, // capped
		{1000, 0, 150 * time.Second, 150 * time.Second},
	} {
		got := backoff(base, max, tc.attempt, tc.rnd)
		if got < tc.min || got > tc.top {
			t.Errorf("backoff(attempt %d, rnd %v) = %v, want %v..%v", tc.attempt, tc.rnd, got, tc.min, tc.top)
		}
	}
}

func TestRefreshIn(t *testing.T) {
	for _, g := range []time.Duration{10 * time.Second, time.Hour} {
		lo, hi := refreshIn(g, 0), refreshIn(g, 0.999999)
		if lo != g/2 || hi > g*3/4 || hi <= lo {
			t.Errorf("refreshIn(%v) spans %v..%v, want 50%%..75%%", g, lo, hi)
		}
	}
	if refreshIn(0, 0.5) != 0 {
		t.Error("refreshIn(0) != 0")
	}
}

func TestStatusText(t *testing.T) {
	for code, want := range map[int]string{100: "Trying", 183: "Session Progress", 302: "Moved Temporarily",
		423: "Interval Too Brief", 482: "Loop Detected", 487: "Request Terminated", 503: "Service Unavailable",
		603: "Decline", 499: "Client Failure", 299: "Success", 42: "Invalid Status"} {
		if got := StatusText(code); got != want {
			t.Errorf("StatusText(%d) = %q, want %q", code, got, want)
		}
	}
	if s := Status(486).String(); s != "486 Busy Here" {
		t.Errorf("Status(486) = %q", s)
	}
	// every code of RFC 3261 §21 is known by name
	for _, c := range []int{100, 180, 181, 182, 183, 200, 300, 301, 302, 305, 380, 400, 401, 402, 403, 404, 405,
		406, 407, 408, 410, 413, 414, 415, 416, 420, 421, 423, 480, 481, 482, 483, 484, 485, 486, 487, 488, 491,
		493, 500, 501, 502, 503, 504, 505, 513, 600, 603, 604, 606} {
		if _, ok := statusNames[c]; !ok {
			t.Errorf("code %d has no name", c)
		}
	}
}

func TestConfigValidateAccounts(t *testing.T) {
	ok := Account{Registrar: "pbx.example:5060", User: "door", Password: "x"}
	for _, tc := range []struct {
		name string
		mod  func(*Config)
		bad  string
	}{
		{"account ok", func(c *Config) { c.Accounts = []Account{ok} }, ""},
		{"sips needs tls", func(c *Config) {
			a := ok
			a.Registrar, a.Transport = "sips:pbx.example", "udp"
			c.Accounts = []Account{a}
		}, "accounts[0].registrar"},
		{"sips tls ok", func(c *Config) {
			a := ok
			a.Registrar, a.Transport = "sips:pbx.example", "tls"
			c.Accounts = []Account{a}
		}, ""},
		{"no registrar", func(c *Config) { a := ok; a.Registrar = ""; c.Accounts = []Account{a} }, "accounts[0].registrar"},
		{"bad transport", func(c *Config) { a := ok; a.Transport = "sctp"; c.Accounts = []Account{a} }, "accounts[0].transport"},
		{"bad port", func(c *Config) { a := ok; a.Registrar = "pbx:0"; c.Accounts = []Account{a} }, "accounts[0].registrar"},
		{"bad failover", func(c *Config) { a := ok; a.Failover = []string{"a b"}; c.Accounts = []Account{a} }, "accounts[0].failover[0]"},
		{"short expires", func(c *Config) { a := ok; a.Expires = time.Second; c.Accounts = []Account{a} }, "accounts[0].expires"},
		{"ca without tls", func(c *Config) { a := ok; a.TLSCAFile = "/x"; c.Accounts = []Account{a} }, "accounts[0].tls_ca_file"},
		{"allow net", func(c *Config) { c.AllowFrom = []string{"10.0.0.0/8", "sip:alice@pbx", "pbx.example", "::1"} }, ""},
		{"allow bad", func(c *Config) { c.AllowFrom = []string{"ok.example", "a b"} }, "allow_from[1]"},
		{"delay", func(c *Config) { c.AutoAnswerDelay = time.Hour }, "auto_answer_delay"},
		{"ring", func(c *Config) { c.RingTimeout = time.Second }, "ring_timeout"},
		{"max len", func(c *Config) { c.MaxCallLength = time.Second }, "max_call_length"},
		{"keepalive", func(c *Config) { c.KeepAlive = 500 * time.Millisecond }, "keepalive"},
		{"keepalive 1s", func(c *Config) { c.KeepAlive = time.Second }, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConfig()
			tc.mod(&c)
			err := c.Validate()
			if tc.bad == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil || !strings.HasPrefix(err.Error(), tc.bad+":") {
				t.Fatalf("error %v, want one at %s", err, tc.bad)
			}
		})
	}
}

func TestAdmitted(t *testing.T) {
	cfg := testConfig()
	cfg.AllowFrom = []string{"192.168.1.0/24", "sip:alice@pbx.example", "trusted.example"}
	cfg.Accounts = []Account{{Registrar: "10.1.2.3:5060", User: "door"}}
	u, err := New(cfg, "t", discard())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		src, from string
		want      bool
	}{
		{"10.1.2.3:5060", "sip:anyone@x", true},              // the registrar
		{"10.1.2.3:5099", "sip:anyone@x", false},             // another program on its host
		{"192.168.1.77:5060", "sip:bob@y", true},             // allowed network
		{"203.0.113.9:5060", "sip:alice@pbx.example", false}, // a From proves nothing
		{"203.0.113.9:5060", "sip:mallory@pbx.example", false},
		{"203.0.113.9:5060", "sip:x@trusted.example", false},
		{"203.0.113.9:5060", "sip:100@203.0.113.9", false}, // a scanner
	} {
		req := sip.NewRequest(sip.INVITE, sip.Uri{User: "door", Host: "h"})
		var from sip.Uri
		if err := sip.ParseUri(tc.from, &from); err != nil {
			t.Fatal(err)
		}
		req.AppendHeader(&sip.FromHeader{Address: from, Params: sip.NewParams()})
		req.SetSource(tc.src)
		if got := u.admitted(req); got != tc.want {
			t.Errorf("admitted(%s from %s) = %v, want %v", tc.from, tc.src, got, tc.want)
		}
	}
}

// fakeClock is a manually advanced Clock.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
}

type fakeTimer struct {
	at time.Time
	c  chan time.Time
}

func (t *fakeTimer) C() <-chan time.Time { return t.c }
func (t *fakeTimer) Stop() bool          { return true }

func (f *fakeClock) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeClock) NewTimer(d time.Duration) Timer {
	f.mu.Lock()
	defer f.mu.Unlock()
	t := &fakeTimer{at: f.now.Add(d), c: make(chan time.Time, 1)}
	f.timers = append(f.timers, t)
	return t
}

func (f *fakeClock) Advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
	keep := f.timers[:0]
	for _, t := range f.timers {
		if !f.now.Before(t.at) {
			t.c <- f.now
		} else {
			keep = append(keep, t)
		}
	}
	f.timers = keep
}

// TestRegLoopDecisions drives the registration decisions with a fake
// clock: failover on 503, Retry-After, backoff growth, 6xx, 423, auth.
func TestRegLoopDecisions(t *testing.T) {
	clk := &fakeClock{now: time.Unix(1e9, 0)}
	cfg := testConfig()
	cfg.Accounts = []Account{{Registrar: "10.0.0.1", Failover: []string{"10.0.0.2"}, User: "door"}}
	u, err := New(cfg, "t", discard(), WithClock(clk))
	if err != nil {
		t.Fatal(err)
	}
	if err := u.Listen(); err != nil {
		t.Fatal(err)
	}
	defer u.udp.Close()
	defer u.tcp.Close()
	go func() {
		for range u.Events() {
		}
	}()
	r := newRegLoop(u, 0, cfg.Accounts[0])
	var attempt, brief int

	// 503 from the primary with Retry-After: the backup is tried at once.
	if w := r.handle(0, regResult{out: outServerFail, code: 503, reason: "503", retryAfter: 30 * time.Second}, &attempt, &brief); w >= 0 {
		t.Fatalf("after 503 on primary: wait %v, want immediate failover", w)
	}
	if si, _ := r.pick(); si != 1 {
		t.Fatalf("picked %d, want the backup", si)
	}
	// The backup does not answer at all: no backoff, it is tried again
	// every timing.Probe (start to start), the state failed meanwhile.
	r.attemptTimeout(1)
	w := r.handle(1, regResult{out: outServerFail, reason: "no answer"}, &attempt, &brief)
	if w != u.timing.Probe {
		t.Fatalf("after no answer: wait %v, want the probe interval %v", w, u.timing.Probe)
	}
	if r.state != RegFailed {
		t.Fatalf("state %v after no answer from every registrar, want failed", r.state)
	}
	// After 30 s the primary is usable again: it comes first (failback).
	clk.Advance(31 * time.Second)
	if si, _ := r.pick(); si != 0 {
		t.Fatalf("picked %d after Retry-After, want the primary", si)
	}
	// 423: ask again at once with Min-Expires.
	if w := r.handle(0, regResult{out: outTooBrief, code: 423, minExpires: 2 * time.Hour}, &attempt, &brief); w >= 0 || r.expires != 2*time.Hour {
		t.Fatalf("423: wait %v expires %v", w, r.expires)
	}
	// Wrong credentials: long wait, no tight loop.
	if w := r.handle(0, regResult{out: outAuthFailed, code: 403, reason: "403 Forbidden"}, &attempt, &brief); w != u.timing.AuthRetry {
		t.Fatalf("auth failure: wait %v, want %v", w, u.timing.AuthRetry)
	}
	// 6xx kills a server for good; with both dead, pick gives up.
	r.handle(0, regResult{out: outGlobal, code: 603, reason: "603 Decline"}, &attempt, &brief)
	r.handle(1, regResult{out: outGlobal, code: 600, reason: "600 Busy Everywhere"}, &attempt, &brief)
	if si, w := r.pick(); si != -1 || w != -1 {
		t.Fatalf("pick with all dead = %d, %v", si, w)
	}
	// Success resets the backoff and refreshes at 50..75% of the grant.
	r.dead[0] = false
	w = r.handle(0, regResult{out: outOK, code: 200, granted: time.Hour}, &attempt, &brief)
	if attempt != 0 || w < 30*time.Minute || w > 45*time.Minute {
		t.Fatalf("after 200: attempt %d wait %v", attempt, w)
	}
}
