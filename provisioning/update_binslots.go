package provisioning

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// A Debian install updates its sipbell binary in two slots under the
// state dir (ProtectSystem=strict leaves /usr read-only to the service):
//
//	firmware-slots/a/sipbell, a/version, a/manifest.json{,.minisig}
//	firmware-slots/b/sipbell, b/version, b/manifest.json{,.minisig}
//	firmware-slots/current  -> a   (the slot to run; none: the package's binary)
//	firmware-slots/previous -> b   (what a rollback goes back to; "package": none)
//
// The unit starts the package's /usr/bin/sipbell, which (Launch) counts a
// trial's starts, rolls back when due, and executes the current slot's
// binary when it is newer than itself and matches the signed record kept
// with it (update_binslots_verify.go). Links are switched by rename(2),
// so a power cut leaves the old link or the new one, never none.
const (
	// SlotsDir, in the state dir, holds the binary slots.
	SlotsDir = "firmware-slots"
	// SlotEnv is set to the slot's name in the environment of a sipbell
	// started from a slot, so it does not launch again.
	SlotEnv = "SIPBELL_SLOT"
	// SlotTrialEnv is set to 1 when that start tries a new version.
	SlotTrialEnv = "SIPBELL_SLOT_TRIAL"
	// packageSlot names the package's own binary as a previous slot.
	packageSlot = "package"
)

// BinarySlots is the pair of sipbell binaries of a Debian install
// (BootSlots, with Restart standing in for a reboot).
type BinarySlots struct {
	Dir      string       // state dir + SlotsDir
	Restart  func() error // ends the process; systemd starts it again
	KeysFile string       // the trusted update keys; "": UpdateKeysFile
	Platform string       // this binary's ManifestPlatform
}

// NewBinarySlots returns the slots in stateDir.
func NewBinarySlots(stateDir string, restart func() error) *BinarySlots {
	return &BinarySlots{Dir: filepath.Join(stateDir, SlotsDir), Restart: restart}
}

// link reads the slot name a link points at ("" when there is none).
func (s *BinarySlots) link(name string) string {
	t, err := os.Readlink(filepath.Join(s.Dir, name))
	if err != nil {
		return ""
	}
	return t
}

// setLink points name at target atomically (a new link renamed over it).
func (s *BinarySlots) setLink(name, target string) error {
	tmp := filepath.Join(s.Dir, name+".new")
	os.Remove(tmp)
	if err := os.Symlink(target, tmp); err != nil {
		return fmt.Errorf("%w: link %s: %v", ErrBoot, name, err)
	}
	if err := os.Rename(tmp, filepath.Join(s.Dir, name)); err != nil {
		return fmt.Errorf("%w: link %s: %v", ErrBoot, name, err)
	}
	return syncDir(s.Dir)
}

// inactive is the slot not running: the one current does not name.
func (s *BinarySlots) inactive() string {
	if s.link("current") == "a" {
		return "b"
	}
	return "a"
}

// SlotVersion is the version written with slot's binary ("" if none).
func (s *BinarySlots) SlotVersion(slot string) string {
	b, err := os.ReadFile(filepath.Join(s.Dir, slot, "version"))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// WriteInactive writes the binary, and its version, to the slot not
// running; a power cut leaves the slot's old files or the new ones.
func (s *BinarySlots) WriteInactive(_ context.Context, version string, image []byte) error {
	dir := filepath.Join(s.Dir, s.inactive())
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrBoot, dir, err)
	}
	os.Remove(filepath.Join(dir, "version")) // no version: the slot is not run
	if err := WriteFileAtomic(filepath.Join(dir, "sipbell"), image, 0o700); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrBoot, dir, err)
	}
	if err := WriteFileAtomic(filepath.Join(dir, "version"), []byte(version+"\n"), 0o600); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrBoot, dir, err)
	}
	return syncDir(dir)
}

