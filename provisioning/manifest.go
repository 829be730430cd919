package provisioning

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// A firmware manifest is a JSON file an admin publishes next to the
// firmware and signs with minisign (FILE.minisig beside it):
//
//	{
//	  "version": "v1.4.0",
//	  "minimum_version": "v1.2.0",
//	  "rollout_percent": 25,
//	  "files": {
//	    "linux/arm64":   {"url": "sipbell-linux-arm64", "sha256": "…", "size": 21733376},
//	    "linux/armv6":   {"url": "https://…/sipbell-linux-armv6", "sha256": "…", "size": 20578304},
//	    "gokrazy/arm64": {"url": "root-arm64.sqfs", "sha256": "…", "size": 45000704}
//	  }
//	}
//
// A device takes the file for its platform (ManifestPlatform); a relative
// url is resolved against the manifest's own.

// MaxManifestBytes bounds a fetched manifest.
const MaxManifestBytes = 64 << 10

// Manifest is a parsed firmware manifest.
type Manifest struct {
	// Version is the firmware's version, as its -version prints it.
	Version string `json:"version"`
	// MinimumVersion: devices running an older version do not take this
	// one (they need an intermediate release first). Empty: any.
	MinimumVersion string `json:"minimum_version,omitempty"`
	// RolloutPercent is the share of devices that take it (0 to 100;
	// absent: 100). Each device's share is fixed by RolloutBucket.
	RolloutPercent *int `json:"rollout_percent,omitempty"`
	// Files are the firmware per platform.
	Files map[string]ManifestFile `json:"files"`
}

