package provisioning

import (
	"context"
	"encoding/base64"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sipbell/sipbell/provisioning/cdptest"
)

// TestWebUISettingsForm is the Settings tab as an installer uses it, in
// headless Chromium at phone size: the account with its registration
// state and its password never shown; a bad registrar refused with the
// message at the field; an account added, a button's target changed and
// a door code set through the form, saved into the hand-written file
// with its comment kept and the password untouched.
func TestWebUISettingsForm(t *testing.T) {
	t.Parallel()
	e := newAdminEnv(t, func(o *AdminOptions) {
		o.Status = staticStatus{"version": "t", "sip": map[string]any{"registrations": map[string]any{
			"sip:door@127.0.0.1": "failed: 401 Unauthorized after authentication (check user and password)"}}}
	})
	hand := "# hand-written: the door at the front\nsip:\n  accounts:\n    - registrar: 127.0.0.1:5060 # our PBX\n      user: door\n      password: s3cret-pw\n"
	if res, body := e.do(t, "PUT", "/api/config", testAdminPW, hand); res.StatusCode != http.StatusOK {
		t.Fatalf("PUT: %d %s", res.StatusCode, body)
	}
	b := cdptest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	b.Call("Emulation.setDeviceMetricsOverride", map[string]any{"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": true}, nil)
	b.Navigate(e.URL + "/")
	b.WaitFor(ctx, "the login form", `!document.querySelector("#login").hidden`)
	b.Eval(`document.querySelector("#password").value = `+jsString(testAdminPW)+`; document.querySelector("#login-form").requestSubmit()`, nil)
	b.WaitFor(ctx, "the page", `!document.querySelector("#app").hidden`)
	b.Eval(`document.querySelector('nav button[data-tab="config"]').click()`, nil)
	pw := `document.querySelector('#settings-form input[data-path="sip.accounts[0].password"]')`
	b.WaitFor(ctx, "the account's password field", pw)
	var shown string
	b.Eval(pw+`.value + "|" + `+pw+`.placeholder + "|" + document.querySelector("#settings-form").innerHTML.includes("s3cret")`, &shown)
	if shown != "|set — type a new one to change it|false" {
		t.Fatalf("the password field shows %q", shown)
	}
	b.WaitFor(ctx, "the registration failure under the account", `document.querySelector('.reg-state[data-account="0"]').textContent.includes("check user and password")`)
	screenshotTo(t, b, "settings-phone")

	// A second account without a registrar: refused, said at the field.
	b.Eval(`document.querySelector("#add-account").click()`, nil)
	set := func(path, value string) string {
		return `(() => { const i = document.querySelector('#settings-form [data-path="` + path + `"]'); i.value = ` + jsString(value) + `; i.dispatchEvent(new Event("input")); })();`
	}
	b.Eval(set("sip.accounts[1].user", "gate")+`document.querySelector("#settings-form").requestSubmit()`, nil)
	b.WaitFor(ctx, "the error at the registrar", `document.querySelector('#settings-form [data-path="sip.accounts[1].registrar"]').closest(".field").classList.contains("invalid")`)
	screenshotTo(t, b, "settings-error-phone")
	if n := len(e.mgr.Current().SIP.Accounts); n != 1 {
		t.Fatalf("a refused account reached the running config: %d accounts", n)
	}
	b.Eval(set("sip.accounts[1].registrar", "127.0.0.1:5062")+set("sip.accounts[1].password", "gate-pw")+
		set("device.buttons[0].targets", "bob, sip:carol@127.0.0.1")+set("device.door.code", "42#")+
		`document.querySelector("#settings-form").requestSubmit()`, nil)
	b.WaitFor(ctx, "saved", `document.querySelector("#config-msg").textContent.startsWith("Saved: applied")`)
	cur := e.mgr.Current()
	if len(cur.SIP.Accounts) != 2 || cur.SIP.Accounts[0].Password != "s3cret-pw" || cur.SIP.Accounts[1].Password != "gate-pw" ||
		strings.Join(cur.Device.Buttons[0].Targets, ",") != "bob,sip:carol@127.0.0.1" || cur.Device.Door.Code != "42#" {
		t.Fatalf("running config after save: %+v %+v", cur.SIP.Accounts, cur.Device)
	}
	file, err := os.ReadFile(e.mgr.Path())
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"# hand-written: the door at the front", "# our PBX", "password: s3cret-pw", "code: 42#"} {
		if !strings.Contains(string(file), w) {
			t.Errorf("%q missing from the saved file:\n%s", w, file)
		}
	}
	if n := strings.Count(string(file), "\n"); n > 20 {
		t.Errorf("the saved file grew to %d lines:\n%s", n, file)
	}
	var wide bool
	b.Eval(`document.documentElement.scrollWidth > window.innerWidth`, &wide)
	if wide {
		t.Error("the Settings tab scrolls sideways on a 390 px phone screen")
	}
	b.Call("Emulation.setDeviceMetricsOverride", map[string]any{"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": false}, nil)
	screenshotTo(t, b, "settings-desktop")
}

// screenshotTo saves the whole page as a PNG under SIPBELL_SCREENSHOTS
// (when set), for a person to look at.
func screenshotTo(t *testing.T, b *cdptest.Browser, name string) {
	t.Helper()
	dir := os.Getenv("SIPBELL_SCREENSHOTS")
	if dir == "" {
		return
	}
	var shot struct {
		Data string `json:"data"`
	}
	b.Call("Page.captureScreenshot", map[string]any{"format": "png", "captureBeyondViewport": true}, &shot)
	png, err := base64.StdEncoding.DecodeString(shot.Data)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}
