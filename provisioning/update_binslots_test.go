package provisioning

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestBinarySlotsLaunch walks the package binary's launcher through an
// update: none yet (itself), a trial (counted, the new slot), a trial past
// MaxTrialStarts or marked failed (back to the previous), a kept version
// (the slot), and a package newer than the slot (itself).
func TestBinarySlotsLaunch(t *testing.T) {
	t.Parallel()
	key := newMinisignPair(t, "release")
	bin := []byte("#!/bin/sh\n")
	v2 := slotManifestFor("v2.0.0", "linux/arm64", bin)
	sig := key.sign(t, v2)
	for _, tc := range []struct {
		name       string
		phase      string // firmware state after the install of v2
		starts     int
		self       string
		wantSlot   bool // the slot's v2 is started
		wantTrial  bool
		wantActive string // current link after Launch
	}{
		{"trial", PhaseTrial, 0, "v1.0.0", true, true, "a"},
		{"last trial start", PhaseTrial, MaxTrialStarts - 1, "v1.0.0", true, true, "a"},
		{"trial starts used up", PhaseTrial, MaxTrialStarts, "v1.0.0", false, false, ""},
		{"failed health check", PhaseFailed, 0, "v1.0.0", false, false, ""},
		{"kept", PhaseInstalled, 0, "v1.0.0", true, false, "a"},
		{"newer package", PhaseInstalled, 0, "v3.0.0", false, false, "a"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			state := t.TempDir()
			s := NewBinarySlots(state, nil)
			s.KeysFile, s.Platform = trustedKeyFile(t, key), "linux/arm64"
			must(t, os.MkdirAll(s.Dir, 0o700))
			must(t, s.WriteInactiveSigned(context.Background(), "v2.0.0", bin, []byte(v2), []byte(sig)))
			must(t, s.TryInactive())
			must(t, SaveFirmwareState(state, FirmwareState{Phase: tc.phase, Version: "v2.0.0", From: "v1.0.0", Starts: tc.starts}))
			path, trial, err := s.Launch(state, tc.self, time.Unix(0, 0))
			must(t, err)
			if want := filepath.Join(s.Dir, "a", "sipbell"); tc.wantSlot && path != want || !tc.wantSlot && path != "" {
				t.Errorf("Launch path %q, want slot %v", path, tc.wantSlot)
			}
			if trial != tc.wantTrial {
				t.Errorf("trial %v, want %v", trial, tc.wantTrial)
			}
			if got := s.link("current"); got != tc.wantActive {
				t.Errorf("current -> %q, want %q", got, tc.wantActive)
			}
			st, _ := LoadFirmwareState(state)
			if tc.phase == PhaseTrial && st.Starts != tc.starts+1 {
				t.Errorf("starts %d, want %d counted", st.Starts, tc.starts+1)
			}
		})
	}
}

// TestBinarySlotsAlternate: the second update goes to the other slot and
// a rollback returns to the first, not to the package's binary.
func TestBinarySlotsAlternate(t *testing.T) {
	t.Parallel()
	key := newMinisignPair(t, "release")
	state := t.TempDir()
	s := NewBinarySlots(state, nil)
	s.KeysFile, s.Platform = trustedKeyFile(t, key), "linux/arm64"
	os.MkdirAll(s.Dir, 0o700)
	for _, v := range []string{"v2.0.0", "v3.0.0"} {
		m := slotManifestFor(v, s.Platform, []byte(v))
		if err := s.WriteInactiveSigned(context.Background(), v, []byte(v), []byte(m), []byte(key.sign(t, m))); err != nil {
			t.Fatal(err)
		}
		if err := s.TryInactive(); err != nil {
			t.Fatal(err)
		}
	}
	if s.link("current") != "b" || s.link("previous") != "a" || s.SlotVersion("b") != "v3.0.0" {
		t.Fatalf("current %q previous %q: want b (v3) after a", s.link("current"), s.link("previous"))
	}
	SaveFirmwareState(state, FirmwareState{Phase: PhaseFailed, Version: "v3.0.0"})
	path, _, err := s.Launch(state, "v1.0.0", time.Unix(0, 0))
	if err != nil || path != filepath.Join(s.Dir, "a", "sipbell") {
		t.Errorf("after v3 failed: %q %v, want slot a (v2)", path, err)
	}
}
