package main

import (
	"bytes"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sipbell/sipbell/provisioning"
)

// fakeSys is a boot that is (or is not) a firmware trial; it counts
// reboots.
type fakeSys struct {
	trial   bool
	reboots int
}

func (f *fakeSys) Trial() (bool, error) { return f.trial, nil }
func (f *fakeSys) Reboot() error        { f.reboots++; return nil }

// TestTrialStartsBounded: on the boot trying a new firmware, the launcher
// starts sipbell MaxTrialStarts times, then reboots into the previous
// firmware instead, with the reason in the firmware state; on any other
// boot it never counts nor reboots.
func TestTrialStartsBounded(t *testing.T) {
	for _, tt := range []struct {
		name        string
		trial       bool
		phase       string
		wantExecs   int
		wantReboots int
	}{
		{"trial boot, update being tried", true, provisioning.PhaseTrial, provisioning.MaxTrialStarts, 1},
		{"ordinary boot, update being tried", false, provisioning.PhaseTrial, provisioning.MaxTrialStarts + 3, 0},
		{"trial flag, nothing being tried", true, provisioning.PhaseInstalled, provisioning.MaxTrialStarts + 3, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			seed := filepath.Join(dir, "image.yaml")
			write(t, seed, "sip: {}\n")
			live := filepath.Join(dir, "perm", "sipbell.yaml")
			if _, err := Seed(seed, live); err != nil {
				t.Fatal(err)
			}
			if err := provisioning.SaveFirmwareState(filepath.Dir(live), provisioning.FirmwareState{Phase: tt.phase, Version: "v2"}); err != nil {
				t.Fatal(err)
			}
			sys := &fakeSys{trial: tt.trial}
			execs := 0
			fake := func(string, []string, []string) error { execs++; return errors.New("fake exec") }
			for range provisioning.MaxTrialStarts + 3 {
				var stderr bytes.Buffer
				run([]string{"-seed", seed, "-config", live}, &stderr, fake, sys)
				if sys.reboots > 0 {
					if !strings.Contains(stderr.String(), "rebooting into the previous firmware") {
						t.Errorf("reboot without saying why: %s", stderr.String())
					}
					break
				}
			}
			if execs != tt.wantExecs || sys.reboots != tt.wantReboots {
				t.Errorf("%d starts and %d reboots, want %d and %d", execs, sys.reboots, tt.wantExecs, tt.wantReboots)
			}
			st, err := provisioning.LoadFirmwareState(filepath.Dir(live))
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantReboots > 0 && !strings.Contains(st.Reason, "did not start") {
				t.Errorf("state reason %q, want why it was rolled back", st.Reason)
			}
		})
	}
}
