package provisioning

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/sipbell/sipbell/internal/cfgerr"
)

// FirmwareConfig names the firmware the device should run: a signed
// manifest (any install), or one root image (the gokrazy image only).
type FirmwareConfig struct {
	// Manifest is a firmware manifest (JSON, http:// or https://), signed
	// like url (Manifest plus ".minisig"), naming the version, the minimum
	// version to update from, the share of devices to roll out to, and per
	// platform (linux/arm64, linux/armv6, gokrazy/arm64...) the file's url,
	// sha256 and size. The device checks it at start, every interval (with
	// the same random offset as the provisioning files) and on request
	// (POST /api/actions/firmware-check, or a SIP NOTIFY check-sync the
	// device accepts). It installs a newer version for its
	// platform in its inactive slot (a Debian install: the sipbell binary,
	// the gokrazy image: the spare root partition), restarts into it, and
	// keeps it only when healthy within health_window; the download
	// resumes after a cut. A Debian install also needs the release key in
	// /etc/sipbell-update-keys (root-owned, where the service cannot
	// write): its launcher checks each slot against it before starting
	// it. Format: docs in provisioning/manifest.go.
	Manifest string `yaml:"manifest"`
	// URL is the new root file system (scripts/update-image.sh cuts it
	// from an image built with make image), http:// or https://. URL plus
	// ".minisig" must be its minisign signature (minisign -S -m FILE) by
	// one of signing_keys, or it is refused. The image goes onto the root
	// partition not running, the next boot tries it once, and it stays
	// only when it proves healthy (SIP answers, every account registered)
	// within health_window; otherwise the device boots the previous
	// firmware again by itself.
	URL string `yaml:"url"`
	// Version (with url) is what the image's sipbell -version says (the version
	// part). The image is fetched when it differs from the running
	// version, once per url and version: a refused or failed one is not
	// tried again until either changes.
	Version string `yaml:"version"`
	// HealthWindow is how long the new firmware has to prove healthy
	// after it starts.
	HealthWindow time.Duration `yaml:"health_window,omitempty"`
}

// Firmware update defaults and bounds.
const (
	DefaultHealthWindow = 3 * time.Minute
	// MaxFirmwareBytes bounds a downloaded root image (gokrazy's root
	// partitions hold 500 MB; sipbell's is about 45 MB).
	MaxFirmwareBytes = 512 << 20
	// FirmwareStateFile, in the state dir, remembers an update across
	// the reboots it takes.
	FirmwareStateFile = "firmware.json"
	// MaxTrialStarts: a new firmware whose sipbell was started this many
	// times on its trial boot without proving healthy is rolled back.
	MaxTrialStarts = 4
)

func (c *FirmwareConfig) validate(signingKeys []string) error {
	var errs cfgerr.List
	checkURL(&errs, "url", c.URL)
	checkURL(&errs, "manifest", c.Manifest)
	if c.Manifest != "" && c.URL != "" {
		errs.Add("manifest", "set manifest or url, not both")
	}
	if c.Manifest != "" && len(signingKeys) == 0 {
		errs.Add("manifest", "needs provisioning.signing_keys: a firmware manifest is only used when signed")
	}
	if c.URL != "" && c.Version == "" {
		errs.Add("version", "must be set when url is")
	}
	if c.URL != "" && len(signingKeys) == 0 {
		errs.Add("url", "needs provisioning.signing_keys: a firmware image is only installed when signed")
	}
	if c.HealthWindow < 10*time.Second {
		errs.Add("health_window", "must be at least 10s, got %s", c.HealthWindow)
	}
	return errs.Err()
}

// Phases of a firmware update in FirmwareState.
const (
	PhaseTrial     = "trial"     // written to the spare root; its boot is being tried
	PhaseInstalled = "installed" // proved healthy and made permanent
	PhaseFailed    = "failed"    // rolled back, or could not be installed
	PhaseRefused   = "refused"   // not installed: unsigned, wrong signature, not gokrazy
)

