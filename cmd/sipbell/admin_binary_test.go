package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestAdminAPIOnTheBinary: the admin API of the running binary reports the
// live state (version, SIP address, pins, door station) and its open-door
// action pulses the door relay through the door station.
func TestAdminAPIOnTheBinary(t *testing.T) {
	t.Parallel()
	state := filepath.Join(t.TempDir(), "state")
	p := startDoor(t, "sip:\n  listen: 127.0.0.1:0\n  user: door\n"+
		"device:\n  door:\n    relay_pulse: 1s\n"+
		"provisioning:\n  state_dir: "+state+"\n  admin:\n    listen: 127.0.0.1:0\n    tls: false\n    password: \"test-Pass-123\"\n")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	url := p.awaitLog(ctx, t, "admin web UI", nil)["url"].(string)
	client := &http.Client{Timeout: 10 * time.Second}
	call := func(method, path, body string) (int, []byte) {
		t.Helper()
		req, err := http.NewRequest(method, strings.TrimSuffix(url, "/")+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.SetBasicAuth("admin", "test-Pass-123")
		req.Header.Set("Content-Type", "application/json")
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, b
	}

	code, body := call("GET", "/api/status", "")
	if code != http.StatusOK {
		t.Fatalf("status: %d %s", code, body)
	}
	var st struct {
		Device struct {
			Version string `json:"version"`
			SIP     struct {
				Listen string `json:"listen"`
			} `json:"sip"`
			Pins []json.RawMessage `json:"pins"`
			Door json.RawMessage   `json:"door"`
		} `json:"device"`
	}
	if err := json.Unmarshal(body, &st); err != nil {
		t.Fatalf("status JSON: %v\n%s", err, body)
	}
	if !strings.HasPrefix(st.Device.Version, "sipbell ") || !strings.HasPrefix(st.Device.SIP.Listen, "127.0.0.1:") ||
		len(st.Device.Pins) == 0 || len(st.Device.Door) == 0 {
		t.Fatalf("status lacks version, SIP address, pins or door state:\n%s", body)
	}

	// The sim board prints each relay change on stdout.
	if code, body := call("POST", "/api/actions/open-door", "{}"); code/100 != 2 {
		t.Fatalf("open-door: %d %s", code, body)
	}
	on := p.awaitOut(ctx, t, "door relay on")
	off := p.awaitOut(ctx, t, "door relay off")
	if d := off.Sub(on); d < 500*time.Millisecond {
		t.Fatalf("the relay pulsed for %v, want the configured 1 s", d)
	}
	if code, _ := call("GET", "/api/status", ""); code != http.StatusOK {
		t.Fatalf("status after the action: %d", code)
	}
	// Wrong password: refused.
	req, _ := http.NewRequest("GET", strings.TrimSuffix(url, "/")+"/api/status", nil)
	req.SetBasicAuth("admin", "wrong")
	if res, err := client.Do(req); err != nil || res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("wrong password: %v %v", res, err)
	}
}
