package provisioning

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestCompareVersions orders versions as semantic versioning does, with
// unparsable (dev) builds oldest.
func TestCompareVersions(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"v1.2.3", "v1.2.3", 0},
		{"v1.2.3", "v1.2.4", -1},
		{"v1.10.0", "v1.9.9", 1},
		{"v2.0.0", "v1.99.99", 1},
		{"v1.0.0-rc.1", "v1.0.0", -1},
		{"v1.0.0-rc.2", "v1.0.0-rc.10", -1},
		{"v1.0.0-alpha", "v1.0.0-1", 1},
		{"v1.0.0+build5", "v1.0.0", 0},
		{"dev", "v0.0.1", -1},
		{"v0.0.1", "e71aa8f-dirty", 1},
	} {
		if got := CompareVersions(tc.a, tc.b); got != tc.want {
			t.Errorf("CompareVersions(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
		if got := CompareVersions(tc.b, tc.a); got != -tc.want {
			t.Errorf("CompareVersions(%q, %q) = %d, want %d", tc.b, tc.a, got, -tc.want)
		}
	}
}

const testSHA = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

func manifestJSON(version, minimum string, rollout string, files string) string {
	s := `{"version": "` + version + `"`
	if minimum != "" {
		s += `, "minimum_version": "` + minimum + `"`
	}
	if rollout != "" {
		s += `, "rollout_percent": ` + rollout
	}
	return s + `, "files": {` + files + `}}`
}

// TestParseManifest refuses what a device must not act on, and resolves
// relative file urls against the manifest's.
func TestParseManifest(t *testing.T) {
	t.Parallel()
	file := `"linux/arm64": {"url": "bin/sipbell", "sha256": "` + testSHA + `", "size": 4}`
	for _, tc := range []struct {
		name, body, wantErr string
	}{
		{"good", manifestJSON("v1.2.0", "v1.0.0", "50", file), ""},
		{"not json", "<html>", "invalid character"},
		{"bad version", manifestJSON("1.2", "", "", file), "not vMAJOR.MINOR.PATCH"},
		{"bad minimum", manifestJSON("v1.2.0", "latest", "", file), "minimum_version"},
		{"rollout over 100", manifestJSON("v1.2.0", "", "101", file), "rollout_percent 101"},
		{"unknown field", `{"version": "v1.0.0", "files": {}, "sha1": "x"}`, "unknown field"},
		{"short sha256", manifestJSON("v1.2.0", "", "", `"linux/arm64": {"url": "x", "sha256": "abc", "size": 4}`), "not 64 hex digits"},
		{"no size", manifestJSON("v1.2.0", "", "", `"linux/arm64": {"url": "x", "sha256": "`+testSHA+`"}`), "size 0"},
		{"too big", manifestJSON("v1.2.0", "", "", `"linux/arm64": {"url": "x", "sha256": "`+testSHA+`", "size": 999999999999}`), "size 999999999999"},
		{"ftp url", manifestJSON("v1.2.0", "", "", `"linux/arm64": {"url": "ftp://h/x", "sha256": "`+testSHA+`", "size": 4}`), "not an http(s) URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := ParseManifest([]byte(tc.body), "https://fw.example/sipbell/manifest.json")
			if tc.wantErr != "" {
				if !errors.Is(err, ErrManifest) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := m.Files["linux/arm64"].URL; got != "https://fw.example/sipbell/bin/sipbell" {
				t.Errorf("url %q, want it resolved against the manifest's", got)
			}
		})
	}
}

// TestManifestPick: newer only, not below the minimum, inside the
// rollout, the device's platform.
func TestManifestPick(t *testing.T) {
	t.Parallel()
	in, out := deviceInBucket(t, "v2.0.0", 30, true), deviceInBucket(t, "v2.0.0", 30, false)
	file := `"linux/arm64": {"url": "x", "sha256": "` + testSHA + `", "size": 4}`
	for _, tc := range []struct {
		name, manifest, running, platform, device, wantErr string
	}{
		{"newer", manifestJSON("v2.0.0", "", "", file), "v1.0.0", "linux/arm64", "d", ""},
		{"same", manifestJSON("v2.0.0", "", "", file), "v2.0.0", "linux/arm64", "d", "not newer"},
		{"older", manifestJSON("v2.0.0", "", "", file), "v2.1.0", "linux/arm64", "d", "not newer"},
		{"below minimum", manifestJSON("v2.0.0", "v1.5.0", "", file), "v1.4.9", "linux/arm64", "d", "needs at least v1.5.0"},
		{"at minimum", manifestJSON("v2.0.0", "v1.5.0", "", file), "v1.5.0", "linux/arm64", "d", ""},
		{"no platform", manifestJSON("v2.0.0", "", "", file), "v1.0.0", "linux/armv6", "d", "no file for linux/armv6"},
		{"rollout 0", manifestJSON("v2.0.0", "", "0", file), "v1.0.0", "linux/arm64", "d", "rolled out to 0%"},
		{"rollout 100", manifestJSON("v2.0.0", "", "100", file), "v1.0.0", "linux/arm64", "d", ""},
		{"rollout in", manifestJSON("v2.0.0", "", "30", file), "v1.0.0", "linux/arm64", in, ""},
		{"rollout out", manifestJSON("v2.0.0", "", "30", file), "v1.0.0", "linux/arm64", out, "rolled out to 30%"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := ParseManifest([]byte(tc.manifest), "http://127.0.0.1/m.json")
			if err != nil {
				t.Fatal(err)
			}
			_, err = m.Pick(tc.running, tc.platform, tc.device)
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (!errors.Is(err, ErrNoUpdate) || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Errorf("err %v, want %q", err, tc.wantErr)
			}
		})
	}
}