// ManifestFile is one platform's firmware in a Manifest.
type ManifestFile struct {
	URL    string `json:"url"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

// ErrManifest wraps every problem with a manifest's content.
var ErrManifest = errors.New("firmware manifest")

// ParseManifest parses and checks a manifest fetched from base (relative
// file urls are resolved against it).
func ParseManifest(b []byte, base string) (Manifest, error) {
	var m Manifest
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return m, fmt.Errorf("%w %s: %v", ErrManifest, base, err)
	}
	if _, ok := parseVersion(m.Version); !ok {
		return m, fmt.Errorf("%w %s: version %q is not vMAJOR.MINOR.PATCH", ErrManifest, base, m.Version)
	}
	if _, ok := parseVersion(m.MinimumVersion); m.MinimumVersion != "" && !ok {
		return m, fmt.Errorf("%w %s: minimum_version %q is not vMAJOR.MINOR.PATCH", ErrManifest, base, m.MinimumVersion)
	}
	if p := m.RolloutPercent; p != nil && (*p < 0 || *p > 100) {
		return m, fmt.Errorf("%w %s: rollout_percent %d is not 0 to 100", ErrManifest, base, *p)
	}
	bu, err := url.Parse(base)
	if err != nil {
		return m, fmt.Errorf("%w %s: %v", ErrManifest, base, err)
	}
	for plat, f := range m.Files {
		if f, err = f.check(bu); err != nil {
			return m, fmt.Errorf("%w %s: files[%q]: %v", ErrManifest, base, plat, err)
		}
		m.Files[plat] = f
	}
	return m, nil
}

// check validates f and resolves its url against base.
func (f ManifestFile) check(base *url.URL) (ManifestFile, error) {
	u, err := base.Parse(f.URL)
	if err != nil || f.URL == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return f, fmt.Errorf("url %q is not an http(s) URL", f.URL)
	}
	f.URL = u.String()
	if b, err := hex.DecodeString(f.SHA256); err != nil || len(b) != sha256.Size {
		return f, fmt.Errorf("sha256 %q is not 64 hex digits", f.SHA256)
	}
	f.SHA256 = strings.ToLower(f.SHA256)
	if f.Size <= 0 || f.Size > MaxFirmwareBytes {
		return f, fmt.Errorf("size %d is not 1 to %d bytes", f.Size, MaxFirmwareBytes)
	}
	return f, nil
}

// ErrNoUpdate wraps the reasons a valid manifest is not for this device
// now: not newer, below its minimum version, outside the rollout, no
// file for the platform.
var ErrNoUpdate = errors.New("no firmware update")

// Pick returns the file this device should install: running is its
// version, platform its ManifestPlatform, deviceID what places it in the
// rollout. An error wrapping ErrNoUpdate says why there is none.
func (m Manifest) Pick(running, platform, deviceID string) (ManifestFile, error) {
	if CompareVersions(m.Version, running) <= 0 {
		return ManifestFile{}, fmt.Errorf("%w: %s is not newer than the running %s", ErrNoUpdate, m.Version, running)
	}
	if m.MinimumVersion != "" && CompareVersions(running, m.MinimumVersion) < 0 {
		return ManifestFile{}, fmt.Errorf("%w: %s needs at least %s to update from, running %s", ErrNoUpdate, m.Version, m.MinimumVersion, running)
	}
	if p := m.RolloutPercent; p != nil {
		if b := RolloutBucket(deviceID, m.Version); b >= *p {
			return ManifestFile{}, fmt.Errorf("%w: %s is rolled out to %d%% of devices, not yet to this one (bucket %d)", ErrNoUpdate, m.Version, *p, b)
		}
	}
	f, ok := m.Files[platform]
	if !ok {
		return ManifestFile{}, fmt.Errorf("%w: %s has no file for %s", ErrNoUpdate, m.Version, platform)
	}
	return f, nil
}

// RolloutBucket places a device in 0..99 for a version's rollout: stable
// for the device (a device in at 10% stays in at 20%), spread evenly over
// a fleet, and drawn anew for each version so the same devices are not
// always first.
func RolloutBucket(deviceID, version string) int {
	h := sha256.Sum256([]byte("sipbell rollout\x00" + deviceID + "\x00" + version))
	return int(binary.BigEndian.Uint64(h[:8]) % 100)
}

// ManifestPlatform names a platform in a manifest's files: kind
// ("linux" for the sipbell binary of a Debian install, "gokrazy" for a
// root image), then the architecture, with the ARM version for 32-bit
// ARM: linux/arm64, linux/armv6, gokrazy/amd64.
func ManifestPlatform(kind, goarch, goarm string) string {
	if goarch == "arm" && goarm != "" {
		goarch += "v" + strings.TrimSuffix(strings.TrimSuffix(goarm, ",softfloat"), ",hardfloat")
	}
	return kind + "/" + goarch
}

// version is a parsed vMAJOR.MINOR.PATCH[-PRERELEASE][+BUILD].
type version struct {
	num [3]uint64
	pre []string
}

func parseVersion(s string) (version, bool) {
	var v version
	s, ok := strings.CutPrefix(s, "v")
	if !ok {
		return v, false
	}
	s, _, _ = strings.Cut(s, "+")
	core, pre, hasPre := strings.Cut(s, "-")
	parts := strings.Split(core, ".")
	if len(parts) != 3 || (hasPre && pre == "") {
		return v, false
	}
	for i, p := range parts {
		n, err := strconv.ParseUint(p, 10, 64)
		if err != nil {
			return v, false
		}
		v.num[i] = n
	}
	if hasPre {
		v.pre = strings.Split(pre, ".")
	}
	return v, true
}

// CompareVersions orders two versions the way semantic versioning does
// (-1, 0, +1). A version that does not parse (a "dev" build) is older
// than every one that does.
func CompareVersions(a, b string) int {
	va, okA := parseVersion(a)
	vb, okB := parseVersion(b)
	switch {
	case !okA && !okB:
		return strings.Compare(a, b)
	case !okA:
		return -1
	case !okB:
		return 1
	}
	for i := range va.num {
		if c := cmpUint(va.num[i], vb.num[i]); c != 0 {
			return c
		}
	}
	return comparePre(va.pre, vb.pre)
}

// comparePre orders pre-release fields: none is newer than any.
func comparePre(a, b []string) int {
	switch {
	case len(a) == 0 && len(b) == 0:
		return 0
	case len(a) == 0:
		return 1
	case len(b) == 0:
		return -1
	}
	for i := 0; i < len(a) && i < len(b); i++ {
		na, errA := strconv.ParseUint(a[i], 10, 64)
		nb, errB := strconv.ParseUint(b[i], 10, 64)
		var c int
		switch {
		case errA == nil && errB == nil:
			c = cmpUint(na, nb)
		case errA == nil:
			c = -1
		case errB == nil:
			c = 1
		default:
			c = strings.Compare(a[i], b[i])
		}
		if c != 0 {
			return c
		}
	}
	return cmpUint(uint64(len(a)), uint64(len(b)))
}

func cmpUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
