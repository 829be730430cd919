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

// TestWebPageTimeZone (issue 19): the real binary with device.time_zone
// Europe/Berlin writes its log lines, a message text's time, and the
// history (the API with no ?tz=, and the page in a browser that is in New
// York) in Berlin time; on the Settings tab the zone is a select, another
// zone chosen there applies at once (the log moves to +09:00 for Tokyo),
// and a zone that does not exist is refused at its field.
func TestWebPageTimeZone(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	k := interop.StartKamailio(t, interop.KamailioOptions{})
	alice := newSIPPeer(t, "alice") // a user the test Kamailio knows
	alice.register(ctx, t, k, "alice")
	file := liveDoorFile(k, interop.Password, "bob") + "  time_zone: Europe/Berlin\n" +
		"notify:\n  messages:\n    to: [\"sip:alice@" + k.UDP + "\"]\n    events: [door-opened]\n" +
		"    texts:\n      door-opened: 'Door opened at {{.Time.Local.Format \"15:04 -07:00\"}}.'\n"
	d := startLiveDoorWith(ctx, t, k, file, "")
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	offset := time.Now().In(berlin).Format("-07:00") // +01:00 in winter, +02:00 in summer

	if code, body := d.api(t, "POST", "/api/actions/open-door", "{}"); code != 200 {
		t.Fatalf("open-door: %d %s", code, body)
	}
	ts, _ := d.p.awaitLog(ctx, t, "door opened", nil)["time"].(string)
	if !strings.HasSuffix(ts, offset) {
		t.Errorf("the log line 'door opened' at %q: want Berlin time (%s)", ts, offset)
	}
	if msg := alice.nextMessage(ctx, t); !strings.HasPrefix(msg, "Door opened at ") || !strings.HasSuffix(msg, " "+offset+".") {
		t.Errorf("the message text %q: want Berlin time (%s)", msg, offset)
	}
	_, csv := d.api(t, "GET", "/api/history?format=csv&kind=door-opened", "")
	row := ""
	for _, l := range strings.Split(string(csv), "\n") {
		if strings.Contains(l, ",door-opened,") {
			row = l
		}
	}
	if !strings.Contains(row, offset+",door-opened,") {
		t.Fatalf("the history's door opening not in Berlin time (%s):\n%s", offset, csv)
	}
	at, err := time.Parse(time.RFC3339Nano, strings.Split(row, ",")[1])
	if err != nil {
		t.Fatal(err)
	}

	b := cdptest.Start(t)
	b.Call("Emulation.setTimezoneOverride", map[string]any{"timezoneId": "America/New_York"}, nil) // the installer, far away
	b.Call("Emulation.setDeviceMetricsOverride", map[string]any{"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": true}, nil)
	b.Navigate(d.url + "/")
	b.WaitFor(ctx, "the login form", `!document.querySelector("#login").hidden`)
	b.Eval(`document.querySelector("#password").value = `+jsQuote(d.password)+`; document.querySelector("#login-form").requestSubmit()`, nil)
	b.WaitFor(ctx, "the dashboard", `!document.querySelector("#app").hidden && document.querySelector("#dashboard").textContent.includes("sip:door@")`)
	b.Eval(`document.querySelector('nav button[data-tab="history"]').click()`, nil)
	rows := `[...document.querySelectorAll("#history-table tbody tr")].map((r) => r.textContent).join("\n")`
	clock := at.In(berlin).Format("3:04:05")
	b.WaitFor(ctx, "the door opening at "+clock+" Berlin time", rows+`.includes("door opened") && `+rows+`.includes(`+jsQuote(clock)+`)`)
	var zone string
	b.Eval(`document.querySelector("#history-zone").textContent`, &zone)
	if zone != "Times in Europe/Berlin (the device's zone)." {
		t.Errorf("the history's zone line: %q", zone)
	}
	var link string
	b.Eval(`document.querySelector("#history-csv").getAttribute("href")`, &link)
	if !strings.Contains(link, "tz=Europe%2FBerlin") {
		t.Errorf("the CSV link %q is not in the device's zone", link)
	}
	screenshot(t, b, "timezone-history-phone")

	b.Eval(`document.querySelector('nav button[data-tab="config"]').click()`, nil)
	sel := `document.querySelector('#time-fields select[data-path="device.time_zone"]')`
	b.WaitFor(ctx, "the time zone select on Europe/Berlin", sel+` && `+sel+`.value === "Europe/Berlin" && `+sel+`.options.length > 100`)
	b.Eval(sel+`.scrollIntoView({block: "center"})`, nil)
	screenshot(t, b, "timezone-settings-phone")
	b.Eval(`{ const s = `+sel+`; const o = document.createElement("option"); o.value = o.textContent = "Mars/Olympus"; s.appendChild(o);
		s.value = "Mars/Olympus"; s.dispatchEvent(new Event("change")); document.querySelector("#settings-save").click() }`, nil)
	b.WaitFor(ctx, "the unknown zone refused at its field", `(() => { const f = `+sel+`.closest(".field");
		return f.classList.contains("invalid") && f.querySelector(".msg").textContent.includes("unknown time zone \"Mars/Olympus\""); })()`)
	b.Eval(sel+`.scrollIntoView({block: "center"})`, nil)
	screenshot(t, b, "timezone-refused-phone")
	b.Eval(`{ const s = `+sel+`; s.value = "Asia/Tokyo"; s.dispatchEvent(new Event("change")); document.querySelector("#settings-save").click() }`, nil)
	b.WaitFor(ctx, "saved", `document.querySelector("#config-msg").textContent.startsWith("Saved")`)
	m := d.p.awaitLog(ctx, t, "configuration change confirmed: device healthy", nil)
	if ts, _ := m["time"].(string); !strings.HasSuffix(ts, "+09:00") {
		t.Errorf("a log line after choosing Tokyo: time %q", ts)
	}
	if _, doc := d.api(t, "GET", "/api/config?format=yaml", ""); !strings.Contains(string(doc), "time_zone: Asia/Tokyo") {
		t.Errorf("the saved file:\n%s", doc)
	}
	if st := d.status(t); st["time_zone"] != "Asia/Tokyo" {
		t.Errorf("status time_zone %v", st["time_zone"])
	}
	d.checkWorks(ctx, t, fmt.Sprintf("choosing another time zone (log line in Berlin time: %s)", ts))
}
