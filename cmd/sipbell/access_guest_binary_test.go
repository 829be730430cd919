package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// adminCall does method path with body on the admin API at url as the
// admin, and returns the status and body.
func adminCall(t *testing.T, url, password, method, path, body string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, strings.TrimSuffix(url, "/")+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth("admin", password)
	req.Header.Set("Content-Type", "application/json")
	res, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

// awaitReady waits until p logged both its admin page's address (which
// it returns) and its registration, in whatever order.
func awaitReady(ctx context.Context, t *testing.T, p *doorProc) string {
	t.Helper()
	url, registered := "", false
	for url == "" || !registered {
		select {
		case m, ok := <-p.logs:
			if !ok {
				t.Fatal("sipbell exited before it was ready")
			}
			switch {
			case m["msg"] == "admin web UI":
				url, _ = m["url"].(string)
			case m["msg"] == "registered" && m["component"] == "door":
				registered = true
			}
		case <-ctx.Done():
			t.Fatalf("sipbell not ready (admin page %q, registered %v)", url, registered)
		}
	}
	return url
}

// TestAccessGuestCodeBinary (issue 20): the admin creates a guest code
// for two uses of the gate through the API of the sipbell binary; alice
// (a real baresip) keys it in the door's call: the gate relay pulses;
// the list never shows the code. sipbell is restarted on the same state
// directory: the code opens once more, and then no more (the use kept
// across the restart counts).
func TestAccessGuestCodeBinary(t *testing.T) {
	t.Parallel()
	const pw = "test-Pass-123"
	r := startKeyingRig(t)
	alice := r.alice
	state := filepath.Join(t.TempDir(), "state")
	cfg := r.config(fmt.Sprintf(`    relays:
      - name: gate
        pulse: 300ms
    access:
      users:
        - name: resident
          code_hash: "%s"
`, hashOf(t, "5150")), fmt.Sprintf(`provisioning:
  state_dir: %s
  admin:
    listen: 127.0.0.1:0
    tls: false
    password: %q
`, state, pw))
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	p := startDoor(t, cfg)
	url := awaitReady(ctx, t, p)
	status, body := adminCall(t, url, pw, "POST", "/api/guests", `{"name":"plumber","relays":[2],"max_uses":2}`)
	var created struct {
		Code string `json:"code"`
	}
	if err := json.Unmarshal(body, &created); status != http.StatusCreated || err != nil || len(created.Code) != 8 {
		t.Fatalf("create guest code: %d %s", status, body)
	}
	code := created.Code
	if status, body := adminCall(t, url, pw, "GET", "/api/guests", ""); status != http.StatusOK ||
		!strings.Contains(string(body), `"plumber"`) || strings.Contains(string(body), code) || strings.Contains(string(body), "argon2") {
		t.Fatalf("list guest codes: %d %s", status, body)
	}
	r.callAlice(ctx, t, p)
	sendKeys(ctx, t, alice, code+"#")
	p.awaitOut(ctx, t, "door relay 2 on")
	p.awaitLog(ctx, t, "door opened", map[string]string{"who": "code:plumber", "relay": "2"})
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for range p.logs { // until sipbell exited
	}
	if b, err := os.ReadFile(filepath.Join(state, accessFile)); err != nil || strings.Contains(string(b), code) ||
		!strings.Contains(string(b), `"uses":1`) {
		t.Fatalf("stored guest codes: %v %s", err, b)
	}

	p2 := startDoor(t, cfg)
	awaitReady(ctx, t, p2)
	if err := alice.WaitEvent(ctx, "CALL_CLOSED"); err != nil {
		t.Fatal(err)
	}
	r.callAlice(ctx, t, p2)
	sendKeys(ctx, t, alice, code+"#")
	p2.awaitOut(ctx, t, "door relay 2 on")
	p2.awaitLog(ctx, t, "door opened", map[string]string{"who": "code:plumber", "relay": "2"})
	sendKeys(ctx, t, alice, code+"#")
	p2.awaitLog(ctx, t, "door not opened: the code is not valid now", map[string]string{"user": "plumber"})
	for _, x := range []*doorProc{p, p2} {
		x.mu.Lock()
		all := x.all.String()
		x.mu.Unlock()
		if strings.Contains(all, code) {
			t.Errorf("the guest code appears in sipbell's output")
		}
		if n := strings.Count(all, "out: door relay 2 on"); n != 1 {
			t.Errorf("the gate opened %d times in one run, want once", n)
		}
	}
}
