package provisioning

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"
)

// ManifestCheck is the outcome of the last manifest check, for the
// status.
type ManifestCheck struct {
	Time   time.Time `json:"time"`
	Result string    `json:"result"`
}

// CheckManifest checks the signed manifest cfg.Firmware.Manifest names and
// installs the firmware it offers this device (Manifest.Pick): download
// (resumed), size and sha256 checked, into the inactive slot, then a
// trial start (Finish keeps or rolls back). It returns nil when there is
// nothing to do (ErrNoUpdate is only reported in the status), ErrBusy
// during a call, ErrFirmwareFetch for a failure worth trying again.
// A version refused, failed or rolled back is not tried again.
func (u *Updater) CheckManifest(ctx context.Context, cfg Config) error {
	murl := cfg.Firmware.Manifest
	if murl == "" {
		return nil
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	err := u.checkManifest(ctx, cfg, murl)
	result := "ok"
	if err != nil {
		result = err.Error()
	}
	u.last = ManifestCheck{Time: u.o.Now().UTC(), Result: result}
	if errors.Is(err, ErrNoUpdate) {
		u.o.Log.Info("firmware manifest checked: no update", "manifest", murl, "reason", err)
		return nil
	}
	return err
}

func (u *Updater) checkManifest(ctx context.Context, cfg Config, murl string) error {
	if u.o.Slots == nil {
		return fmt.Errorf("%w: this install cannot switch firmware (no slots)", ErrFirmware)
	}
	if u.o.Busy != nil && u.o.Busy() {
		return ErrBusy
	}
	keys, err := parseMinisignKeys(cfg.SigningKeys)
	if err != nil || len(keys) == 0 {
		return fmt.Errorf("%w: no usable signing key pinned (provisioning.signing_keys): %v", ErrFirmware, err)
	}
	body, err := u.get(ctx, murl, MaxManifestBytes)
	if errors.Is(err, errNotFound) {
		return fmt.Errorf("%w: %w: manifest %s: %v", ErrFirmware, ErrFirmwareFetch, murl, err)
	}
	if err != nil {
		return err
	}
	sig, err := u.get(ctx, murl+".minisig", maxSignatureSize)
	if errors.Is(err, errNotFound) {
		return u.refuseManifest(fmt.Errorf("%w: manifest %s is not signed (%s.minisig: %v)", ErrFirmware, murl, murl, err))
	}
	if err != nil {
		return err
	}
	by, err := verifyMinisign(keys, body, sig)
	if err != nil {
		return u.refuseManifest(fmt.Errorf("%w: manifest %s: %w", ErrFirmware, murl, err))
	}
	m, err := ParseManifest(body, murl)
	if err != nil {
		return u.refuseManifest(fmt.Errorf("%w: %w", ErrFirmware, err))
	}
	f, err := m.Pick(u.o.Version, u.o.Platform, u.o.DeviceID)
	if err != nil {
		return err
	}
	fw := FirmwareConfig{URL: f.URL, Version: m.Version}
	if st := u.st; st.Version == fw.Version && st.URL == fw.URL && st.Phase != PhaseInstalled {
		return fmt.Errorf("%w: %s was %s before (%s); not tried again", ErrNoUpdate, fw.Version, st.Phase, st.Reason)
	}
	u.o.Log.Info("firmware update: downloading", "version", m.Version, "url", f.URL, "bytes", f.Size, "manifest_signed_by", by.KeyID)
	path, err := downloadFile(ctx, u.o.Client, filepath.Join(u.o.StateDir, DownloadDir), f)
	if errors.Is(err, ErrFirmwareFetch) {
		return err
	}
	if err != nil {
		return u.refuse(PhaseRefused, fw, err)
	}
	image, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("%w: %w: %v", ErrFirmware, ErrFirmwareFetch, err)
	}
	u.o.Log.Info("firmware update: verified", "version", m.Version, "sha256", f.SHA256)
	err = u.install(ctx, fw, image, by.KeyID, &slotRecord{manifest: body, sig: sig})
	os.Remove(path)
	return err
}

// refuseManifest records a refused manifest in the history, once while
// the same refusal repeats (callers hold mu).
func (u *Updater) refuseManifest(err error) error {
	if err.Error() != u.last.Result {
		u.record(fmt.Sprintf("firmware manifest refused: %v", err))
	}
	return err
}

// slotRecord is a signed manifest as downloaded, kept with the slot
// installed from it.
type slotRecord struct{ manifest, sig []byte }

// SignedSlots are slots that keep the signed manifest with the binary
// they hold, for their launcher to check again (BinarySlots).
type SignedSlots interface {
	WriteInactiveSigned(ctx context.Context, version string, image, manifest, sig []byte) error
}

// install writes a verified image (with rec, its signed manifest, when
// there is one) to the inactive slot, saves the trial state, switches to
// the slot for one try, and restarts into it (callers hold mu).
func (u *Updater) install(ctx context.Context, fw FirmwareConfig, image []byte, keyID string, rec *slotRecord) error {
	write := func() error { return u.o.Slots.WriteInactive(ctx, fw.Version, image) }
	if ss, ok := u.o.Slots.(SignedSlots); ok && rec != nil {
		write = func() error { return ss.WriteInactiveSigned(ctx, fw.Version, image, rec.manifest, rec.sig) }
	}
	if err := write(); err != nil {
		return u.refuse(PhaseFailed, fw, fmt.Errorf("%w: %w", ErrFirmware, err))
	}
	u.o.Log.Info("firmware update: written to the inactive slot", "version", fw.Version, "bytes", len(image))
	u.save(FirmwareState{Phase: PhaseTrial, Version: fw.Version, URL: fw.URL, From: u.o.Version})
	if err := u.o.Slots.TryInactive(); err != nil {
		return u.refuse(PhaseFailed, fw, fmt.Errorf("%w: %w", ErrFirmware, err))
	}
	u.o.Log.Info("firmware update: installed in the inactive slot; restarting to try it",
		"version", fw.Version, "from", u.o.Version, "signed_by", keyID, "bytes", len(image))
	u.record(fmt.Sprintf("firmware %s (signed by key %s) installed in the inactive slot; restarting to try it", fw.Version, keyID))
	if err := u.o.Slots.Reboot(); err != nil {
		return u.refuse(PhaseFailed, fw, fmt.Errorf("%w: %w", ErrFirmware, err))
	}
	return nil
}

// FirmwareChecker is implemented by Actions that can check the firmware
// manifest at once (POST /api/actions/firmware-check): it starts the
// check and returns the manifest's url; the outcome shows in the status
// (device.firmware.last_manifest_check).
type FirmwareChecker interface {
	CheckFirmware(ctx context.Context) (string, error)
}

// firmwareCheck answers POST /api/actions/firmware-check: 202 once the
// check is started, 409 when there is no manifest to check.
func (a *Admin) firmwareCheck(w http.ResponseWriter, r *http.Request, act Actions) {
	fc, ok := act.(FirmwareChecker)
	if !ok {
		writeError(w, http.StatusNotImplemented, "firmware checks are not available")
		return
	}
	url, err := fc.CheckFirmware(r.Context())
	if err != nil {
		writeError(w, http.StatusConflict, "firmware-check: "+err.Error())
		return
	}
	a.log.Info("admin action", "action", "firmware-check", "manifest", url, "from", clientAddr(r))
	writeJSON(w, http.StatusAccepted, map[string]string{"result": "checking " + url + " (the outcome shows under the firmware status)"})
}
