package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/interop"
)

// TestStartRegistersThenServesWebUI: the binary's start-up sends the
// first REGISTER before it sets up the web page and provisioning (issue
// 16, start → registered). The device still registers at its first try
// (Kamailio sees the challenged REGISTER and the accepted one, nothing
// more), the admin web UI comes up and answers, and its status reports the
// registration.
func TestStartRegistersThenServesWebUI(t *testing.T) {
	t.Parallel()
	k := interop.StartKamailio(t, interop.KamailioOptions{})
	before := k.Log.Count("IN REGISTER")
	p := startDoor(t, fmt.Sprintf(`sip:
  listen: 127.0.0.1:0
  user: door
  accounts:
    - registrar: %s
      user: door
      password: %s
provisioning:
  state_dir: %s
  admin:
    listen: 127.0.0.1:0
    tls: false
    password: "test-Pass-123"
`, k.UDP, interop.Password, t.TempDir()))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var url string
	for registered := false; !registered || url == ""; {
		select {
		case m, ok := <-p.logs:
			if !ok {
				t.Fatal("sipbell exited during start-up")
			}
			switch {
			case m["msg"] == "admin web UI":
				url, _ = m["url"].(string)
			case m["msg"] == "registered" && m["component"] == "door":
				registered = true
			case m["msg"] == "registration failed" || m["level"] == "ERROR":
				t.Fatalf("start-up: %v", m)
			}
		case <-ctx.Done():
			t.Fatalf("not both registered and serving the web UI (url %q)", url)
		}
	}
	if err := k.Log.WaitFor(ctx, "IN REGISTER", before+2); err != nil {
		t.Fatal(err)
	}
	if n := k.Log.Count("IN REGISTER") - before; n != 2 {
		t.Errorf("Kamailio saw %d REGISTERs to the first registration, want 2 (challenged, accepted)", n)
	}
	req, err := http.NewRequestWithContext(ctx, "GET", strings.TrimSuffix(url, "/")+"/api/status", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth("admin", "test-Pass-123")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("web UI: %v", err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), "registered") {
		t.Fatalf("web UI status: %d\n%s", res.StatusCode, body)
	}
}
