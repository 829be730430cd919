package ua

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/interop"
)

// sippRegistrar starts sipp as a registrar stand-in and a UA registering
// with it.
func sippRegistrar(t *testing.T, scenario string, repl map[string]string, calls int) (*interop.Sipp, *harness) {
	t.Helper()
	s := interop.StartSipp(t, interop.SippOptions{Scenario: scenario, Replace: repl, Calls: calls,
		Keys: map[string]string{"expires": "120"}, Timeout: 20 * time.Second})
	cfg := testConfig()
	cfg.Accounts = []Account{{Registrar: s.Addr, User: "door", Password: "secret", Expires: 300 * time.Second}}
	h := start(t, cfg, func(u *UA) { u.timing.BackoffBase = 100 * time.Millisecond })
	return s, h
}

func sippDone(t *testing.T, s *interop.Sipp) interop.SippResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	r := s.Wait(ctx)
	if r.Exit != 0 {
		t.Errorf("sipp exit %d\n%s\n%s", r.Exit, r.Log, r.Messages)
	}
	return r
}

// TestRegisterAgainstScriptedServers checks sipbell's next REGISTER after
// each kind of answer: the scenario fails unless it matches expect.
func TestRegisterAgainstScriptedServers(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, code, reason, hdr, expect string
	}{
		{"401 MD5", "401", "Unauthorized",
			`WWW-Authenticate: Digest realm="sipp", nonce="n0nce1", algorithm=MD5, qop="auth"`,
			`Authorization: Digest .*response=.[0-9a-f]{32}`},
		{"401 SHA-256", "401", "Unauthorized",
			`WWW-Authenticate: Digest realm="sipp", nonce="n0nce2", algorithm=SHA-256, qop="auth"`,
			`Authorization: Digest .*algorithm=SHA-256.*`},
		{"407", "407", "Proxy Authentication Required",
			`Proxy-Authenticate: Digest realm="sipp", nonce="n0nce3", algorithm=MD5`,
			`Proxy-Authorization: Digest .*username="door"`},
		{"423", "423", "Interval Too Brief", "Min-Expires: 900", `Expires: 900`},
		{"503 Retry-After", "503", "Service Unavailable", "Retry-After: 1", `REGISTER sip:`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, h := sippRegistrar(t, "reg_server.xml", map[string]string{"code": tc.code, "reason": tc.reason,
				"hdr": tc.hdr, "expect": tc.expect}, 1)
			ev := h.wait(t, 15*time.Second, "registered", regIs(Registered))
			sippDone(t, s)
			if !strings.Contains(ev.Reason, "2m0s granted") {
				t.Errorf("registered %q, want the granted 2m0s", ev.Reason)
			}
			if tc.code == "503" {
				f := h.wait(t, time.Second, "failed", regIs(RegFailed))
				if d := ev.Time.Sub(f.Time); d < 900*time.Millisecond {
					t.Errorf("retried %v after 503 with Retry-After: 1", d)
				}
			}
		})
	}
}

func TestRegister603IsFinal(t *testing.T) {
	t.Parallel()
	s, h := sippRegistrar(t, "reg_final.xml", map[string]string{"code": "603", "reason": "Decline", "hdr": ""}, 1)
	ev := h.wait(t, 10*time.Second, "failed", func(e Event) bool {
		return e.Kind == EventRegistration && e.Reg == RegFailed && strings.Contains(e.Reason, "every registrar")
	})
	r := sippDone(t, s)
	if n := len(regexp.MustCompile(`(?m)^REGISTER `).FindAllString(r.Messages, -1)); n != 1 {
		t.Errorf("sipp saw %d REGISTERs, want 1", n)
	}
	_ = ev
	if h.count(func(e Event) bool { return e.Kind == EventRegistration && e.Code == 603 }) != 1 {
		t.Errorf("no failed event with code 603:\n%s", h.events())
	}
}

func TestRegisterFailover(t *testing.T) {
	t.Parallel()
	down := interop.StartSipp(t, interop.SippOptions{Scenario: "reg_final.xml",
		Replace: map[string]string{"code": "503", "reason": "Service Unavailable", "hdr": ""}, Timeout: 20 * time.Second})
	backup := interop.StartSipp(t, interop.SippOptions{Scenario: "reg_server.xml", Timeout: 20 * time.Second,
		Keys: map[string]string{"expires": "120"},
		Replace: map[string]string{"code": "401", "reason": "Unauthorized", "expect": "Authorization:",
			"hdr": `WWW-Authenticate: Digest realm="sipp", nonce="n0nce4"`}})
	cfg := testConfig()
	cfg.Accounts = []Account{{Registrar: down.Addr, Failover: []string{backup.Addr}, User: "door",
		Password: "secret", Expires: 300 * time.Second}}
	h := start(t, cfg, nil)
	ev := h.wait(t, 10*time.Second, "registered", regIs(Registered))
	if !strings.Contains(ev.Reason, backup.Addr) {
		t.Errorf("registered %q, want with the backup %s", ev.Reason, backup.Addr)
	}
	sippDone(t, down)
	sippDone(t, backup)
}
