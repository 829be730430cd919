package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestPasswordResetFromFile is the documented way back in without a
// keyboard, on the real binary and the simulated board: with the
// password in the configuration forgotten, a file sipbell-password.txt
// (on the boot partition; here beside the configuration file) holding a
// new one resets it at the next start: the old one is refused, the new
// one logs in, the file is gone, the reset is in the history and the
// device still answers SIP; the start after keeps the new password
// (the configuration's old one stays overridden) and resets nothing.
func TestPasswordResetFromFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "sipbell.yaml")
	const oldPW, newPW = "old-Pass-123", "new-Pass-456"
	file := fmt.Sprintf(`# the door at the back
sip:
  listen: 127.0.0.1:0
board:
  profile: sim
provisioning:
  state_dir: %s
  admin:
    listen: 127.0.0.1:0
    tls: false
    password: %s
`, filepath.Join(dir, "state"), oldPW)
	if err := os.WriteFile(cfg, []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Timeout: 15 * time.Second}
	login := func(url, pw string) int {
		res, err := client.Post(url+"/api/login", "application/json", strings.NewReader(`{"password":`+jsQuote(pw)+`}`))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	get := func(url, pw, path string) []byte {
		req, _ := http.NewRequest("GET", url+path, nil)
		req.SetBasicAuth("admin", pw)
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, res.StatusCode, b)
		}
		return b
	}
	adminURL := func(p *proc) string {
		return strings.TrimSuffix(p.await(t, "admin web UI")["url"].(string), "/")
	}

	p := startFile(t, nil, cfg)
	url := adminURL(p)
	if code := login(url, oldPW); code != http.StatusNoContent {
		t.Fatalf("the configured password: %d", code)
	}
	p.stop(t)

	reset := filepath.Join(dir, "sipbell-password.txt")
	if err := os.WriteFile(reset, []byte(newPW+"\r\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p = startFile(t, nil, cfg)
	if got := p.await(t, "admin password reset from a file"); got["file"] != reset || got["password"] != nil || strings.Contains(fmt.Sprint(got), newPW) {
		t.Fatalf("reset log line %v", got)
	}
	url = adminURL(p)
	if code := login(url, oldPW); code != http.StatusUnauthorized {
		t.Fatalf("the forgotten password after the reset: %d", code)
	}
	if code := login(url, newPW); code != http.StatusNoContent {
		t.Fatalf("the reset password: %d", code)
	}
	if _, err := os.Stat(reset); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the reset file is still there: %v", err)
	}
	var hist struct {
		Entries []struct{ Time, Kind, How, Detail string } `json:"entries"`
	}
	// In the time zone the page asks for (?tz=, from the built-in zone database).
	if err := json.Unmarshal(get(url, newPW, "/api/history?kind=password&tz=Europe/Berlin"), &hist); err != nil || len(hist.Entries) != 1 ||
		hist.Entries[0].How != "file" || !strings.Contains(hist.Entries[0].Detail, reset) ||
		!strings.HasSuffix(hist.Entries[0].Time, "+01:00") && !strings.HasSuffix(hist.Entries[0].Time, "+02:00") {
		t.Fatalf("history: %+v %v", hist, err)
	}
	var st struct {
		Device struct {
			SIP struct{ Listen string } `json:"sip"`
		} `json:"device"`
	}
	if err := json.Unmarshal(get(url, newPW, "/api/status"), &st); err != nil {
		t.Fatal(err)
	}
	if line, err := optionsStatus(t, st.Device.SIP.Listen); err != nil || !strings.HasPrefix(line, "SIP/2.0 200") {
		t.Fatalf("OPTIONS after the reset: %q %v", line, err)
	}
	if b, _ := os.ReadFile(cfg); string(b) != file {
		t.Fatalf("the reset changed the configuration file:\n%s", b)
	}
	p.stop(t)

	p = startFile(t, nil, cfg)
	url = adminURL(p)
	if code := login(url, newPW); code != http.StatusNoContent {
		t.Fatalf("the reset password after another start: %d", code)
	}
	if code := login(url, oldPW); code != http.StatusUnauthorized {
		t.Fatalf("the overridden configured password after another start: %d", code)
	}
	p.stop(t)
	if strings.Contains(p.log.String(), "admin password reset") {
		t.Fatal("the third start reset the password again")
	}
}
