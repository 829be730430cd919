package provisioning

import (
	"context"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sipbell/sipbell/provisioning/cdptest"
)

// TestWebUISoundLevels (issue 18): the Settings tab shows the mixer
// controls audio.mixer sets, by name, and a level typed there is saved
// into the person's file (comment kept) and the running configuration;
// with no control configured the section is not shown.
func TestWebUISoundLevels(t *testing.T) {
	t.Parallel()
	e := newAdminEnv(t, nil)
	hand := "# the WM8960 HAT\naudio:\n  mixer:\n    controls:\n      - name: Speaker Playback Volume # loud street\n        value: 80%\n      - name: Capture Volume\n        value: 60%\n"
	if res, body := e.do(t, "PUT", "/api/config", testAdminPW, hand); res.StatusCode != http.StatusOK {
		t.Fatalf("PUT: %d %s", res.StatusCode, body)
	}
	b := cdptest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	b.Navigate(e.URL + "/")
	b.WaitFor(ctx, "the login form", `!document.querySelector("#login").hidden`)
	b.Eval(`document.querySelector("#password").value = `+jsString(testAdminPW)+`; document.querySelector("#login-form").requestSubmit()`, nil)
	b.WaitFor(ctx, "the page", `!document.querySelector("#app").hidden`)
	b.Eval(`document.querySelector('nav button[data-tab="config"]').click()`, nil)
	vol := `document.querySelector('#sound-fields input[data-path="audio.mixer.controls[0].value"]')`
	b.WaitFor(ctx, "the speaker's volume", vol+` && !document.querySelector("#sound-settings").hidden`)
	var label string
	b.Eval(vol+`.closest(".field").textContent + "|" + `+vol+`.value`, &label)
	if !strings.Contains(label, "Speaker Playback Volume") || !strings.HasSuffix(label, "|80%") {
		t.Fatalf("the speaker's volume field reads %q", label)
	}
	b.Eval(vol+`.value = "55%"; `+vol+`.dispatchEvent(new Event("input")); document.querySelector("#settings-form").requestSubmit()`, nil)
	b.WaitFor(ctx, "saved", `document.querySelector("#config-msg").textContent.startsWith("Saved: applied")`)
	screenshotTo(t, b, "settings-sound")
	cur := e.mgr.Current().Audio.Mixer.Controls
	if len(cur) != 2 || cur[0].Value != "55%" || cur[1].Value != "60%" {
		t.Fatalf("running mixer controls after save: %+v", cur)
	}
	file, err := os.ReadFile(e.mgr.Path())
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"# the WM8960 HAT", "# loud street", "value: 55%", "name: Capture Volume"} {
		if !strings.Contains(string(file), w) {
			t.Errorf("%q missing from the saved file:\n%s", w, file)
		}
	}
	if res, body := e.do(t, "PUT", "/api/config", testAdminPW, "# no mixer\n"); res.StatusCode != http.StatusOK {
		t.Fatalf("PUT: %d %s", res.StatusCode, body)
	}
	b.Navigate(e.URL + "/")
	b.WaitFor(ctx, "the page again", `!document.querySelector("#app").hidden`)
	b.Eval(`document.querySelector('nav button[data-tab="config"]').click()`, nil)
	b.WaitFor(ctx, "the settings without a sound section", `document.querySelector('#time-fields select') && document.querySelector("#sound-settings").hidden`)
}
