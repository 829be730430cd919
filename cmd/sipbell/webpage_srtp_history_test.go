package main

import (
	"context"
	"testing"
	"time"

	"github.com/sipbell/sipbell/provisioning/cdptest"
)

// TestWebPageHistoryEncryptedCall: after an encrypted call from alice's
// baresip straight to the door over TLS (SDES keys in the SDP, or a
// DTLS-SRTP handshake), the History page in headless Chromium names the
// call's SRTP suite and how its keys were agreed.
func TestWebPageHistoryEncryptedCall(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		pol  srtpPolicy
		want string
	}{
		{sdesMandatory, "AES_CM_128_HMAC_SHA1_80 via SDES"},
		{dtlsSRTP, "AES_CM_128_HMAC_SHA1_80 via DTLS"},
	} {
		t.Run(tc.pol.label, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			r := startDirectRig(ctx, t, tc.pol, false)
			r.aliceOpens(ctx, t, func() {})
			b := cdptest.Start(t)
			b.Navigate(r.api.url + "/")
			b.WaitFor(ctx, "the login form", `!document.querySelector("#login").hidden`)
			b.Eval(`document.querySelector("#password").value = `+jsQuote(liveDoorPassword)+`; document.querySelector("#login-form").requestSubmit()`, nil)
			b.WaitFor(ctx, "the page", `!document.querySelector("#app").hidden`)
			b.Eval(`document.querySelector('nav button[data-tab="history"]').click()`, nil)
			rows := `[...document.querySelectorAll("#history-table tbody tr")].map((r) => r.textContent).join("\n")`
			b.WaitFor(ctx, "the call's SRTP suite and keying in the history", rows+`.includes(`+jsQuote(tc.want)+`)`)
		})
	}
}
