package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestFirmwarePowerCutBinary cuts the power (kill -9) of a Debian-style
// install at each step of an update from a signed manifest: mid-download,
// after the hash check, after the slot is written, after the switch, at
// the new version's first start and in its health window. After the cut
// the package's binary is restarted as systemd does, and restarted again
// each time it ends, until a start settles: it is ready (SIP up) and its
// manifest check finds nothing to do. The settled device runs v1 or v2,
// never nothing, within a few starts; the configuration is untouched; a
// download cut half way resumes (the server sends the binary's bytes
// once); and a v1 that settles says why v2 is not running.
func TestFirmwarePowerCutBinary(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		step, msg string // cut once msg is logged ("": mid-download)
		want      map[string]string
	}{
		{"download", "", nil},
		{"verify", "firmware update: verified", nil},
		{"write slot", "firmware update: written to the inactive slot", nil},
		{"switch", "firmware update: installed in the inactive slot; restarting to try it", nil},
		{"first start", "firmware: starting the slot's sipbell", map[string]string{"trial": "true"}},
		{"health window", "firmware update: trying the new firmware", nil},
	} {
		t.Run(tc.step, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			fw := newFWFixture(t)
			srv, bin2 := fw.srv, fw.bin2
			fw.publish(t, "v2.0.0", bin2, "")
			hold := make(chan struct{})
			if tc.msg == "" {
				srv.mu.Lock()
				srv.hold["/fw/sipbell-v2.0.0"] = hold
				srv.mu.Unlock()
			}
			r := fw.rig(t, "")
			cfgBefore, _ := os.ReadFile(r.cfg)
			p := r.start(t)
			switch {
			case tc.msg == "":
				<-hold // half the binary is sent: wait until it is on the device
				sum := sha256.Sum256(bin2)
				part := filepath.Join(r.state, "firmware-download", hex.EncodeToString(sum[:])+".part")
				for fi, err := os.Stat(part); err != nil || fi.Size() < int64(len(bin2)/2); fi, err = os.Stat(part) {
					select {
					case <-ctx.Done():
						t.Fatalf("%s never held half the binary: %v", part, err)
					case <-time.After(10 * time.Millisecond):
					}
				}
			case tc.step == "first start" || tc.step == "health window":
				p.awaitLine(ctx, t, "firmware update: installed in the inactive slot; restarting to try it", nil)
				p.exit(ctx, t)
				p = r.start(t)
				fallthrough
			default:
				p.awaitLine(ctx, t, tc.msg, tc.want)
			}
			p.kill(ctx, t)
			if tc.msg == "" {
				close(hold)
			}
			version, url := settle(ctx, t, r)
			st := firmwareStatus(t, url)
			t.Logf("cut at %s: settled on %s; last update %+v", tc.step, version, st.Last)
			if st.Running != version || (version != "v1.0.0" && version != "v2.0.0") {
				t.Errorf("settled on %q, status running %q: want v1.0.0 or v2.0.0", version, st.Running)
			}
			if version == "v1.0.0" && (st.Last.Phase != "failed" || st.Last.Reason == "") {
				t.Errorf("v1 runs, last update %+v: want v2's failure and why", st.Last)
			}
			if tc.msg == "" && srv.bytesSent("/fw/sipbell-v2.0.0") != len(bin2) {
				t.Errorf("server sent %d bytes of a %d-byte binary: the cut download was not resumed", srv.bytesSent("/fw/sipbell-v2.0.0"), len(bin2))
			}
			if after, _ := os.ReadFile(r.cfg); !bytes.Equal(after, cfgBefore) {
				t.Errorf("configuration changed:\n%s", after)
			}
		})
	}
}

// settle restarts the package's binary, as systemd does, until a start
// is ready and finds no update to make; it returns the version that runs
// and the admin URL. A start may only end by itself to switch versions.
func settle(ctx context.Context, t *testing.T, r *slotRig) (version, url string) {
	t.Helper()
	for starts := 1; starts <= 8; starts++ {
		p := r.start(t)
		ready, settled, switching := false, false, false
		for !(ready && settled) {
			msg, m := p.awaitAny(ctx, t, "starting", "admin web UI", "ready",
				"firmware manifest checked: no update", "firmware update: installed in the inactive slot; restarting to try it")
			switch msg {
			case "":
				if !switching {
					t.Fatalf("start %d ended without switching versions", starts)
				}
			case "starting":
				version = strings.Fields(m["version"].(string))[1]
			case "admin web UI":
				url = m["url"].(string)
			case "ready":
				ready = true
			case "firmware manifest checked: no update":
				settled = true
			default:
				switching = true
			}
			if msg == "" {
				break
			}
		}
		if ready && settled {
			return version, url
		}
	}
	t.Fatal("no start settled in 8")
	return "", ""
}
