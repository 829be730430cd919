package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/interop"
	"github.com/sipbell/sipbell/provisioning/cdptest"
)

// TestWebPageSaveKeepsDeviceWorking is the README's walk that bricked the
// device (issue 12), done as a person does it: in headless Chromium, on the
// real binary's web page, log in, open Settings and type who button 1
// calls, Save. The page says it was saved; the device then proves
// healthy and, checked from outside, still answers OPTIONS, stays
// registered with Kamailio, calls bob on a press and answers bob's call.
// The file keeps the comment written in it by hand and says only what
// was set (its YAML as the page shows it). The status page shows the SIP
// URI to call.
func TestWebPageSaveKeepsDeviceWorking(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	k := interop.StartKamailio(t, interop.KamailioOptions{})
	d := startLiveDoorWith(ctx, t, k, "# written by hand: the front door\n"+liveDoorFile(k, interop.Password, "nobody"), "")
	addr := d.sipAddr(t)
	b := cdptest.Start(t)
	b.Call("Emulation.setDeviceMetricsOverride", map[string]any{"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": true}, nil)
	b.Navigate(d.url + "/")
	b.WaitFor(ctx, "the login form", `!document.querySelector("#login").hidden`)
	b.Eval(`document.querySelector("#password").value = `+jsQuote(d.password)+`; document.querySelector("#login-form").requestSubmit()`, nil)
	b.WaitFor(ctx, "the status page with the SIP URI", `!document.querySelector("#app").hidden && document.querySelector("#status-tree").textContent.includes("sip:door@`+addr+`")`)

	b.Eval(`document.querySelector('nav button[data-tab="config"]').click()`, nil)
	field := `document.querySelector('#settings-form input[data-path="device.buttons[0].targets"]')`
	b.WaitFor(ctx, "the button's targets field", field)
	b.WaitFor(ctx, "the account registered under it", `document.querySelector('.reg-state[data-account="0"]').textContent.includes("registered")`)
	b.Eval(field+`.value = "bob"; `+field+`.dispatchEvent(new Event("input")); document.querySelector("#settings-form").requestSubmit()`, nil)
	b.WaitFor(ctx, "saved", `document.querySelector("#config-msg").textContent.startsWith("Saved: applied")`)
	screenshot(t, b, "config-saved")
	code, doc := d.api(t, "GET", "/api/config?format=yaml", "")
	if code != 200 || !strings.Contains(string(doc), "# written by hand: the front door") || !strings.Contains(string(doc), "targets: [bob]") ||
		strings.Count(string(doc), "\n") > 25 || strings.Contains(string(doc), interop.Password) {
		t.Fatalf("the saved file, as the page shows it (%d):\n%s", code, doc)
	}

	d.p.awaitLog(ctx, t, "configuration change confirmed: device healthy", nil)
	if out := d.lastChange(t); out != "applied" {
		t.Fatalf("the page's change ended %q", out)
	}
	d.checkWorks(ctx, t, "saving button 1's target on the web page")
	if got := d.sipAddr(t); got != addr {
		t.Fatalf("saving moved SIP from %s to %s", addr, got)
	}
	// The page's status after a reload shows the change confirmed.
	b.Eval(`document.querySelector('nav button[data-tab="status"]').click()`, nil)
	b.WaitFor(ctx, "the change confirmed on the status page", `document.querySelector("#prov-summary").textContent.includes("confirmed")`)
	screenshot(t, b, "status-confirmed")
	// The Log tab: the device's recent log, without the password.
	b.Eval(`document.querySelector('nav button[data-tab="log"]').click()`, nil)
	b.WaitFor(ctx, "the recent log", `document.querySelector("#log-lines").textContent.includes("configuration change confirmed")`)
	var logText string
	b.Eval(`document.querySelector("#log-lines").textContent`, &logText)
	if strings.Contains(logText, d.password) || strings.Contains(logText, "password=") && !strings.Contains(logText, "password=********") {
		t.Errorf("the Log tab shows a password:\n%s", logText)
	}
	screenshot(t, b, "log-phone")
	b.Eval(`document.querySelector('nav button[data-tab="status"]').click()`, nil)
	var shown string
	b.Eval(`document.querySelector('#status-tree dd[data-key="since"]').textContent`, &shown)
	if strings.Contains(shown, "T") || strings.Contains(shown, ".") && len(shown) > 25 {
		t.Errorf("the page shows a timestamp as %q, not as a person reads it", shown)
	}
}

// screenshot saves the page as a PNG under SIPBELL_SCREENSHOTS (when set),
// for a person to look at.
func screenshot(t *testing.T, b *cdptest.Browser, name string) {
	t.Helper()
	dir := os.Getenv("SIPBELL_SCREENSHOTS")
	if dir == "" {
		return
	}
	var shot struct {
		Data string `json:"data"`
	}
	b.Call("Page.captureScreenshot", map[string]any{"format": "png"}, &shot)
	png, err := base64.StdEncoding.DecodeString(shot.Data)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

func jsQuote(s string) string {
	b, _ := json.Marshal(s)
	return strings.ReplaceAll(string(b), "</", `<\/`)
}
