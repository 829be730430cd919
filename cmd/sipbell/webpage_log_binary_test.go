package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestLogViewerOnTheBinary: the real binary's recent log, as the page's
// Log tab reads it (GET /api/logs), has what the process logged, in
// order, with the first-boot password it printed once taken out; it
// needs the login, and downloads as a text file.
func TestLogViewerOnTheBinary(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := startWith(t, nil, fmt.Sprintf(`sip:
  listen: 127.0.0.1:0
board:
  profile: sim
provisioning:
  state_dir: %s
  admin:
    listen: 127.0.0.1:0
    tls: false
    password: ""
`, filepath.Join(dir, "state")))
	pw, _ := p.await(t, "no admin password configured: generated one, shown only this once")["password"].(string)
	url := strings.TrimSuffix(p.await(t, "admin web UI")["url"].(string), "/")
	if pw == "" {
		t.Fatal("no generated password logged")
	}
	client := &http.Client{Timeout: 15 * time.Second}
	get := func(path, password string) (int, string) {
		req, _ := http.NewRequest("GET", url+path, nil)
		if password != "" {
			req.SetBasicAuth("admin", password)
		}
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if code, _ := get("/api/logs", ""); code != http.StatusUnauthorized {
		t.Fatalf("GET /api/logs without login: %d", code)
	}
	code, body := get("/api/logs?n=50", pw)
	var logs struct {
		Lines []string `json:"lines"`
	}
	if err := json.Unmarshal([]byte(body), &logs); err != nil || code != http.StatusOK {
		t.Fatalf("GET /api/logs: %d %s", code, body)
	}
	all := strings.Join(logs.Lines, "\n")
	gen, web := strings.Index(all, "generated one"), strings.Index(all, `msg="admin web UI"`)
	if gen < 0 || web < gen || !strings.Contains(all, "password=********") {
		t.Fatalf("the recent log:\n%s", all)
	}
	if strings.Contains(all, pw) {
		t.Fatalf("the log viewer shows the admin password:\n%s", all)
	}
	code, text := get("/api/logs?download=1", pw)
	if code != http.StatusOK || !strings.Contains(text, "admin web UI") || strings.Contains(text, pw) {
		t.Fatalf("download: %d\n%s", code, text)
	}
}
