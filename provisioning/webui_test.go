package provisioning

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sipbell/sipbell/provisioning/cdptest"
)

// simBoard mimics board.Sim's HTTP API (GET /state, POST /press, /door):
// pressing button 0 lights the call LED, as the device would.
type simBoard struct {
	mu      sync.Mutex
	presses []int
	door    bool
	led     bool
}

func (s *simBoard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch r.Method + " " + r.URL.Path {
	case "GET /state":
	case "POST /press":
		var req struct{ Index int }
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		s.presses = append(s.presses, req.Index)
		s.led = true
	case "POST /door":
		s.door = !s.door
	default:
		http.NotFound(w, r)
		return
	}
	type pin struct {
		Role    string `json:"role"`
		Index   int    `json:"index"`
		Input   bool   `json:"input"`
		Active  bool   `json:"active"`
		Pattern string `json:"pattern,omitempty"`
	}
	pat := "off"
	if s.led {
		pat = "fast-blink"
	}
	writeJSON(w, 200, map[string]any{"pins": []pin{
		{Role: "call_button", Index: 0, Input: true},
		{Role: "door_contact", Index: 0, Input: true, Active: s.door},
		{Role: "call_led", Index: 0, Active: s.led, Pattern: pat},
	}})
}

func (s *simBoard) pressed() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]int(nil), s.presses...)
}

// TestWebUIInChromium logs in, reads status, changes a value (and sees a
// bad one refused with its field marked) and presses the simulated
// button, in headless Chromium at a phone's screen size.
func TestWebUIInChromium(t *testing.T) {
	t.Parallel()
	sim := &simBoard{}
	e := newAdminEnv(t, func(o *AdminOptions) {
		o.Sim = sim
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
	if got := sim.pressed(); len(got) != 1 || got[0] != 0 {
		t.Fatalf("presses %v, want [0]", got)
	}
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return strings.ReplaceAll(string(b), "</", `<\/`)
}
