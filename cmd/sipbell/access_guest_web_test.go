package main

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/sipbell/sipbell/provisioning/cdptest"
)

// TestAccessGuestCodeWebPage (issue 20): on the sipbell binary's web page
// in headless Chromium, the admin creates a one-time guest code in the
// Actions tab: the page shows the code once and lists the guest (name,
// relays, uses); the code keyed on the sim board's keypad opens relay 1;
// Revoke removes the guest from the list.
func TestAccessGuestCodeWebPage(t *testing.T) {
	t.Parallel()
	const pw = "test-Pass-123"
	state := filepath.Join(t.TempDir(), "state")
	p := startDoor(t, fmt.Sprintf(`sip:
  listen: 127.0.0.1:0
board:
  profile: sim
device:
  door:
    relay_pulse: 300ms
provisioning:
  state_dir: %s
  admin:
    listen: 127.0.0.1:0
    tls: false
    password: %q
`, state, pw))
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	url := p.awaitLog(ctx, t, "admin web UI", nil)["url"].(string)
	b := cdptest.Start(t)
	b.Navigate(url)
	b.WaitFor(ctx, "the login form", `!document.querySelector("#login").hidden`)
	b.Eval(`document.querySelector("#password").value = `+jsQuote(pw)+`; document.querySelector("#login-form").requestSubmit()`, nil)
	b.WaitFor(ctx, "the app", `!document.querySelector("#app").hidden`)
	b.Eval(`document.querySelector('nav button[data-tab="actions"]').click()`, nil)
	b.WaitFor(ctx, "the guest codes section", `!document.querySelector("#guests").hidden && !document.querySelector("#actions").hidden`)
	b.Eval(`document.querySelector("#guest-name").value = "plumber"; document.querySelector("#guest-uses").value = "1";
		document.querySelector("#guest-form").requestSubmit()`, nil)
	b.WaitFor(ctx, "the code shown", `document.querySelector("#guest-msg").textContent.startsWith("Code for plumber: ")`)
	b.WaitFor(ctx, "the guest listed", `document.querySelector("#guest-table tbody").textContent.includes("plumber")`)
	b.Eval(`document.querySelector("#guests").scrollIntoView()`, nil)
	screenshot(t, b, "guest-code-created")
	var msg, row string
	b.Eval(`document.querySelector("#guest-msg").textContent`, &msg)
	b.Eval(`document.querySelector("#guest-table tbody tr").textContent`, &row)
	code := regexp.MustCompile(`: ([0-9]{8})#`).FindStringSubmatch(msg)
	if code == nil || row != "plumber10 of 1Revoke" && row != "plumber1no end0 of 1Revoke" {
		t.Fatalf("the page shows %q and lists %q", msg, row)
	}
	if _, err := fmt.Fprintf(p.stdin, "k%s#\n", code[1]); err != nil {
		t.Fatal(err)
	}
	p.awaitOut(ctx, t, "door relay on")
	p.awaitLog(ctx, t, "door opened", map[string]string{"who": "code:plumber", "how": "keypad"})
	b.Eval(`document.querySelector('nav button[data-tab="status"]').click(); document.querySelector('nav button[data-tab="actions"]').click()`, nil)
	b.WaitFor(ctx, "the used code gone from the list", `document.querySelector("#guest-table tbody").textContent === ""`)
	b.Eval(`document.querySelector("#guest-name").value = "aunt"; document.querySelector("#guest-form").requestSubmit()`, nil)
	b.WaitFor(ctx, "a second guest listed", `document.querySelector("#guest-table tbody").textContent.includes("aunt")`)
	b.Eval(`document.querySelector("#guest-table tbody button").click()`, nil)
	b.WaitFor(ctx, "revoked", `document.querySelector("#guest-msg").textContent.includes("revoked") && document.querySelector("#guest-table tbody").textContent === ""`)
}
