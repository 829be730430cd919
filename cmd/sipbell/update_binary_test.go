package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestFirmwareRefusedOffGokrazyBinary: on an install without gokrazy's
// A/B root partitions (a .deb, this machine) a signed firmware named in
// provisioning.firmware is refused without being downloaded, and the
// reason (apt) is in GET /api/status (device.firmware.last_update) and in the
// history. (The update itself runs on the gokrazy image:
// gokrazy/updatetest.)
func TestFirmwareRefusedOffGokrazyBinary(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	key := newSigner(t)
	var fetched atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetched.Add(1)
		http.NotFound(w, r)
	}))
	defer srv.Close()
	p := startDoor(t, fmt.Sprintf(`sip:
  listen: 127.0.0.1:0
  user: door
board:
  profile: sim
provisioning:
  dhcp_lease_files: []
  signing_keys: [%s]
  firmware:
    url: %s/root.img
    version: v99.0.0
  state_dir: %s
  admin:
    listen: 127.0.0.1:0
    tls: false
    password: %q
`, key.pub, srv.URL, filepath.Join(t.TempDir(), "state"), liveDoorPassword))
	d := &liveDoor{p: p, password: liveDoorPassword, client: &http.Client{Timeout: 15 * time.Second}}
	d.url = strings.TrimSuffix(p.awaitLog(ctx, t, "admin web UI", nil)["url"].(string), "/")
	p.awaitLog(ctx, t, "firmware update refused", nil)
	_, b := d.api(t, "GET", "/api/status", "")
	var status struct {
		Device struct {
			Firmware struct {
				Running string `json:"running"`
				Last    struct {
					Phase, Version, Reason string
				} `json:"last_update"`
			} `json:"firmware"`
		} `json:"device"`
	}
	if err := json.Unmarshal(b, &status); err != nil {
		t.Fatalf("status: %v: %s", err, b)
	}
	st := status.Device
	if st.Firmware.Running == "" || st.Firmware.Last.Phase != "refused" || st.Firmware.Last.Version != "v99.0.0" ||
		!strings.Contains(st.Firmware.Last.Reason, "updates with apt") {
		t.Errorf("status firmware %+v, want refused v99.0.0 with the reason (apt)", st.Firmware)
	}
	if _, h := d.api(t, "GET", "/api/history", ""); !strings.Contains(string(h), `"kind":"firmware"`) || !strings.Contains(string(h), "v99.0.0 refused") {
		t.Errorf("history lacks the refusal: %s", h)
	}
	if n := fetched.Load(); n != 0 {
		t.Errorf("the image was fetched %d times on an install that cannot take it", n)
	}
}