// deviceInBucket finds a device id inside (or outside) a rollout.
func deviceInBucket(t *testing.T, version string, percent int, inside bool) string {
	for i := range 1000 {
		id := fmt.Sprintf("device-%d", i)
		if (RolloutBucket(id, version) < percent) == inside {
			return id
		}
	}
	t.Fatal("no such device id")
	return ""
}

// TestRolloutBucket: a fleet spreads evenly, a device in at 10% stays in
// at a larger share, and versions draw anew.
func TestRolloutBucket(t *testing.T) {
	t.Parallel()
	const fleet = 10000
	in10, in10next := 0, 0
	for i := range fleet {
		id := fmt.Sprintf("%016x", i*7919)
		b := RolloutBucket(id, "v1.1.0")
		if b != RolloutBucket(id, "v1.1.0") || b < 0 || b > 99 {
			t.Fatalf("bucket %d for %s not stable or out of range", b, id)
		}
		if b < 10 {
			in10++
			if RolloutBucket(id, "v1.2.0") < 10 {
				in10next++
			}
		}
	}
	if in10 < fleet/10-300 || in10 > fleet/10+300 {
		t.Errorf("%d of %d devices in a 10%% rollout", in10, fleet)
	}
	if in10next > in10/4 {
		t.Errorf("%d of the %d first devices of v1.1.0 are first again for v1.2.0", in10next, in10)
	}
}

// TestManifestPlatform names the platform keys.
func TestManifestPlatform(t *testing.T) {
	t.Parallel()
	for _, tc := range [][4]string{
		{"linux", "arm64", "", "linux/arm64"},
		{"linux", "arm", "6", "linux/armv6"},
		{"linux", "arm", "7,hardfloat", "linux/armv7"},
		{"gokrazy", "amd64", "", "gokrazy/amd64"},
	} {
		if got := ManifestPlatform(tc[0], tc[1], tc[2]); got != tc[3] {
			t.Errorf("ManifestPlatform%q = %q, want %q", tc[:3], got, tc[3])
		}
	}
}

// cutServer serves body; its first answer is cut after cut bytes. It
// records each request's Range header.
type cutServer struct {
	body   []byte
	cut    int
	mu     sync.Mutex
	ranges []string
	sent   int
}

