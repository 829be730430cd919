package provisioning

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// A binary slot lives in the service's writable state dir, so its
// launcher checks it again before every start: the slot keeps the
// manifest it was installed from, as downloaded, with its minisign
// signature (the signed record), and the launcher verifies that record
// with the keys in UpdateKeysFile, a file only root can change, then the
// binary's size and sha256 against the record's file for this platform.
// A process of the service that was taken over can write the slots, but
// cannot sign for them.
const (
	// UpdateKeysFile holds the minisign public keys a Debian install's
	// firmware slots must be signed by, one per line (a minisign.pub file
	// as it is, or its RW... line). It and every directory above it must
	// be owned by root and not writable by group or others, as ssh checks
	// its key files; without it, slots are not started (and manifest
	// updates not installed). Outside /etc/sipbell, which the service
	// writes.
	UpdateKeysFile = "/etc/sipbell-update-keys"
	// slotManifest and slotManifestSig, in a slot's directory, are its
	// signed record: the manifest it was installed from, and the
	// manifest's .minisig.
	slotManifest    = "manifest.json"
	slotManifestSig = "manifest.json.minisig"
	// maxKeysFileBytes bounds UpdateKeysFile.
	maxKeysFileBytes = 64 << 10
	// recordBase resolves a record's relative file urls (only parsed).
	recordBase = "https://slot.invalid/manifest.json"
)

// ErrNoUpdateKeys is returned when the trusted update key file does not
// exist: slots are not started at all.
var ErrNoUpdateKeys = errors.New("no trusted firmware update keys")

// ErrSlotRefused wraps every reason a slot's binary is not started: no
// signed record, a bad signature, a record for another version or
// platform, a binary that does not match it, an untrustworthy key file.
var ErrSlotRefused = errors.New("firmware slot refused")

// trustedOwner is the uid the key file and its directories must have.
const trustedOwner = 0

// TrustedKeys are the update keys read from a root-owned file.
type TrustedKeys struct {
	Path string
	keys []minisignKey
}

// LoadTrustedKeys reads the minisign public keys in path after checking
// that only root can change it: the file and each directory above it
// (symbolic links resolved) owned by root, not writable by group or
// others (a sticky directory such as /tmp excepted). A missing file is
// ErrNoUpdateKeys; any other problem ErrSlotRefused.
func LoadTrustedKeys(path string) (TrustedKeys, error) {
	tk := TrustedKeys{Path: path}
	real, err := filepath.EvalSymlinks(path)
	if errors.Is(err, fs.ErrNotExist) {
		return tk, fmt.Errorf("%w: %s does not exist", ErrNoUpdateKeys, path)
	}
	if err != nil {
		return tk, fmt.Errorf("%w: update keys %s: %v", ErrSlotRefused, path, err)
	}
	if err := checkRootOnly(real); err != nil {
		return tk, fmt.Errorf("%w: update keys %s: %v", ErrSlotRefused, path, err)
	}
	b, err := readBounded(real, maxKeysFileBytes)
	if err != nil {
		return tk, fmt.Errorf("%w: update keys %s: %v", ErrSlotRefused, path, err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") || strings.HasPrefix(l, "untrusted comment:") {
			continue
		}
		k, err := parseMinisignKey(l)
		if err != nil {
			return tk, fmt.Errorf("%w: update keys %s: %v", ErrSlotRefused, path, err)
		}
		tk.keys = append(tk.keys, k)
	}
	if len(tk.keys) == 0 {
		return tk, fmt.Errorf("%w: update keys %s: no key in it", ErrSlotRefused, path)
	}
	return tk, nil
}

// checkRootOnly fails unless path (a regular file) and every directory
// above it are owned by root and writable by nobody else.
func checkRootOnly(path string) error {
	for p, first := path, true; ; p, first = filepath.Dir(p), false {
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		switch {
		case !ok:
			return fmt.Errorf("%s: no owner to check", p)
		case first && !fi.Mode().IsRegular():
			return fmt.Errorf("%s is not a regular file", p)
		case st.Uid != trustedOwner:
			return fmt.Errorf("%s is owned by uid %d, not root", p, st.Uid)
		case fi.Mode().Perm()&0o022 != 0 && (first || fi.Mode()&fs.ModeSticky == 0):
			return fmt.Errorf("%s is writable by group or others (mode %04o)", p, fi.Mode().Perm())
		}
		if filepath.Dir(p) == p {
			return nil
		}
	}
}

// readBounded reads path, failing when it is larger than limit.
func readBounded(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err == nil && int64(len(b)) > limit {
		err = fmt.Errorf("%s: larger than %d bytes", path, limit)
	}
	return b, err
}

