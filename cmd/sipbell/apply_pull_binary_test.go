package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/interop"
)

// TestChangesWithPullProvisioningKeepTheDeviceWorking is issue 12's walk
// with pull provisioning configured: the device runs on the server's file
// and works; a change on the admin API is kept (the unchanged server file
// does not undo it) and the device works; a new server file with a wrong
// password is applied, fails to register, is rolled back, and the device
// works again — and the same bad file is not applied again.
func TestChangesWithPullProvisioningKeepTheDeviceWorking(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	k := interop.StartKamailio(t, interop.KamailioOptions{})
	var doc atomic.Value
	doc.Store(liveDoorFile(k, interop.Password, "bob"))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(doc.Load().(string)))
	}))
	defer srv.Close()
	d := startLiveDoorWith(ctx, t, k, liveDoorFile(k, interop.Password, "nobody"),
		"  url: "+srv.URL+"/{mac}.yaml\n  interval: 24h\n  dhcp_lease_files: []\n")
	d.p.awaitLog(ctx, t, "configuration change confirmed: device healthy", nil)
	d.checkWorks(ctx, t, "the first fetch")

	d.set(t, "device.call.time_limit", "10m0s")
	if out := d.provisionNow(ctx, t); out != "not-modified" {
		t.Fatalf("fetching the unchanged server file after an admin change: %s", out)
	}
	d.p.awaitLog(ctx, t, "configuration change confirmed: device healthy", nil)
	if out := d.lastChange(t); out != "applied" {
		t.Fatalf("the admin change ended %q", out)
	}
	d.checkWorks(ctx, t, "an admin change with pull provisioning on")

	doc.Store(liveDoorFile(k, "wrong-password", "bob"))
	if out := d.provisionNow(ctx, t); out != "applied" {
		t.Fatalf("fetching a new server file: %s", out)
	}
	d.p.awaitLog(ctx, t, "configuration", map[string]string{"outcome": "rolled-back"})
	d.p.awaitLog(ctx, t, "configuration change confirmed: device healthy", nil)
	d.checkWorks(ctx, t, "the rollback of a fetched wrong password")
	if out := d.provisionNow(ctx, t); out != "not-modified" {
		t.Fatalf("fetching the same bad file again: %s", out)
	}
	d.checkWorks(ctx, t, "fetching the same bad file again")
}

// provisionNow presses "Provision now" and returns the outcome of the
// fetch it started, as the status page shows it.
func (d *liveDoor) provisionNow(ctx context.Context, t *testing.T) string {
	t.Helper()
	since := time.Now()
	if code, body := d.api(t, "POST", "/api/actions/provision", "{}"); code != http.StatusAccepted {
		t.Fatalf("provision now: %d %s", code, body)
	}
	return fetchOutcomeAfter(ctx, t, func() []byte { _, b := d.api(t, "GET", "/api/status", ""); return b }, since)
}

// fetchOutcomeAfter polls the status page (status returns its JSON) until
// it shows a provisioning fetch later than since, and returns its outcome.
func fetchOutcomeAfter(ctx context.Context, t *testing.T, status func() []byte, since time.Time) string {
	t.Helper()
	for {
		var st struct {
			Provisioning struct {
				LastFetch *struct {
					Time    time.Time `json:"time"`
					Outcome string    `json:"outcome"`
				} `json:"last_fetch"`
			} `json:"provisioning"`
		}
		if json.Unmarshal(status(), &st) == nil && st.Provisioning.LastFetch != nil && st.Provisioning.LastFetch.Time.After(since) {
			return st.Provisioning.LastFetch.Outcome
		}
		select {
		case <-ctx.Done():
			t.Fatal("no provisioning fetch")
		case <-time.After(20 * time.Millisecond): // polling the status page
		}
	}
}