// FirmwareState is the last firmware update, kept in the state dir.
type FirmwareState struct {
	Phase   string    `json:"phase"`
	Version string    `json:"version"`
	URL     string    `json:"url"`
	From    string    `json:"from,omitempty"`   // the version that installed it
	Reason  string    `json:"reason,omitempty"` // why it was refused or failed
	Starts  int       `json:"starts,omitempty"` // sipbell starts on the trial boot
	Time    time.Time `json:"time"`
}

// LoadFirmwareState reads dir's firmware state; none yet is a zero state.
func LoadFirmwareState(dir string) (FirmwareState, error) {
	var s FirmwareState
	b, err := os.ReadFile(filepath.Join(dir, FirmwareStateFile))
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return s, fmt.Errorf("firmware state: %w", err)
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return s, fmt.Errorf("firmware state %s: %w", filepath.Join(dir, FirmwareStateFile), err)
	}
	return s, nil
}

// SaveFirmwareState writes dir's firmware state atomically.
func SaveFirmwareState(dir string, s FirmwareState) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("firmware state: %w", err)
	}
	return WriteFileAtomic(filepath.Join(dir, FirmwareStateFile), append(b, '\n'), 0o600)
}

// BootSlots are the two root file systems the firmware alternates
// between (GokrazyBoot; tests use a fake).
type BootSlots interface {
	WriteInactive(ctx context.Context, version string, image []byte) error
	TryInactive() error   // the next boot (only) starts the other root
	Trial() (bool, error) // this boot is such a try
	Commit() error        // the running root is kept from now on
	Reboot() error
}

// ErrFirmware wraps every refused or failed firmware update.
var ErrFirmware = errors.New("firmware update")

// UpdaterOptions wire an Updater.
type UpdaterOptions struct {
	StateDir string
	Version  string    // the running version
	Slots    BootSlots // the install's two slots; nil: no updates
	Images   bool      // Slots take root images (gokrazy), else binaries
	Platform string    // the manifest files this device takes (ManifestPlatform)
	DeviceID string    // places the device in a manifest's rollout
	Client   *http.Client
	Log      *slog.Logger
	Record   func(detail string)                        // the event history; may be nil
	Health   func(context.Context) error                // the same check as a configuration change
	Busy     func() bool                                // a call is up: not now; may be nil
	Now      func() time.Time                           // nil: time.Now
	Poll     time.Duration                              // health checks on a trial boot; 0: 2s
	Sleep    func(context.Context, time.Duration) error // nil: a timer
}

// Updater installs the firmware provisioning names and, on the boot that
// tries it, keeps it or rolls it back.
type Updater struct {
	o    UpdaterOptions
	mu   sync.Mutex // one Check or Finish at a time; guards st and last
	st   FirmwareState
	last ManifestCheck
}