// TryInactive makes the written slot current, remembering the running
// one as previous.
func (s *BinarySlots) TryInactive() error {
	cur, next := s.link("current"), s.inactive()
	if cur == "" {
		cur = packageSlot
	}
	if err := s.setLink("previous", cur); err != nil {
		return err
	}
	return s.setLink("current", next)
}

// Trial reports whether this process was started to try a new version.
func (s *BinarySlots) Trial() (bool, error) { return os.Getenv(SlotTrialEnv) == "1", nil }

// Commit keeps the current slot: nothing to change, the link is set.
func (s *BinarySlots) Commit() error { return nil }

// Reboot restarts sipbell: its launcher then starts what the slots and
// the firmware state say.
func (s *BinarySlots) Reboot() error { return s.Restart() }

// rollBack makes the previous slot current again.
func (s *BinarySlots) rollBack() error {
	prev := s.link("previous")
	if prev == "" || prev == packageSlot {
		if err := os.Remove(filepath.Join(s.Dir, "current")); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%w: %v", ErrBoot, err)
		}
		return syncDir(s.Dir)
	}
	return s.setLink("current", prev)
}

// Launch decides what the package's binary (version self) starts: the
// current slot's binary (path, and whether that start is a trial), or
// itself (path ""). A trial's starts are counted; past MaxTrialStarts, or
// once the trial is marked failed, the previous slot is made current
// again. A slot no newer than self (apt installed a newer package) is
// not run. The slot chosen is checked against its signed record first:
// without the trusted key file, nothing is started (ErrNoUpdateKeys); a
// slot refused (ErrSlotRefused) is marked bad and the package's binary
// runs.
func (s *BinarySlots) Launch(stateDir, self string, now time.Time) (path string, trial bool, err error) {
	path, trial, err = s.choose(stateDir, self, now)
	if err != nil || path == "" {
		return path, trial, err
	}
	if err := s.checkLaunch(stateDir, filepath.Base(filepath.Dir(path))); err != nil {
		return "", false, err
	}
	return path, trial, nil
}

// choose is Launch's decision, before the slot's check.
func (s *BinarySlots) choose(stateDir, self string, now time.Time) (path string, trial bool, err error) {
	cur := s.link("current")
	if cur == "" {
		return "", false, nil
	}
	st, err := LoadFirmwareState(stateDir)
	if err != nil {
		return "", false, err
	}
	curVer := s.SlotVersion(cur)
	switch {
	case st.Phase == PhaseTrial && curVer == st.Version:
		st.Starts++
		st.Time = now.UTC()
		if st.Starts <= MaxTrialStarts {
			if err := SaveFirmwareState(stateDir, st); err != nil {
				return "", false, err
			}
			return filepath.Join(s.Dir, cur, "sipbell"), true, nil
		}
		// Still a trial: the previous version, started next, records it.
		st.Reason = fmt.Sprintf("sipbell %s did not start healthy (%d starts on its trial)", st.Version, MaxTrialStarts)
		if err := SaveFirmwareState(stateDir, st); err != nil {
			return "", false, err
		}
		if err := s.rollBack(); err != nil {
			return "", false, err
		}
	case st.Phase == PhaseFailed && curVer == st.Version:
		if err := s.rollBack(); err != nil {
			return "", false, err
		}
	}
	cur = s.link("current")
	if cur == "" || CompareVersions(s.SlotVersion(cur), self) <= 0 {
		return "", false, nil
	}
	return filepath.Join(s.Dir, cur, "sipbell"), false, nil
}

// ExecFailed is called when the current slot's binary could not be
// executed: a trial is marked failed with err (the running version, next,
// records the rollback) and the previous slot is made current again.
func (s *BinarySlots) ExecFailed(stateDir string, err error) error {
	st, lerr := LoadFirmwareState(stateDir)
	if lerr != nil {
		return lerr
	}
	if st.Phase == PhaseTrial {
		st.Reason = fmt.Sprintf("sipbell %s could not be started: %v", st.Version, err)
		if err := SaveFirmwareState(stateDir, st); err != nil {
			return err
		}
	}
	return s.rollBack()
}
