package ua

import (
	"regexp"
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/interop"
)

// TestRegisterReusesNonce: a registration refresh carries credentials
// for the last challenge's nonce with the next nc, so it takes one round
// trip; a 401 stale=true is answered with the new nonce.
func TestRegisterReusesNonce(t *testing.T) {
	t.Parallel()
	s := interop.StartSipp(t, interop.SippOptions{Scenario: scenario("reg_nonce_reuse.xml"), Timeout: 20 * time.Second})
	cfg := testConfig()
	cfg.Accounts = []Account{{Registrar: s.Addr, User: "door", Password: "secret", Expires: 300 * time.Second}}
	h := start(t, cfg, func(u *UA) { u.timing.BackoffBase = 100 * time.Millisecond })
	r := sippDone(t, s) // the scenario checks nonce and nc of each REGISTER
	if n := len(regexp.MustCompile(`(?m)^REGISTER `).FindAllString(r.Messages, -1)); n != 5 {
		t.Errorf("sipp saw %d REGISTERs, want 5 (challenge, answer, refresh, stale refresh, answer)", n)
	}
	if n := len(regexp.MustCompile(`(?m)^SIP/2.0 401`).FindAllString(r.Messages, -1)); n != 2 {
		t.Errorf("%d challenges, want 2", n)
	}
	h.wait(t, 5*time.Second, "registered", regIs(Registered))
}

// TestRegisterReusesNonceKamailio: against Kamailio's registrar a refresh
// is one REGISTER, not a challenged pair.
func TestRegisterReusesNonceKamailio(t *testing.T) {
	t.Parallel()
	k := interop.StartKamailio(t, interop.KamailioOptions{MinExpires: 2})
	cfg := testConfig()
	cfg.Accounts = []Account{account(k, "udp")}
	h := start(t, cfg, func(u *UA) { u.cfg.Accounts[0].Expires = 3 * time.Second })
	var last time.Time
	for i := 0; i < 4; i++ { // registered, then refreshed three times
		ev := h.wait(t, 15*time.Second, "registered", func(e Event) bool { return regIs(Registered)(e) && e.Time.After(last) })
		last = ev.Time
	}
	// Kamailio's log is read behind its answers, but the lines of the first
	// three exchanges are in by the fourth answer, seconds later. With the
	// nonce reused: 2 (challenged registration) + 1 per refresh, so 5, or 6
	// with a refresh racing the count. Without: 2 per exchange, 7 or 8.
	n := k.Log.Count("IN REGISTER")
	t.Logf("Kamailio saw %d REGISTERs", n)
	if n > 6 {
		t.Errorf("Kamailio saw %d REGISTERs for a registration and three refreshes, want 5\n%s", n, h.events())
	}
}
