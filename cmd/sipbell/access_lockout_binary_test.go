package main

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestAccessLockoutHistoryBinary (issue 20): wrong codes keyed on the
// sim board's keypad lock the keypad out, and the event history (GET
// /api/history) records the lock-out: the source and how, never a code.
func TestAccessLockoutHistoryBinary(t *testing.T) {
	t.Parallel()
	const pw = "test-Pass-123"
	p := startDoor(t, fmt.Sprintf(`sip:
  listen: 127.0.0.1:0
board:
  profile: sim
device:
  door:
    relay_pulse: 300ms
    access:
      max_failures: 2
      lockout: 10m
      users:
        - name: postman
          code_hash: "%s"
provisioning:
  state_dir: %s
  admin:
    listen: 127.0.0.1:0
    tls: false
    password: %q
`, hashOf(t, "4826"), filepath.Join(t.TempDir(), "state"), pw))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	url := p.awaitLog(ctx, t, "admin web UI", nil)["url"].(string)
	if _, err := fmt.Fprintf(p.stdin, "k1111#\nk2222#\n"); err != nil {
		t.Fatal(err)
	}
	p.awaitLog(ctx, t, "door codes locked out: too many wrong codes", map[string]string{"source": "keypad"})
	var found bool
	for !found {
		status, body := adminCall(t, url, pw, "GET", "/api/history?kind=lockout", "")
		var h struct {
			Entries []struct {
				Kind, Who, How, Detail string
			} `json:"entries"`
		}
		if err := json.Unmarshal(body, &h); status != 200 || err != nil {
			t.Fatalf("history: %d %v %s", status, err, body)
		}
		for _, e := range h.Entries {
			found = found || e.Kind == "lockout" && e.Who == "keypad" && e.How == "keypad" && strings.Contains(e.Detail, "10m")
		}
		if strings.Contains(string(body), "1111") || strings.Contains(string(body), "2222") {
			t.Fatalf("the history shows a code: %s", body)
		}
		if !found {
			select {
			case <-ctx.Done():
				t.Fatalf("no lock-out in the history: %s", body)
			case <-time.After(50 * time.Millisecond): // the recorder runs beside the log
			}
		}
	}
}
