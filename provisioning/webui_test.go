package provisioning

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/sipbell/sipbell/board"
	"github.com/sipbell/sipbell/provisioning/cdptest"
)

// TestWebUIInChromium logs in, reads status, changes a value (and sees a
// bad one refused with its field marked) and presses the simulated
// button, in headless Chromium at a phone's screen size.
func TestWebUIInChromium(t *testing.T) {
	t.Parallel()
	// The real simulated board; a press lights the call LED, as the
	// device logic would.
	brd, err := board.Open(board.DefaultConfig(), quietLog())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { brd.Close() })
	pressed := make(chan board.Event, 1)
	go func() {
		for ev := range brd.Events() {
			if ev.Role == board.CallButton {
				_ = brd.Set(board.CallLED, 0, board.On())
				select {
				case pressed <- ev:
				default:
				}
			}
		}
	}()
	e := newAdminEnv(t, func(o *AdminOptions) {
		o.Sim = brd.Sim().Handler()
		o.Status = staticStatus{"version": "ui-test-1.0", "registration": map[string]any{"door@pbx": "registered"}}
	})
	b := cdptest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	b.Call("Emulation.setDeviceMetricsOverride", map[string]any{"width": 390, "height": 844, "deviceScaleFactor": 3, "mobile": true}, nil)
	b.Navigate(e.URL + "/")

	b.WaitFor(ctx, "the login form", `!document.querySelector("#login").hidden`)
	b.Eval(`document.querySelector("#password").value = "wrong"; document.querySelector("#login-form").requestSubmit()`, nil)
	b.WaitFor(ctx, "a wrong password refused", `document.querySelector("#login-error").textContent.includes("wrong password")`)
	b.Eval(`document.querySelector("#password").value = `+jsString(testAdminPW)+`; document.querySelector("#login-form").requestSubmit()`, nil)
	b.WaitFor(ctx, "the status page", `!document.querySelector("#app").hidden && document.querySelector("#status-tree").textContent.includes("ui-test-1.0")`)
	b.WaitFor(ctx, "registration shown", `document.querySelector("#status-tree").textContent.includes("registered")`)
	var wide bool
	b.Eval(`document.documentElement.scrollWidth > window.innerWidth`, &wide)
	if wide {
		t.Error("the page scrolls sideways on a 390 px phone screen")
	}

	// Config: a bad value is refused with the field marked, a good one applies.
	b.Eval(`document.querySelector('nav button[data-tab="config"]').click()`, nil)
	b.WaitFor(ctx, "the config form", `document.querySelector('input[data-path="sip.display_name"]')`)
	b.Eval(`document.querySelector('input[data-path="sip.listen"]').value = "nowhere"; document.querySelector("#config-form").requestSubmit()`, nil)
	b.WaitFor(ctx, "the field error", `document.querySelector('input[data-path="sip.listen"]').closest(".field").classList.contains("invalid")`)
	if got := e.mgr.Current().SIP.Listen; got != Default().SIP.Listen {
		t.Fatalf("a refused value reached the running config: %q", got)
	}
	b.Eval(`document.querySelector('input[data-path="sip.listen"]').value = "127.0.0.1:5070";
		document.querySelector('input[data-path="sip.display_name"]').value = "Front gate";
		document.querySelector("#config-form").requestSubmit()`, nil)
	b.WaitFor(ctx, "saved", `document.querySelector("#config-msg").textContent.startsWith("Saved")`)
	if got := e.mgr.Current().SIP; got.DisplayName != "Front gate" || got.Listen != "127.0.0.1:5070" {
		t.Fatalf("running config after save: %+v", got)
	}

	// Board: press the simulated button, see the LED light.
	b.Eval(`document.querySelector('nav button[data-tab="board"]').click()`, nil)
	b.WaitFor(ctx, "the board", `document.querySelector("#sim-call_button-0")`)
	b.Eval(`document.querySelector("#sim-call_button-0").click()`, nil)
	b.WaitFor(ctx, "the LED lit", `document.querySelector("#sim-call_led-0").classList.contains("on")`)
	if ev := <-pressed; ev.Index != 0 {
		t.Fatalf("pressed button %d, want 0", ev.Index)
	}
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return strings.ReplaceAll(string(b), "</", `<\/`)
}
