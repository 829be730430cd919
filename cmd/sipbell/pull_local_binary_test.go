package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// pullLocalAdmin talks to the admin API of a running binary.
type pullLocalAdmin struct {
	url string
	c   *http.Client
}

func (a pullLocalAdmin) call(t *testing.T, method, path, body string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, strings.TrimSuffix(a.url, "/")+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth("admin", "test-Pass-123")
	req.Header.Set("Content-Type", "application/json")
	res, err := a.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

// displayName is sip.display_name of the configuration in force.
func (a pullLocalAdmin) displayName(t *testing.T) string {
	t.Helper()
	code, body := a.call(t, "GET", "/api/config", "")
	var c struct {
		SIP struct {
			DisplayName string `json:"display_name"`
		} `json:"sip"`
	}
	if code != 200 || json.Unmarshal(body, &c) != nil {
		t.Fatalf("GET /api/config: %d %s", code, body)
	}
	return c.SIP.DisplayName
}

// fetchAfter waits for a provisioning fetch that ended after since and
// returns its outcome.
func (a pullLocalAdmin) fetchAfter(t *testing.T, since time.Time) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return fetchOutcomeAfter(ctx, t, func() []byte { _, b := a.call(t, "GET", "/api/status", ""); return b }, since)
}

// TestPullKeepsAdminChangeOnTheBinary: with pull provisioning set, a
// change made through the admin API stays in force when the server's file
// has not changed, through a "provision now" and a restart of the process;
// a new file on the server then wins. The server's file has no
// provisioning: section, and the device keeps its own.
func TestPullKeepsAdminChangeOnTheBinary(t *testing.T) {
	t.Parallel()
	var doc atomic.Value
	doc.Store("sip:\n  listen: 127.0.0.1:0\n  user: door\n  display_name: From server\n")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, doc.Load().(string))
	}))
	defer srv.Close()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "sipbell.yaml")
	initial := "sip:\n  listen: 127.0.0.1:0\n  user: door\n  display_name: Initial\n" +
		"provisioning:\n  url: " + srv.URL + "/{mac}.yaml\n  interval: 24h\n  dhcp_lease_files: []\n  rollback_after: 0s\n" +
		"  state_dir: " + filepath.Join(dir, "state") + "\n  admin:\n    listen: 127.0.0.1:0\n    tls: false\n    password: \"test-Pass-123\"\n"
	if err := os.WriteFile(cfg, []byte(initial), 0o600); err != nil {
		t.Fatal(err)
	}
	run := func() (*proc, pullLocalAdmin) {
		p := startFile(t, nil, cfg)
		a := pullLocalAdmin{url: p.await(t, "admin web UI")["url"].(string), c: &http.Client{Timeout: 30 * time.Second}}
		go func() { // keep the log flowing; stop drains the rest
			for range p.lines {
			}
		}()
		return p, a
	}
	p, a := run()
	if out := a.fetchAfter(t, time.Time{}); out != "applied" || a.displayName(t) != "From server" {
		t.Fatalf("first fetch: %s, display_name %q", out, a.displayName(t))
	}

	before := time.Now()
	if code, body := a.call(t, "PATCH", "/api/config", `{"sip":{"display_name":"Edited here"}}`); code != 200 {
		t.Fatalf("PATCH: %d %s", code, body)
	}
	if code, body := a.call(t, "POST", "/api/actions/provision", "{}"); code != 202 {
		t.Fatalf("provision now: %d %s", code, body)
	}
	if out := a.fetchAfter(t, before); out != "not-modified" || a.displayName(t) != "Edited here" {
		t.Fatalf("after the admin change: fetch %s, display_name %q", out, a.displayName(t))
	}
	if code := p.stop(t); code != 0 {
		t.Fatalf("exit code %d", code)
	}

	p, a = run()
	if out := a.fetchAfter(t, time.Time{}); out != "not-modified" || a.displayName(t) != "Edited here" {
		t.Fatalf("after a restart: fetch %s, display_name %q", out, a.displayName(t))
	}
	saved, _ := os.ReadFile(cfg)
	if !strings.Contains(string(saved), srv.URL) {
		t.Fatalf("the saved file lost the provisioning URL:\n%s", saved)
	}

	doc.Store("sip:\n  listen: 127.0.0.1:0\n  user: door\n  display_name: New from server\n")
	before = time.Now()
	if code, body := a.call(t, "POST", "/api/actions/provision", "{}"); code != 202 {
		t.Fatalf("provision now: %d %s", code, body)
	}
	if out := a.fetchAfter(t, before); out != "applied" || a.displayName(t) != "New from server" {
		t.Fatalf("new server file: fetch %s, display_name %q", out, a.displayName(t))
	}
	if code := p.stop(t); code != 0 {
		t.Fatalf("exit code %d", code)
	}
}
