package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/interop"
	"github.com/sipbell/sipbell/provisioning/cdptest"
)

// TestWebPageVoicemail (issue 15): the real binary in ATA mode subscribes
// to its account's message-summary at Kamailio (presence_mwi); the
// dashboard in headless Chromium shows the messages a voicemail server
// published there, and their being read, live (server-sent events, no
// reload). On the Settings tab the subscription is switched off: the
// running subscription is ended at Kamailio (Expires: 0, answered 2xx)
// as the old configuration stops, and the new one does not subscribe.
func TestWebPageVoicemail(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	k := interop.StartKamailio(t, interop.KamailioOptions{Presence: true})
	vm := newSIPPeer(t, "voicemail")
	publishMWI(ctx, t, vm, k, true)
	ear := filepath.Join(t.TempDir(), "earpiece.wav")
	d := startLiveDoorWith(ctx, t, k, ataConfig("silence", ear, "    country: US\n", kamailioSIP(k)), "")

	b := cdptest.Start(t)
	b.Call("Emulation.setDeviceMetricsOverride", map[string]any{"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": true}, nil)
	b.Navigate(d.url + "/")
	b.WaitFor(ctx, "the login form", `!document.querySelector("#login").hidden`)
	b.Eval(`document.querySelector("#password").value = `+jsQuote(d.password)+`; document.querySelector("#login-form").requestSubmit()`, nil)
	vmRow := `document.querySelector("#dashboard .vm")`
	b.WaitFor(ctx, "messages waiting on the dashboard", vmRow+` && `+vmRow+`.classList.contains("live") && `+vmRow+`.textContent === "messages waiting"`)
	screenshot(t, b, "voicemail-waiting-phone")
	// Logged before the admin page was (which startLiveDoorWith waited for).
	d.p.mu.Lock()
	subscribed := strings.Contains(d.p.all.String(), `"msg":"voicemail subscription active"`)
	d.p.mu.Unlock()
	if !subscribed {
		t.Errorf("the messages waiting came without a subscription")
	}
	b.Eval(`window.loadedOnce = true`, nil) // gone if the page reloads
	publishMWI(ctx, t, vm, k, false)
	b.WaitFor(ctx, "no new messages, live", `window.loadedOnce && `+vmRow+`.textContent === "no new messages" && !`+vmRow+`.classList.contains("live")`)

	b.Eval(`document.querySelector('nav button[data-tab="config"]').click()`, nil)
	sel := `document.querySelector('#phone-fields select[data-path="device.phone.voicemail_subscription"]')`
	b.WaitFor(ctx, "the voicemail subscription switch, not the door station's settings", `!document.querySelector("#phone-settings").hidden && `+sel+` && `+sel+`.value === "on" &&
		document.querySelector("#door-settings").hidden && document.querySelector("#buttons-settings").hidden`)
	b.Eval(sel+`.scrollIntoView({block: "center"})`, nil)
	screenshot(t, b, "voicemail-settings-phone")
	b.Eval(`{ const s = `+sel+`; s.value = "off"; s.dispatchEvent(new Event("change")); document.querySelector("#settings-save").click() }`, nil)
	b.WaitFor(ctx, "saved", `document.querySelector("#config-msg").textContent.startsWith("Saved")`)
	d.p.awaitLog(ctx, t, "voicemail subscription ended", nil)
	d.p.awaitLog(ctx, t, "configuration change confirmed: device healthy", nil)
	d.p.mu.Lock()
	logged := d.p.all.String()
	d.p.mu.Unlock()
	if n := strings.Count(logged, `"msg":"voicemail subscription active"`); n != 1 {
		t.Errorf("%d subscriptions made, want only the first (switched off since)", n)
	}
	if _, doc := d.api(t, "GET", "/api/config?format=yaml", ""); !strings.Contains(string(doc), "voicemail_subscription: \"off\"") && !strings.Contains(string(doc), "voicemail_subscription: off") {
		t.Errorf("the saved file:\n%s", doc)
	}
	if line, err := optionsStatus(t, d.sipAddr(t)); err != nil || !strings.HasPrefix(line, "SIP/2.0 200") {
		t.Errorf("OPTIONS after the change: %q %v", line, err)
	}
}
