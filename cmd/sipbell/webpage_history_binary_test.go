package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/interop"
	"github.com/sipbell/sipbell/provisioning/cdptest"
)

// TestWebPageDashboardAndHistory walks the page as a resident does, in
// headless Chromium on the real binary, at phone size then desktop size:
// the dashboard shows the address to dial and, for an account with a wrong
// password, the registration failure with its reason; a call from baresip
// shows as the call now without reloading; the door opened from the page
// and the call are then in the History page, whose filter narrows it to
// the door. Screenshots go to SIPBELL_SCREENSHOTS.
func TestWebPageDashboardAndHistory(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	k := interop.StartKamailio(t, interop.KamailioOptions{})
	file := fmt.Sprintf(`sip:
  listen: 127.0.0.1:0
  user: door
  accounts:
    - registrar: %s
      user: door
      password: %s
      expires: 60s
    - registrar: %s
      user: alice
      password: not-alices-password
      expires: 60s
board:
  profile: sim
device:
  buttons:
    - targets: [bob]
`, k.UDP, interop.Password, k.UDP)
	d := startLiveDoorWith(ctx, t, k, file, "")
	addr := d.sipAddr(t)
	b := cdptest.Start(t)
	b.Call("Emulation.setDeviceMetricsOverride", map[string]any{"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": true}, nil)
	b.Call("Emulation.setTimezoneOverride", map[string]any{"timezoneId": "Europe/Berlin"}, nil) // a resident in Berlin
	b.Navigate(d.url + "/")
	b.WaitFor(ctx, "the login form", `!document.querySelector("#login").hidden`)
	b.Eval(`document.querySelector("#password").value = `+jsQuote(d.password)+`; document.querySelector("#login-form").requestSubmit()`, nil)
	b.WaitFor(ctx, "the dashboard with the address to dial", `!document.querySelector("#app").hidden && document.querySelector("#dashboard").textContent.includes("sip:door@`+addr+`")`)
	b.WaitFor(ctx, "alice's failed registration with its reason", `[...document.querySelectorAll("#dashboard .reg.error")].some((e) => /failed: .*(401|403|[Uu]nauthori|[Ff]orbidden)/.test(e.textContent))`)
	screenshot(t, b, "dashboard-phone")

	if _, err := d.bob.Command(ctx, "dial", fmt.Sprintf("sip:door@127.0.0.1:%d", k.Port)); err != nil {
		t.Fatal(err)
	}
	b.WaitFor(ctx, "bob's call live on the dashboard", `document.querySelector("#dashboard .live") && document.querySelector("#dashboard .live").textContent.includes("bob")`)
	screenshot(t, b, "dashboard-call-phone")
	b.Eval(`document.querySelector('nav button[data-tab="actions"]').click(); document.querySelector('[data-action="open-door"]').click()`, nil)
	b.WaitFor(ctx, "the door opened", `document.querySelector("#action-msg").textContent.includes("open-door done")`)
	if _, err := d.bob.Command(ctx, "hangup", ""); err != nil {
		t.Fatal(err)
	}
	b.Eval(`document.querySelector('nav button[data-tab="history"]').click()`, nil)
	rows := `[...document.querySelectorAll("#history-table tbody tr")].map((r) => r.textContent).join("\n")`
	b.WaitFor(ctx, "the call and the door in the history", rows+`.includes("door opened") && `+rows+`.includes("by web") && `+rows+`.includes("answered") && /call ended.*bob/.test(`+rows+`)`)
	screenshot(t, b, "history-phone")
	b.Eval(`const k = document.querySelector("#history-kind"); k.value = "door-opened,door-closed,door-left-open"; k.dispatchEvent(new Event("change"))`, nil)
	b.WaitFor(ctx, "only the door in the filtered history", rows+`.includes("door opened") && !`+rows+`.includes("answered")`)
	var csv string
	b.Eval(`document.querySelector("#history-csv").getAttribute("href")`, &csv)
	if csv != "/api/history?kind=door-opened%2Cdoor-closed%2Cdoor-left-open&format=csv&tz=Europe%2FBerlin" {
		t.Errorf("CSV link %q", csv)
	}
	if code, body := d.api(t, "GET", csv, ""); code != 200 || !strings.Contains(string(body), "+01:00,door-opened") && !strings.Contains(string(body), "+02:00,door-opened") {
		t.Errorf("the CSV the page links to, in Berlin time: %d\n%s", code, body)
	}

	b.Call("Emulation.setDeviceMetricsOverride", map[string]any{"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": false}, nil)
	screenshot(t, b, "history-desktop")
	b.Eval(`document.querySelector('nav button[data-tab="status"]').click()`, nil)
	b.WaitFor(ctx, "the last calls on the dashboard", `document.querySelector("#last-calls").textContent.includes("door opened")`)
	screenshot(t, b, "dashboard-desktop")
}
