package provisioning

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// TestCheckManifest serves manifests signed with the real minisign CLI to
// an updater with fake (gokrazy) slots: a signed one offering a newer
// image for this platform is downloaded, hash-checked, written and tried;
// an unsigned, wrongly signed or altered manifest, and a download whose
// sha256 differs, are refused with the reason in the status and history
// and nothing written; a call postpones the check.
func TestCheckManifest(t *testing.T) {
	t.Parallel()
	key, stranger := newMinisignPair(t, "release"), newMinisignPair(t, "stranger")
	const image = "a squashfs root, version v2.0.0\n"
	sum := sha256.Sum256([]byte(image))
	manifest := func(sha string) string {
		return fmt.Sprintf(`{"version": "v2.0.0", "files": {"gokrazy/arm64": {"url": "root.img", "sha256": %q, "size": %d}}}`, sha, len(image))
	}
	good := manifest(hex.EncodeToString(sum[:]))
	for _, tc := range []struct {
		name    string
		files   map[string]string
		busy    bool
		wantErr string // "" means installed
	}{
		{name: "signed", files: map[string]string{"/m.json": good, "/m.json.minisig": key.sign(t, good)}},
		{name: "unsigned", files: map[string]string{"/m.json": good}, wantErr: "is not signed"},
		{name: "wrong key", files: map[string]string{"/m.json": good, "/m.json.minisig": stranger.sign(t, good)}, wantErr: "not pinned"},
		{name: "altered manifest", files: map[string]string{"/m.json": strings.Replace(good, "v2.0.0", "v9.0.0", 1), "/m.json.minisig": key.sign(t, good)}, wantErr: "does not match the file"},
		{name: "corrupt download", files: map[string]string{"/m.json": manifest(testSHA), "/m.json.minisig": key.sign(t, manifest(testSHA))}, wantErr: "the manifest says " + testSHA},
		{name: "call up", busy: true, files: map[string]string{"/m.json": good, "/m.json.minisig": key.sign(t, good)}, wantErr: ErrBusy.Error()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.files["/root.img"] = image
			srv := fileServer(t, tc.files)
			slots := &fakeSlots{}
			u, hist := newTestUpdater(t, slots, nil)
			u.o.Platform, u.o.Busy = "gokrazy/arm64", func() bool { return tc.busy }
			cfg := Config{SigningKeys: []string{key.pubLine}, Firmware: FirmwareConfig{Manifest: srv.URL + "/m.json"}}
			err := u.CheckManifest(context.Background(), cfg)
			st := u.Status()
			if tc.wantErr == "" {
				if err != nil || string(slots.written) != image || slots.tries != 1 || slots.boots != 1 || st.Last.Phase != PhaseTrial || st.Last.Version != "v2.0.0" {
					t.Fatalf("err %v, written %q, tries %d, reboots %d, state %+v: want the image tried", err, slots.written, slots.tries, slots.boots, st.Last)
				}
				if len(*hist) != 1 || !strings.Contains((*hist)[0], "signed by key "+key.id) {
					t.Errorf("history %q, want the install with the key", *hist)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(st.LastCheck.Result, tc.wantErr) {
				t.Fatalf("err %v, last check %+v: want %q", err, st.LastCheck, tc.wantErr)
			}
			if tc.busy && !errors.Is(err, ErrBusy) {
				t.Errorf("err %v, want ErrBusy", err)
			}
			if slots.written != nil || slots.boots != 0 {
				t.Errorf("refused firmware written (%d bytes) or restarted (%d)", len(slots.written), slots.boots)
			}
			if tc.busy {
				if len(*hist) != 0 {
					t.Errorf("history %q, want nothing for a postponed check", *hist)
				}
				return
			}
			if len(*hist) != 1 || !strings.Contains((*hist)[0], tc.wantErr) {
				t.Errorf("history %q, want the refusal", *hist)
			}
			u.CheckManifest(context.Background(), cfg)
			if len(*hist) != 1 {
				t.Errorf("history after a second check %q, want the refusal once", *hist)
			}
		})
	}
}
