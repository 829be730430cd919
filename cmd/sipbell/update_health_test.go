package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/interop"
)

// TestFirmwareHealthRollbackBinary: a Debian-style install registered
// with Kamailio takes v2 from a signed manifest; the registrar is gone
// when v2 starts its trial, so v2 stays unregistered through its health
// window, records why and ends; the package's binary, restarted as
// systemd does, goes back to v1, which runs (its -version and the status
// say v1.0.0) and reports v2 failed, and registers again once Kamailio is
// back.
func TestFirmwareHealthRollbackBinary(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	fw := newFWFixture(t)
	k := interop.StartKamailio(t, interop.KamailioOptions{})
	fw.publish(t, "v2.0.0", fw.bin2, "")
	r := fw.rig(t, fmt.Sprintf(`  accounts:
    - registrar: %s
      user: door
      password: %s
`, k.UDP, interop.Password))

	p := r.start(t)
	p.awaitLine(ctx, t, "firmware update: installed in the inactive slot; restarting to try it", map[string]string{"version": "v2.0.0"})
	p.exit(ctx, t)
	k.Stop() // the registrar is down while v2 is tried

	p = r.start(t)
	p.awaitLine(ctx, t, "firmware: starting the slot's sipbell", map[string]string{"trial": "true"})
	p.awaitLine(ctx, t, "starting", map[string]string{"version": "sipbell v2.0.0 "})
	p.awaitLine(ctx, t, "firmware update failed its health check; rebooting into the previous firmware", map[string]string{"version": "v2.0.0", "previous": "v1.0.0"})
	p.exit(ctx, t)

	k.Restart(t)
	p = r.start(t)
	p.awaitLine(ctx, t, "starting", map[string]string{"version": "sipbell v1.0.0 "})
	url := p.awaitEach(ctx, t, "admin web UI", "registered")["admin web UI"]["url"].(string)
	if got := r.slotVersion(t); got != "" {
		t.Errorf("after the failed trial the current slot runs %q, want none (the package's v1)", got)
	}
	st := firmwareStatus(t, url)
	if st.Running != "v1.0.0" || st.Last.Phase != "failed" || st.Last.Version != "v2.0.0" || !strings.Contains(st.Last.Reason, "was not healthy within 10s") {
		t.Errorf("status firmware %+v, want v1.0.0 running, v2.0.0 failed its health window", st)
	}
}
