package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/interop"
	"github.com/sipbell/sipbell/provisioning/cdptest"
)

// TestWebPageFirmware (issue 21): the Status tab shows the installer the
// running firmware and the last update with why it was not installed (a
// firmware url on an install without A/B root partitions is refused), and
// its "Check for an update now" button asks the device to check its
// firmware manifest, showing the device's answer (none configured here);
// the board's pins are a compact table that follows the relay live (issue
// 19), in headless Chromium on the real binary.
func TestWebPageFirmware(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	k := interop.StartKamailio(t, interop.KamailioOptions{})
	key := base64.StdEncoding.EncodeToString(append([]byte("Ed"), make([]byte, 40)...)) // a well-formed minisign key: "RWQA..."
	prov := fmt.Sprintf("  signing_keys: [%q]\n  firmware:\n    url: http://127.0.0.1:9/sipbell-root.img\n    version: \"9.9.9\"\n", key)
	d := startLiveDoorWith(ctx, t, k, liveDoorFile(k, interop.Password, "bob"), prov)
	b := cdptest.Start(t)
	b.Call("Emulation.setDeviceMetricsOverride", map[string]any{"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": true}, nil)
	b.Navigate(d.url + "/")
	b.WaitFor(ctx, "the login form", `!document.querySelector("#login").hidden`)
	b.Eval(`document.querySelector("#password").value = `+jsQuote(d.password)+`; document.querySelector("#login-form").requestSubmit()`, nil)
	info := `document.querySelector("#firmware-info").textContent`
	b.WaitFor(ctx, "the running firmware and the refused update with why", info+`.includes("Running") &&
		document.querySelector("#firmware-info .fw-last") && document.querySelector("#firmware-info .fw-last").textContent.includes("9.9.9 · refused") &&
		document.querySelector("#firmware-info .fw-why").textContent.includes("no A/B root partitions")`)
	b.Eval(`document.querySelector("#firmware").scrollIntoView({block: "center"})`, nil)
	screenshot(t, b, "firmware-phone")
	b.Eval(`document.querySelector("#firmware-check").click()`, nil)
	b.WaitFor(ctx, "the device's answer to the check", `document.querySelector("#firmware-msg").classList.contains("error") &&
		document.querySelector("#firmware-msg").textContent.includes("no firmware manifest configured")`)

	relay := `document.querySelector('#pins tr[data-role="door_relay-0"]')`
	b.WaitFor(ctx, "the relay at rest in the pins table", relay+` && `+relay+`.textContent.includes("at rest") &&
		document.querySelector('#pins tr[data-role="call_button-0"]').textContent.includes("idle")`)
	if code, body := d.api(t, "POST", "/api/actions/open-door", "{}"); code != 200 {
		t.Fatalf("open-door: %d %s", code, body)
	}
	b.WaitFor(ctx, "the relay on in the pins table, live", relay+`.classList.contains("pin-on")`)
	b.Eval(`document.querySelector("#pins").scrollIntoView({block: "center"})`, nil)
	screenshot(t, b, "pins-phone")
	b.Call("Emulation.setDeviceMetricsOverride", map[string]any{"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": false}, nil)
	b.Eval(`document.querySelector("#firmware").scrollIntoView({block: "center"})`, nil)
	screenshot(t, b, "firmware-desktop")
}