// VerifySlot checks slot's binary against its signed record: the
// manifest signed by one of keys, for the version the slot says it holds,
// with a file for platform whose size and sha256 are the binary's.
func (s *BinarySlots) VerifySlot(slot, platform string, keys TrustedKeys) error {
	dir := filepath.Join(s.Dir, slot)
	body, err := readBounded(filepath.Join(dir, slotManifest), MaxManifestBytes)
	if err != nil {
		return fmt.Errorf("%w: slot %s has no signed record: %v", ErrSlotRefused, slot, err)
	}
	sig, err := readBounded(filepath.Join(dir, slotManifestSig), maxSignatureSize)
	if err != nil {
		return fmt.Errorf("%w: slot %s has no signed record: %v", ErrSlotRefused, slot, err)
	}
	if _, err := verifyMinisign(keys.keys, body, sig); err != nil {
		return fmt.Errorf("%w: slot %s: record not signed by a key in %s: %w", ErrSlotRefused, slot, keys.Path, err)
	}
	m, err := ParseManifest(body, recordBase)
	if err != nil {
		return fmt.Errorf("%w: slot %s: record: %w", ErrSlotRefused, slot, err)
	}
	if v := s.SlotVersion(slot); m.Version != v {
		return fmt.Errorf("%w: slot %s holds %q, its record is for %s", ErrSlotRefused, slot, v, m.Version)
	}
	f, ok := m.Files[platform]
	if !ok {
		return fmt.Errorf("%w: slot %s: its record (%s) has no file for %s", ErrSlotRefused, slot, m.Version, platform)
	}
	return checkSlotBinary(filepath.Join(dir, "sipbell"), slot, f)
}

// checkSlotBinary compares the binary at path with the record's file.
func checkSlotBinary(path, slot string, f ManifestFile) error {
	in, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("%w: slot %s: %v", ErrSlotRefused, slot, err)
	}
	defer in.Close()
	h := sha256.New()
	n, err := io.Copy(h, io.LimitReader(in, f.Size+1))
	if err != nil {
		return fmt.Errorf("%w: slot %s: %v", ErrSlotRefused, slot, err)
	}
	if n != f.Size {
		return fmt.Errorf("%w: slot %s: the binary is not the %d bytes its record says", ErrSlotRefused, slot, f.Size)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != f.SHA256 {
		return fmt.Errorf("%w: slot %s: the binary's sha256 is %s, its record says %s", ErrSlotRefused, slot, got, f.SHA256)
	}
	return nil
}

// WriteInactiveSigned writes the binary with its signed record (the
// manifest and its .minisig as downloaded) to the slot not running, after
// checking that the launcher will accept them: signed by a key in the
// trusted key file, for this version and platform. The version file,
// written last, makes the slot complete.
func (s *BinarySlots) WriteInactiveSigned(_ context.Context, version string, image, manifest, sig []byte) error {
	keys, err := LoadTrustedKeys(s.keysFile())
	if err != nil {
		return fmt.Errorf("%w: manifest updates on this install need the update keys installed: %w", ErrBoot, err)
	}
	slot := s.inactive()
	dir := filepath.Join(s.Dir, slot)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrBoot, dir, err)
	}
	os.Remove(filepath.Join(dir, "version")) // no version: the slot is not run
	for _, f := range []struct {
		name string
		b    []byte
		mode os.FileMode
	}{{"sipbell", image, 0o700}, {slotManifest, manifest, 0o600}, {slotManifestSig, sig, 0o600}, {"version", []byte(version + "\n"), 0o600}} {
		if err := WriteFileAtomic(filepath.Join(dir, f.name), f.b, f.mode); err != nil {
			return fmt.Errorf("%w: %s: %v", ErrBoot, dir, err)
		}
	}
	if err := syncDir(dir); err != nil {
		return err
	}
	if err := s.VerifySlot(slot, s.Platform, keys); err != nil {
		os.Remove(filepath.Join(dir, "version"))
		return fmt.Errorf("%w: %w", ErrBoot, err)
	}
	return nil
}

// keysFile is the trusted key file (UpdateKeysFile unless set).
func (s *BinarySlots) keysFile() string {
	if s.KeysFile == "" {
		return UpdateKeysFile
	}
	return s.KeysFile
}

// checkLaunch verifies the slot Launch chose. A missing key file stops
// the launch and leaves the slots as they are; any other refusal also
// marks the slot bad (refuseSlot), so the next start does not try it.
func (s *BinarySlots) checkLaunch(stateDir, slot string) error {
	keys, err := LoadTrustedKeys(s.keysFile())
	if errors.Is(err, ErrNoUpdateKeys) {
		return err
	}
	if err == nil {
		err = s.VerifySlot(slot, s.Platform, keys)
	}
	if err == nil {
		return nil
	}
	if rerr := s.refuseSlot(stateDir, slot, err); rerr != nil {
		return fmt.Errorf("%w (and not rolled back: %v)", err, rerr)
	}
	return err
}

// refuseSlot marks a refused slot bad: the update it holds failed (a
// trial keeps its phase, so the version run next records the rollback),
// and current goes back to the previous slot, or to the package's binary
// when that is the refused slot too.
func (s *BinarySlots) refuseSlot(stateDir, slot string, why error) error {
	st, err := LoadFirmwareState(stateDir)
	if err == nil && st.Version == s.SlotVersion(slot) && (st.Phase == PhaseTrial || st.Phase == PhaseInstalled) {
		st.Reason = fmt.Sprintf("the launcher refused slot %s: %v", slot, why)
		if st.Phase == PhaseInstalled {
			st.Phase = PhaseFailed
		}
		if err := SaveFirmwareState(stateDir, st); err != nil {
			return err
		}
	}
	if prev := s.link("previous"); prev == "" || prev == packageSlot || prev == slot {
		if err := os.Remove(filepath.Join(s.Dir, "current")); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%w: %v", ErrBoot, err)
		}
		return syncDir(s.Dir)
	}
	return s.rollBack()
}
