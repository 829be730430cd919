package provisioning

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// requireRoot: the trusted key file must be root's; in CI not being root
// fails the test.
func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() == 0 {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("needs root (the trusted update key file is owned by root)")
	}
	t.Skip("needs root (the trusted update key file is owned by root)")
}

// trustedKeyFile installs k's public key as a root-owned key file the
// way a user would (minisign.pub copied as it is, mode 0644).
func trustedKeyFile(t *testing.T, k minisignPair) string {
	t.Helper()
	requireRoot(t)
	dir := filepath.Join(t.TempDir(), "etc")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	pub, err := os.ReadFile(k.pub)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "sipbell-update-keys")
	if err := os.WriteFile(path, pub, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// slotManifestFor is a manifest offering bin as version for platform.
func slotManifestFor(version, platform string, bin []byte) string {
	sum := sha256.Sum256(bin)
	return fmt.Sprintf(`{"version": %q, "files": {%q: {"url": "sipbell", "sha256": %q, "size": %d}}}`,
		version, platform, hex.EncodeToString(sum[:]), len(bin))
}

// TestBinarySlotsVerify: the launcher starts a slot only when its binary
// matches the signed record kept with it, signed by a key in the trusted
// key file, which only root can change. Every refusal runs the package's
// binary, names the reason and marks the slot bad (current no longer
// points at it, the update failed); without a key file nothing starts and
// the slots are left as they are.
func TestBinarySlotsVerify(t *testing.T) {
	t.Parallel()
	key, stranger := newMinisignPair(t, "release"), newMinisignPair(t, "stranger")
	const plat = "linux/arm64"
	bin := []byte("#!/bin/sh\necho v2\n")
	good := slotManifestFor("v2.0.0", plat, bin)
	v3 := slotManifestFor("v3.0.0", plat, []byte("#!/bin/sh\necho v3\n"))
	other := slotManifestFor("v2.0.0", "linux/armv6", bin)
	write := func(name, body string) func(t *testing.T, slot, keys string) {
		return func(t *testing.T, slot, _ string) {
			if err := os.WriteFile(filepath.Join(slot, name), []byte(body), 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, tc := range []struct {
		name   string
		change func(t *testing.T, slot, keys string)
		want   string // "" means started
	}{
		{"good", func(*testing.T, string, string) {}, ""},
		{"tampered byte", write("sipbell", "#!/bin/sh\necho v3\n"), "the binary's sha256 is"},
		{"longer binary", write("sipbell", string(bin)+"x"), "not the 18 bytes its record says"},
		{"record of another version", func(t *testing.T, slot, keys string) {
			write(slotManifest, v3)(t, slot, keys)
			write(slotManifestSig, key.sign(t, v3))(t, slot, keys)
		}, `holds "v2.0.0", its record is for v3.0.0`},
		{"record for another platform", func(t *testing.T, slot, keys string) {
			write(slotManifest, other)(t, slot, keys)
			write(slotManifestSig, key.sign(t, other))(t, slot, keys)
		}, "has no file for linux/arm64"},
		{"signed by another key", write(slotManifestSig, stranger.sign(t, good)), "which is not pinned"},
		{"record altered", write(slotManifest, strings.Replace(good, `"url": "sipbell"`, `"url": "x"`, 1)), "does not match the file"},
		{"missing record", func(t *testing.T, slot, _ string) { os.Remove(filepath.Join(slot, slotManifest)) }, "has no signed record"},
		{"missing signature", func(t *testing.T, slot, _ string) { os.Remove(filepath.Join(slot, slotManifestSig)) }, "has no signed record"},
		{"key file group-writable", func(t *testing.T, _, keys string) { os.Chmod(keys, 0o664) }, "writable by group or others (mode 0664)"},
		{"key dir writable by others", func(t *testing.T, _, keys string) { os.Chmod(filepath.Dir(keys), 0o777) }, "writable by group or others (mode 0777)"},
		{"key file not root's", func(t *testing.T, _, keys string) { os.Chown(keys, 997, 997) }, "owned by uid 997, not root"},
		{"key file without a key", func(t *testing.T, _, keys string) { os.WriteFile(keys, []byte("# none\n"), 0o644) }, "no key in it"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			state := t.TempDir()
			s := NewBinarySlots(state, nil)
			s.KeysFile, s.Platform = trustedKeyFile(t, key), plat
			must(t, os.MkdirAll(s.Dir, 0o700))
			must(t, s.WriteInactiveSigned(context.Background(), "v2.0.0", bin, []byte(good), []byte(key.sign(t, good))))
			must(t, s.TryInactive())
			must(t, SaveFirmwareState(state, FirmwareState{Phase: PhaseInstalled, Version: "v2.0.0", From: "v1.0.0"}))
			tc.change(t, filepath.Join(s.Dir, "a"), s.KeysFile)
			path, _, err := s.Launch(state, "v1.0.0", time.Unix(0, 0))
			st, _ := LoadFirmwareState(state)
			if tc.want == "" {
				if err != nil || path != filepath.Join(s.Dir, "a", "sipbell") || st.Phase != PhaseInstalled {
					t.Fatalf("Launch %q %v, state %+v: want slot a started", path, err, st)
				}
				return
			}
			if path != "" || !errors.Is(err, ErrSlotRefused) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Launch %q %v: want refused, %q", path, err, tc.want)
			}
			if got := s.link("current"); got != "" {
				t.Errorf("current -> %q after the refusal, want none (the package's binary)", got)
			}
			if st.Phase != PhaseFailed || !strings.Contains(st.Reason, "the launcher refused slot a") {
				t.Errorf("state %+v, want v2.0.0 failed with the refusal", st)
			}
			if path, _, err := s.Launch(state, "v1.0.0", time.Unix(0, 0)); path != "" || err != nil {
				t.Errorf("the next start: %q %v, want the package's binary without trying the slot again", path, err)
			}
		})
	}
}

// TestBinarySlotsNoKeyFile: without the trusted key file no slot starts,
// the slots are left as they are for when the key is installed, and an
// update is not installed (its manifest could not be checked again).
func TestBinarySlotsNoKeyFile(t *testing.T) {
	t.Parallel()
	key := newMinisignPair(t, "release")
	state := t.TempDir()
	s := NewBinarySlots(state, nil)
	keys := trustedKeyFile(t, key)
	s.KeysFile, s.Platform = keys, "linux/arm64"
	bin := []byte("#!/bin/sh\n")
	good := slotManifestFor("v2.0.0", s.Platform, bin)
	must(t, os.MkdirAll(s.Dir, 0o700))
	must(t, s.WriteInactiveSigned(context.Background(), "v2.0.0", bin, []byte(good), []byte(key.sign(t, good))))
	must(t, s.TryInactive())
	must(t, os.Remove(keys))
	path, _, err := s.Launch(state, "v1.0.0", time.Unix(0, 0))
	if path != "" || !errors.Is(err, ErrNoUpdateKeys) {
		t.Errorf("Launch %q %v, want nothing started for lack of keys", path, err)
	}
	if got := s.link("current"); got != "a" {
		t.Errorf("current -> %q, want a kept", got)
	}
	err = s.WriteInactiveSigned(context.Background(), "v3.0.0", bin, []byte(good), []byte(key.sign(t, good)))
	if !errors.Is(err, ErrNoUpdateKeys) || s.SlotVersion("b") != "" {
		t.Errorf("WriteInactiveSigned without keys: %v, slot b %q: want refused, nothing written", err, s.SlotVersion("b"))
	}
}

// TestWriteInactiveSignedRefused: an update whose manifest the launcher
// would refuse (signed by a key pinned in the configuration only, or for
// another version) is not left in a slot to be started.
func TestWriteInactiveSignedRefused(t *testing.T) {
	t.Parallel()
	key, configOnly := newMinisignPair(t, "release"), newMinisignPair(t, "config")
	bin := []byte("#!/bin/sh\n")
	good := slotManifestFor("v2.0.0", "linux/arm64", bin)
	for _, tc := range []struct{ name, version, sig, want string }{
		{"key not trusted", "v2.0.0", configOnly.sign(t, good), "not pinned"},
		{"other version", "v3.0.0", key.sign(t, good), "its record is for v2.0.0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := NewBinarySlots(t.TempDir(), nil)
			s.KeysFile, s.Platform = trustedKeyFile(t, key), "linux/arm64"
			err := s.WriteInactiveSigned(context.Background(), tc.version, bin, []byte(good), []byte(tc.sig))
			if err == nil || !strings.Contains(err.Error(), tc.want) || s.SlotVersion("a") != "" {
				t.Errorf("err %v, slot a %q: want %q and no complete slot", err, s.SlotVersion("a"), tc.want)
			}
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