func (s *cutServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	first := len(s.ranges) == 0
	s.ranges = append(s.ranges, r.Header.Get("Range"))
	s.mu.Unlock()
	if first && s.cut > 0 {
		w.Header().Set("Content-Length", fmt.Sprint(len(s.body)))
		w.Write(s.body[:s.cut])
		s.mu.Lock()
		s.sent += s.cut
		s.mu.Unlock()
		panic(http.ErrAbortHandler) // the connection drops mid-body
	}
	cw := &countWriter{ResponseWriter: w}
	http.ServeContent(cw, r, "fw", time.Time{}, bytes.NewReader(s.body))
	s.mu.Lock()
	s.sent += cw.n
	s.mu.Unlock()
}

// seen returns the Range headers asked for and the bytes sent so far.
func (s *cutServer) seen() ([]string, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.ranges...), s.sent
}

type countWriter struct {
	http.ResponseWriter
	n int
}

func (c *countWriter) Write(b []byte) (int, error) {
	n, err := c.ResponseWriter.Write(b)
	c.n += n
	return n, err
}

// TestDownloadResume: a download cut mid-body keeps what arrived, the
// next try asks only for the rest (Range) and the file checks out; a
// wrong hash or size is refused and the partial file removed.
func TestDownloadResume(t *testing.T) {
	t.Parallel()
	body := bytes.Repeat([]byte("sipbell firmware "), 40000)
	sum := sha256.Sum256(body)
	good := ManifestFile{SHA256: hex.EncodeToString(sum[:]), Size: int64(len(body))}
	for _, tc := range []struct {
		name    string
		file    func(ManifestFile) ManifestFile
		wantErr string
	}{
		{"good", func(f ManifestFile) ManifestFile { return f }, ""},
		{"wrong sha256", func(f ManifestFile) ManifestFile { f.SHA256 = testSHA; return f }, "the manifest says " + testSHA},
		{"longer than said", func(f ManifestFile) ManifestFile { f.Size--; return f }, "sha256"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := &cutServer{body: body, cut: len(body) / 3}
			ts := httptest.NewServer(srv)
			defer ts.Close()
			f := tc.file(good)
			f.URL = ts.URL + "/fw"
			dir := filepath.Join(t.TempDir(), DownloadDir)
			os.MkdirAll(dir, 0o700)
			os.WriteFile(filepath.Join(dir, testSHA[:10]+".part"), []byte("an older download"), 0o600)
			_, err := downloadFile(context.Background(), ts.Client(), dir, f)
			if !errors.Is(err, ErrFirmwareFetch) {
				t.Fatalf("cut download: err %v, want ErrFirmwareFetch", err)
			}
			part := filepath.Join(dir, f.SHA256+".part")
			if fi, err := os.Stat(part); err != nil || fi.Size() != int64(srv.cut) {
				t.Fatalf("after the cut: %v %v, want %d bytes kept", fi, err, srv.cut)
			}
			path, err := downloadFile(context.Background(), ts.Client(), dir, f)
			ranges, sent := srv.seen()
			if want := fmt.Sprintf("bytes=%d-", srv.cut); len(ranges) != 2 || ranges[1] != want {
				t.Errorf("requests' Range %q, want the second to ask for %q", ranges, want)
			}
			if left, _ := filepath.Glob(filepath.Join(dir, "*")); tc.wantErr != "" {
				if err == nil || errors.Is(err, ErrFirmwareFetch) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("err %v, want a refusal %q", err, tc.wantErr)
				}
				if len(left) != 0 {
					t.Errorf("left after a refusal: %q", left)
				}
				return
			} else if len(left) != 1 {
				t.Errorf("download dir holds %q, want only this download", left)
			}
			if err != nil {
				t.Fatal(err)
			}
			if got, _ := os.ReadFile(path); !bytes.Equal(got, body) {
				t.Errorf("downloaded %d bytes, not the firmware", len(got))
			}
			if sent != len(body) {
				t.Errorf("server sent %d bytes for a %d-byte file: not resumed", sent, len(body))
			}
		})
	}
}
