package ua

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/interop"
)

func account(k *interop.Kamailio, transport string) Account {
	reg := k.UDP
	if transport == "tls" {
		reg = k.TLS
	}
	return Account{Registrar: reg, Transport: transport, User: "door", Password: interop.Password,
		Expires: 60 * time.Second}
}

func TestRegisterKamailio(t *testing.T) {
	t.Parallel()
	k := interop.StartKamailio(t, interop.KamailioOptions{TLS: true})
	for _, tr := range []string{"udp", "tcp", "tls"} {
		t.Run(tr, func(t *testing.T) {
			cfg := testConfig()
			acc := account(k, tr)
			if tr == "tls" {
				acc.TLSCAFile = k.CA.CertFile
			}
			acc.User = map[string]string{"udp": "door", "tcp": "alice", "tls": "bob"}[tr]
			cfg.Accounts = []Account{acc}
			h := start(t, cfg, nil)
			h.wait(t, 10*time.Second, "registered", regIs(Registered))
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			c, err := k.WaitContacts(ctx, acc.User, 1)
			if err != nil {
				t.Fatal(err)
			}
			if tr != "udp" && !strings.Contains(c[0], "transport="+tr) {
				t.Errorf("contact %q lacks transport=%s", c[0], tr)
			}
			start := time.Now()
			h.stop()
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("shutdown took %v", d)
			}
			if _, err := k.WaitContacts(ctx, acc.User, 0); err != nil {
				t.Errorf("not unregistered on shutdown: %v", err)
			}
		})
	}
}

func TestRegisterWrongCARefused(t *testing.T) {
	t.Parallel()
	k := interop.StartKamailio(t, interop.KamailioOptions{TLS: true})
	other := interop.NewCA(t, "not kamailio's CA")
	cfg := testConfig()
	acc := account(k, "tls")
	acc.TLSCAFile = other.CertFile
	cfg.Accounts = []Account{acc}
	h := start(t, cfg, func(u *UA) { u.timing.BackoffBase = time.Hour })
	ev := h.wait(t, 10*time.Second, "failed", regIs(RegFailed))
	if !strings.Contains(ev.Reason, "certificate") {
		t.Errorf("reason %q does not name the certificate problem", ev.Reason)
	}
	if n := k.Log.Count("IN REGISTER"); n != 0 {
		t.Errorf("Kamailio saw %d REGISTERs over an untrusted TLS connection", n)
	}
}

func TestRegisterWrongPassword(t *testing.T) {
	t.Parallel()
	k := interop.StartKamailio(t, interop.KamailioOptions{})
	cfg := testConfig()
	acc := account(k, "udp")
	acc.Password = "wrong"
	cfg.Accounts = []Account{acc}
	h := start(t, cfg, nil)
	ev := h.wait(t, 10*time.Second, "failed", regIs(RegFailed))
	if ev.Code != 401 && ev.Code != 403 {
		t.Errorf("failed with code %d (%s), want 401 or 403", ev.Code, ev.Reason)
	}
	if !strings.Contains(ev.Reason, "after authentication") && ev.Code == 401 {
		t.Errorf("reason %q does not say the credentials were refused", ev.Reason)
	}
	// No tight loop: nothing more happens within a second.
	if _, err := h.waitErr(time.Second, func(e Event) bool {
		return e.Kind == EventRegistration && e.Time.After(ev.Time)
	}); err == nil {
		t.Errorf("registration kept going after wrong credentials:\n%s", h.events())
	}
	if n := k.Log.Count("IN REGISTER"); n != 2 {
		t.Errorf("Kamailio saw %d REGISTERs, want 2 (one challenged, one refused)", n)
	}
	if strings.Contains(h.logs.String(), "wrong") {
		t.Error("the password appears in the log")
	}
}

func TestRegisterAfterKamailioRestart(t *testing.T) {
	t.Parallel()
	for _, tr := range []string{"udp", "tcp"} {
		t.Run(tr, func(t *testing.T) {
			t.Parallel()
			k := interop.StartKamailio(t, interop.KamailioOptions{MinExpires: 2})
			cfg := testConfig()
			acc := account(k, tr)
			cfg.Accounts = []Account{acc}
			h := start(t, cfg, func(u *UA) {
				u.cfg.Accounts[0].Expires = 4 * time.Second
				u.cfg.KeepAlive = 500 * time.Millisecond
				u.timing.BackoffBase = 200 * time.Millisecond
			})
			h.wait(t, 10*time.Second, "registered", regIs(Registered))
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()
			if _, err := k.WaitContacts(ctx, acc.User, 1); err != nil {
				t.Fatal(err)
			}
			k.Restart(t) // usrloc is in memory: the binding is gone
			if _, err := k.WaitContacts(ctx, acc.User, 1); err != nil {
				t.Fatalf("not registered again after restart: %v", err)
			}
			// And the refresh keeps it: at least one more REGISTER after that.
			if err := k.Log.WaitFor(ctx, "harness: kamailio restarted"); err != nil {
				t.Fatal(err)
			}
		})
	}
}
