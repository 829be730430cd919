package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestFirmwareSlotTamperedBinary: a v2 installed from a signed manifest
// by the update flow is started from its slot and kept; then the slot's
// binary is replaced by another working sipbell (v3, never signed), as a
// process of the service that was taken over could. The package's
// binary, restarted as systemd does, checks the slot against the signed
// record kept with it and the root-owned release key, refuses it, says
// why, runs itself (v1) and marks the slot bad: the next start does not
// try it again, and the status reports v2 failed.
func TestFirmwareSlotTamperedBinary(t *testing.T) {
	t.Parallel()
	fw := newFWFixture(t)
	v3 := buildVersion(t, "v3.0.0") // before the clock starts: builds queue behind other tests'
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	fw.publish(t, "v2.0.0", fw.bin2, "")
	r := fw.rig(t, "")
	p := r.start(t)
	p.awaitLine(ctx, t, "firmware update: installed in the inactive slot; restarting to try it", map[string]string{"version": "v2.0.0"})
	p.exit(ctx, t)
	p = r.start(t)
	p.awaitLine(ctx, t, "firmware: starting the slot's sipbell", map[string]string{"trial": "true"})
	p.awaitLine(ctx, t, "firmware updated: healthy, kept", map[string]string{"version": "v2.0.0"})
	p.cmd.Process.Signal(os.Interrupt)
	p.exit(ctx, t)

	bin3, err := os.ReadFile(v3)
	if err != nil {
		t.Fatal(err)
	}
	slot := filepath.Join(r.state, "firmware-slots", "current", "sipbell")
	if err := os.WriteFile(slot, bin3, 0o700); err != nil {
		t.Fatal(err)
	}
	// v3 may differ from v2 in length or only in bytes: either is refused.
	p = r.start(t) // the package's v1 logs its start, then checks the slot
	p.awaitLine(ctx, t, "starting", map[string]string{"version": "sipbell v1.0.0 "})
	p.awaitLine(ctx, t, "firmware slot refused and marked bad; running the installed binary", map[string]string{"err": "slot a: the binary"})
	url := p.awaitLine(ctx, t, "admin web UI", nil)["url"].(string)
	if st := firmwareStatus(t, url); st.Running != "v1.0.0" || st.Last.Phase != "failed" || st.Last.Version != "v2.0.0" {
		t.Errorf("status firmware %+v, want v1.0.0 running, v2.0.0 failed (its slot refused)", st)
	}
	if got := r.slotVersion(t); got != "" {
		t.Errorf("the refused slot is still current (%q)", got)
	}
	p.cmd.Process.Signal(os.Interrupt)
	p.exit(ctx, t)

	p = r.start(t) // marked bad: not checked or tried again
	line, _ := p.awaitAny(ctx, t, "firmware slot refused and marked bad; running the installed binary", "admin web UI")
	if line != "admin web UI" {
		t.Errorf("the next start logged %q before its web UI: want the slot not tried again", line)
	}
}