// NewUpdater returns an Updater with the state left in o.StateDir.
func NewUpdater(o UpdaterOptions) *Updater {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Poll == 0 {
		o.Poll = 2 * time.Second
	}
	if o.Client == nil {
		o.Client = &http.Client{Timeout: 10 * time.Minute}
	}
	if o.Sleep == nil {
		o.Sleep = sleepCtx
	}
	u := &Updater{o: o}
	st, err := LoadFirmwareState(o.StateDir)
	if err != nil {
		o.Log.Warn("firmware state unreadable; starting afresh", "err", err)
	}
	u.st = st
	return u
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// FirmwareStatus is the firmware part of GET /api/status.
type FirmwareStatus struct {
	Running   string        `json:"running"`
	Platform  string        `json:"platform,omitempty"`
	Last      FirmwareState `json:"last_update"`
	LastCheck ManifestCheck `json:"last_manifest_check"`
}

// Status reports the running version and the last update.
func (u *Updater) Status() FirmwareStatus {
	u.mu.Lock()
	defer u.mu.Unlock()
	return FirmwareStatus{Running: u.o.Version, Platform: u.o.Platform, Last: u.st, LastCheck: u.last}
}

func (u *Updater) record(detail string) {
	if u.o.Record != nil {
		u.o.Record(detail)
	}
}

// save keeps st in memory and on disk (callers hold mu).
func (u *Updater) save(st FirmwareState) {
	st.Time = u.o.Now().UTC()
	u.st = st
	if err := SaveFirmwareState(u.o.StateDir, st); err != nil {
		u.o.Log.Error("firmware state not saved", "err", err)
	}
}

// refuse notes an update that will not be installed, with the reason.
func (u *Updater) refuse(phase string, fw FirmwareConfig, err error) error {
	u.save(FirmwareState{Phase: phase, Version: fw.Version, URL: fw.URL, From: u.o.Version, Reason: err.Error()})
	u.o.Log.Error("firmware update refused", "version", fw.Version, "url", fw.URL, "err", err)
	u.record(fmt.Sprintf("firmware %s refused: %v", fw.Version, err))
	return err
}

// ErrBusy is returned by Check while a call is up; check again later.
var ErrBusy = errors.New("firmware update postponed: a call is up")

// Check installs the firmware cfg names when it is not the running one:
// download, signature check against cfg.SigningKeys, write to the spare
// root, one-shot boot of it, reboot. It returns nil when there is nothing
// to do, ErrBusy during a call, ErrFirmwareFetch for a download to try
// again; refusals (ErrFirmware) are remembered and not retried for the
// same url and version.
func (u *Updater) Check(ctx context.Context, cfg Config) error {
	fw := cfg.Firmware
	u.mu.Lock()
	defer u.mu.Unlock()
	if fw.URL == "" || fw.Version == u.o.Version {
		return nil
	}
	if st := u.st; st.Version == fw.Version && st.URL == fw.URL && st.Phase != PhaseInstalled {
		return nil // refused, failed or being tried already
	}
	if u.o.Slots == nil || !u.o.Images {
		return u.refuse(PhaseRefused, fw, fmt.Errorf("%w: this install has no A/B root partitions (gokrazy image only); a Debian install updates with apt", ErrFirmware))
	}
	if u.o.Busy != nil && u.o.Busy() {
		return ErrBusy
	}
	keys, err := parseMinisignKeys(cfg.SigningKeys)
	if err != nil || len(keys) == 0 {
		return u.refuse(PhaseRefused, fw, fmt.Errorf("%w: no usable signing key pinned (provisioning.signing_keys): %v", ErrFirmware, err))
	}
	u.o.Log.Info("firmware update: fetching", "version", fw.Version, "url", fw.URL)
	image, err := u.get(ctx, fw.URL, MaxFirmwareBytes)
	if errors.Is(err, errNotFound) {
		err = fmt.Errorf("%w: %w: %s: %v", ErrFirmware, ErrFirmwareFetch, fw.URL, err)
	}
	if err != nil && !errors.Is(err, ErrFirmwareFetch) {
		return u.refuse(PhaseRefused, fw, err)
	}
	if err != nil {
		return err
	}
	sig, err := u.get(ctx, fw.URL+".minisig", 4<<10)
	if errors.Is(err, errNotFound) {
		return u.refuse(PhaseRefused, fw, fmt.Errorf("%w: %s is not signed (%s.minisig: %v)", ErrFirmware, fw.URL, fw.URL, err))
	}
	if err != nil {
		return err
	}
	by, err := verifyMinisign(keys, image, sig)
	if err != nil {
		return u.refuse(PhaseRefused, fw, fmt.Errorf("%w: %s: %w", ErrFirmware, fw.URL, err))
	}
	return u.install(ctx, fw, image, by.KeyID, nil)
}

var errNotFound = errors.New("404 not found")

// ErrFirmwareFetch wraps a failed download (network, server error): worth
// trying again later, unlike a refusal.
var ErrFirmwareFetch = errors.New("firmware download failed")

// get fetches url, at most limit bytes.
func (u *Updater) get(ctx context.Context, url string, limit int64) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %w: %s: %v", ErrFirmware, ErrFirmwareFetch, url, err)
	}
	resp, err := u.o.Client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: %w: %s: %v", ErrFirmware, ErrFirmwareFetch, url, err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return nil, errNotFound
	case resp.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("%w: %w: %s: %s", ErrFirmware, ErrFirmwareFetch, url, resp.Status)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %w: %s: %v", ErrFirmware, ErrFirmwareFetch, url, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%w: fetch %s: larger than %d bytes", ErrFirmware, url, limit)
	}
	return b, nil
}
