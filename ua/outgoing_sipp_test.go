package ua

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/interop"
)

func callTo(t *testing.T, h *harness, mode DialMode, targets ...string) Call {
	t.Helper()
	c, err := h.Call(context.Background(), targets, mode)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func hangup(t *testing.T, c Call) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Hangup(ctx); err != nil {
		t.Error(err)
	}
}

func uas(t *testing.T, scenario string, repl map[string]string) *interop.Sipp {
	return interop.StartSipp(t, interop.SippOptions{Scenario: scenario, Replace: repl, Timeout: 20 * time.Second})
}

func TestOutgoingCalls(t *testing.T) {
	t.Parallel()
	t.Run("answered, BYE from sipbell", func(t *testing.T) {
		t.Parallel()
		s := uas(t, "uas_answer.xml", nil)
		h := start(t, testConfig(), nil)
		c := callTo(t, h, Hunt, "sip:uas@"+s.Addr)
		h.wait(t, 5*time.Second, "answered", callIs(CallAnswered))
		if n, ok := c.Media(); !ok || n.Codec.Name != "PCMU" {
			t.Errorf("negotiated %+v %v, want PCMU", n, ok)
		}
		hangup(t, c)
		r := sippDone(t, s)
		if !strings.Contains(r.Messages, "BYE sip:uas@") {
			t.Error("sipp got no BYE")
		}
	})
	for _, ch := range []struct{ code, reason, hdr, expect string }{
		{"401", "Unauthorized", `WWW-Authenticate: Digest realm="sipp", nonce="inv1", qop="auth"`, `Authorization: Digest .*username=.door`},
		{"407", "Proxy Authentication Required", `Proxy-Authenticate: Digest realm="sipp", nonce="inv2"`, `Proxy-Authorization: Digest .*uri=.sip:uas@`},
	} {
		t.Run(ch.code+" digest on INVITE", func(t *testing.T) {
			t.Parallel()
			s := uas(t, "uas_challenge.xml", map[string]string{"code": ch.code, "reason": ch.reason, "hdr": ch.hdr, "expect": ch.expect})
			cfg := testConfig()
			// Credentials come from the account; the target is outside its domain, so the call goes direct.
			cfg.Accounts = []Account{{Registrar: "127.0.0.1:9", User: "door", Password: "secret", Expires: time.Hour}}
			h := start(t, cfg, func(u *UA) { u.timing.BackoffBase = time.Hour })
			c := callTo(t, h, Hunt, "sip:uas@"+s.Addr)
			h.wait(t, 5*time.Second, "answered", callIs(CallAnswered))
			hangup(t, c)
			sippDone(t, s)
		})
	}
	t.Run("486 busy", func(t *testing.T) {
		t.Parallel()
		s := uas(t, "uas_status.xml", map[string]string{"code": "486", "reason": "Busy Here", "hdr": ""})
		h := start(t, testConfig(), nil)
		callTo(t, h, Hunt, "sip:uas@"+s.Addr)
		ev := h.wait(t, 5*time.Second, "ended", callIs(CallEnded))
		if ev.Code != 486 || !strings.Contains(ev.Reason, "486 Busy Here") {
			t.Errorf("ended %d %q, want 486 Busy Here", ev.Code, ev.Reason)
		}
		sippDone(t, s)
	})
	t.Run("302 followed", func(t *testing.T) {
		t.Parallel()
		final := uas(t, "uas_answer.xml", nil)
		redir := uas(t, "uas_status.xml", map[string]string{"code": "302", "reason": "Moved Temporarily",
			"hdr": "Contact: <sip:uas@" + final.Addr + ">"})
		h := start(t, testConfig(), nil)
		c := callTo(t, h, Hunt, "sip:uas@"+redir.Addr)
		h.wait(t, 5*time.Second, "answered", callIs(CallAnswered))
		hangup(t, c)
		sippDone(t, redir)
		sippDone(t, final)
	})
	t.Run("503 then next target", func(t *testing.T) {
		t.Parallel()
		down := uas(t, "uas_status.xml", map[string]string{"code": "503", "reason": "Service Unavailable", "hdr": "Retry-After: 30"})
		up := uas(t, "uas_answer.xml", nil)
		h := start(t, testConfig(), nil)
		c := callTo(t, h, Hunt, "sip:uas@"+down.Addr, "sip:uas@"+up.Addr)
		h.wait(t, 5*time.Second, "answered", callIs(CallAnswered))
		hangup(t, c)
		sippDone(t, down)
		sippDone(t, up)
	})
	t.Run("603 stops the hunt", func(t *testing.T) {
		t.Parallel()
		decline := uas(t, "uas_status.xml", map[string]string{"code": "603", "reason": "Decline", "hdr": ""})
		never := uas(t, "uas_answer.xml", nil)
		h := start(t, testConfig(), nil)
		callTo(t, h, Hunt, "sip:uas@"+decline.Addr, "sip:uas@"+never.Addr)
		ev := h.wait(t, 5*time.Second, "ended", callIs(CallEnded))
		if ev.Code != 603 {
			t.Errorf("ended %d %q, want 603", ev.Code, ev.Reason)
		}
		sippDone(t, decline)
		if m := never.Messages(); strings.Contains(m, "INVITE") {
			t.Errorf("the target after a 603 was called:\n%s", m)
		}
	})
	t.Run("parallel: first answer wins, the other is cancelled", func(t *testing.T) {
		t.Parallel()
		ringer := uas(t, "uas_ring_cancel.xml", nil)
		answerer := uas(t, "uas_answer.xml", nil)
		h := start(t, testConfig(), nil)
		c := callTo(t, h, Parallel, "sip:uas@"+ringer.Addr, "sip:uas@"+answerer.Addr)
		h.wait(t, 5*time.Second, "answered", callIs(CallAnswered))
		sippDone(t, ringer) // it got its CANCEL
		hangup(t, c)
		sippDone(t, answerer)
	})
	t.Run("ring timeout cancels", func(t *testing.T) {
		t.Parallel()
		ringer := uas(t, "uas_ring_cancel.xml", nil)
		h := start(t, testConfig(), func(u *UA) { u.cfg.RingTimeout = time.Second })
		callTo(t, h, Hunt, "sip:uas@"+ringer.Addr)
		h.wait(t, 3*time.Second, "ringing", callIs(CallRinging))
		ev := h.wait(t, 5*time.Second, "ended", callIs(CallEnded))
		if ev.Reason != "ring timeout" {
			t.Errorf("ended %d %q, want ring timeout", ev.Code, ev.Reason)
		}
		sippDone(t, ringer)
	})
	t.Run("2xx crossing the CANCEL is ACKed and ended with BYE", func(t *testing.T) {
		t.Parallel()
		s := uas(t, "uas_answer_on_cancel.xml", nil)
		h := start(t, testConfig(), nil)
		c := callTo(t, h, Hunt, "sip:uas@"+s.Addr)
		h.wait(t, 3*time.Second, "ringing", callIs(CallRinging))
		hangup(t, c)
		sippDone(t, s)
		if h.count(callIs(CallAnswered)) != 0 {
			t.Error("a cancelled call was reported answered")
		}
	})
	t.Run("hangup before answer sends CANCEL", func(t *testing.T) {
		t.Parallel()
		ringer := uas(t, "uas_ring_cancel.xml", nil)
		h := start(t, testConfig(), nil)
		c := callTo(t, h, Hunt, "sip:uas@"+ringer.Addr)
		h.wait(t, 3*time.Second, "ringing", callIs(CallRinging))
		hangup(t, c)
		sippDone(t, ringer)
	})
}
