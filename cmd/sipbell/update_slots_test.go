package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

// postFirmwareCheck asks the device at url to check its manifest now.
func postFirmwareCheck(t *testing.T, url string) {
	t.Helper()
	req, _ := http.NewRequest("POST", strings.TrimSuffix(url, "/")+"/api/actions/firmware-check", nil)
	req.SetBasicAuth("admin", liveDoorPassword)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST /api/actions/firmware-check: %s, want 202", resp.Status)
	}
}

// TestFirmwareManifestDebBinary updates a Debian-style install (the
// package's binary v1, no gokrazy) from a manifest signed with the real
// minisign CLI: a manifest offering only the running version changes
// nothing; one offering v2, checked on request from the admin API, is
// downloaded, written to a binary slot and switched to; the package's
// binary, restarted as systemd does, starts the slot's v2 for a trial,
// which proves healthy and is kept; later starts run v2 again and fetch
// nothing; the configuration file is untouched.
func TestFirmwareManifestDebBinary(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	fw := newFWFixture(t)
	fw.publish(t, "v1.0.0", []byte("the running version: never fetched"), "")
	r := fw.rig(t, "")
	cfgBefore, _ := os.ReadFile(r.cfg)

	p := r.start(t)
	url := p.awaitLine(ctx, t, "admin web UI", nil)["url"].(string)
	p.awaitLine(ctx, t, "firmware manifest checked: no update", map[string]string{"reason": "v1.0.0 is not newer than the running v1.0.0"})
	fw.publish(t, "v2.0.0", fw.bin2, `"minimum_version": "v0.9.0", "rollout_percent": 100,`)
	postFirmwareCheck(t, url)
	p.awaitLine(ctx, t, "firmware update: installed in the inactive slot; restarting to try it", map[string]string{"version": "v2.0.0", "from": "v1.0.0"})
	if code := p.exit(ctx, t); code == 0 {
		t.Errorf("exit code 0 after switching slots: systemd's Restart=on-failure would not restart it")
	}
	if got := r.slotVersion(t); got != "v2.0.0" {
		t.Errorf("current slot runs %q, want v2.0.0", got)
	}

	p = r.start(t) // systemd restarts the package's binary
	p.awaitLine(ctx, t, "firmware: starting the slot's sipbell", map[string]string{"trial": "true"})
	p.awaitLine(ctx, t, "starting", map[string]string{"version": "sipbell v2.0.0 "})
	url = p.awaitLine(ctx, t, "admin web UI", nil)["url"].(string)
	p.awaitLine(ctx, t, "firmware updated: healthy, kept", map[string]string{"version": "v2.0.0", "from": "v1.0.0"})
	if st := firmwareStatus(t, url); st.Running != "v2.0.0" || st.Last.Phase != "installed" || st.Last.Version != "v2.0.0" {
		t.Errorf("status firmware %+v, want v2.0.0 running and installed", st)
	}
	p.cmd.Process.Signal(os.Interrupt)
	p.exit(ctx, t)

	fetched := fw.srv.bytesSent("/fw/sipbell-v2.0.0")
	p = r.start(t) // a later start: v2 again, no trial, nothing fetched
	p.awaitLine(ctx, t, "firmware: starting the slot's sipbell", map[string]string{"trial": "false"})
	p.awaitLine(ctx, t, "firmware manifest checked: no update", map[string]string{"reason": "v2.0.0 is not newer than the running v2.0.0"})
	if n := fw.srv.bytesSent("/fw/sipbell-v2.0.0"); n != fetched || fetched != len(fw.bin2) {
		t.Errorf("served %d then %d bytes of a %d-byte binary: want it fetched once", fetched, n, len(fw.bin2))
	}
	if after, _ := os.ReadFile(r.cfg); !bytes.Equal(after, cfgBefore) {
		t.Errorf("the configuration changed over the update:\n%s", after)
	}
}

// TestFirmwareManifestRollbackBinary: a v3 whose binary cannot start (cut
// short, correctly hashed and signed) is tried on the restarts it gets
// and then the previous version runs again by itself, reports the
// rollback in the status and the history, and does not try v3 again.
func TestFirmwareManifestRollbackBinary(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	fw := newFWFixture(t)
	fw.publish(t, "v3.0.0", fw.bin2[:len(fw.bin2)/3], "")
	r := fw.rig(t, "")
	p := r.start(t)
	p.awaitLine(ctx, t, "firmware update: installed in the inactive slot; restarting to try it", map[string]string{"version": "v3.0.0"})
	p.exit(ctx, t)
	starts, url := 0, ""
	for {
		starts++
		if starts > 10 {
			t.Fatal("still no rollback after 10 starts")
		}
		p = r.start(t) // systemd restarts the package's binary after each crash
		if m, ok := p.awaitOrExit(ctx, t, "admin web UI"); ok {
			url = m["url"].(string)
			break
		}
	}
	p.awaitLine(ctx, t, "firmware update rolled back", map[string]string{"version": "v3.0.0", "running": "v1.0.0", "reason": "did not start healthy"})
	if starts != 5 { // 4 trial starts, then the rollback
		t.Errorf("v1 ran again on start %d, want 5 (MaxTrialStarts 4 tried first)", starts)
	}
	if got := r.slotVersion(t); got != "" {
		t.Errorf("current slot runs %q, want none (the package's binary)", got)
	}
	if st := firmwareStatus(t, url); st.Running != "v1.0.0" || st.Last.Phase != "failed" || st.Last.Version != "v3.0.0" {
		t.Errorf("status firmware %+v, want v1.0.0 running, v3.0.0 failed", st)
	}
	req, _ := http.NewRequest("GET", strings.TrimSuffix(url, "/")+"/api/history", nil)
	req.SetBasicAuth("admin", liveDoorPassword)
	if resp, err := http.DefaultClient.Do(req); err != nil {
		t.Error(err)
	} else {
		h, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(h), "v3.0.0 rolled back to v1.0.0") {
			t.Errorf("history lacks the rollback: %s", h)
		}
	}
	sent := fw.srv.bytesSent("/fw/sipbell-v3.0.0")
	postFirmwareCheck(t, url)
	p.awaitLine(ctx, t, "firmware manifest checked: no update", map[string]string{"reason": "not tried again"})
	if n := fw.srv.bytesSent("/fw/sipbell-v3.0.0"); n != sent {
		t.Errorf("the failed v3 was fetched again (%d then %d bytes)", sent, n)
	}
}
