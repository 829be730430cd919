package main

import (
	"context"
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/interop"
	"github.com/sipbell/sipbell/provisioning/cdptest"
)

// TestWebPageTestRegistration (issue 19): "Save and test registration" on
// the Settings tab answers with the outcome of that very attempt, against
// Kamailio on the real binary: a wrong password gives "failed" with the
// registrar's 401 and the hint to check user and password; the right one
// then gives "registered".
func TestWebPageTestRegistration(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	k := interop.StartKamailio(t, interop.KamailioOptions{})
	d := startLiveDoorWith(ctx, t, k, liveDoorFile(k, interop.Password, "bob"), "")
	b := cdptest.Start(t)
	b.Call("Emulation.setDeviceMetricsOverride", map[string]any{"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": true}, nil)
	b.Navigate(d.url + "/")
	b.WaitFor(ctx, "the login form", `!document.querySelector("#login").hidden`)
	b.Eval(`document.querySelector("#password").value = `+jsQuote(d.password)+`; document.querySelector("#login-form").requestSubmit()`, nil)
	b.WaitFor(ctx, "the dashboard", `!document.querySelector("#app").hidden`)
	b.Eval(`document.querySelector('nav button[data-tab="config"]').click()`, nil)
	pw := `document.querySelector('input[data-path="sip.accounts[0].password"]')`
	b.WaitFor(ctx, "the account's password field", pw)
	result := `document.querySelector('.reg-state[data-account="0"].test-result')`
	for _, tc := range []struct {
		name, password, want string
	}{
		{"wrong password", "not-the-password", `r.classList.contains("error") && /^Registration test: failed.*(401|[Uu]nauthori).*check user and password/.test(r.textContent)`},
		{"right password", interop.Password, `r.classList.contains("ok") && r.textContent.startsWith("Registration test: registered")`},
	} {
		b.Eval(`{ const p = `+pw+`; p.value = `+jsQuote(tc.password)+`; p.dispatchEvent(new Event("input"));
			document.querySelector('.entry .test-reg').click() }`, nil)
		b.WaitFor(ctx, tc.name+": the test's own outcome", `(() => { const r = `+result+`; return r && `+tc.want+`; })()`)
		b.Eval(result+`.scrollIntoView({block: "center"})`, nil)
		screenshot(t, b, "regtest-"+tc.name[:5]+"-phone")
	}
	d.p.awaitLog(ctx, t, "configuration change confirmed: device healthy", nil)
	d.checkWorks(ctx, t, "testing the registration")
}
