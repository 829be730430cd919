package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// versionBuilds holds sipbell binaries built with a given version.
var versionBuilds struct {
	sync.Mutex
	dir  string
	bins map[string]string
}

// buildVersion builds sipbell stamped with version (-X main.version), once
// per test binary run.
func buildVersion(t *testing.T, version string) string {
	t.Helper()
	versionBuilds.Lock()
	defer versionBuilds.Unlock()
	if p, ok := versionBuilds.bins[version]; ok {
		return p
	}
	if versionBuilds.dir == "" { // beside binary(t)'s: TestMain removes it
		versionBuilds.dir, versionBuilds.bins = filepath.Dir(binary(t)), map[string]string{}
	}
	p := filepath.Join(versionBuilds.dir, "sipbell-"+version)
	out, err := exec.Command("go", "build", "-ldflags", "-X main.version="+version, "-o", p, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("build %s: %v\n%s", version, err, out)
	}
	versionBuilds.bins[version] = p
	return p
}

// fwServer serves firmware files (with Range, as a web server does) and
// counts the bytes it sent.
type fwServer struct {
	*httptest.Server
	mu    sync.Mutex
	files map[string][]byte
	sent  map[string]int
	hold  map[string]chan struct{} // a path whose answer stops half way until closed
}

func newFWServer(t *testing.T) *fwServer {
	s := &fwServer{files: map[string][]byte{}, sent: map[string]int{}, hold: map[string]chan struct{}{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *fwServer) set(path string, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.files[path] = body
}

func (s *fwServer) bytesSent(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sent[path]
}

func (s *fwServer) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	body, ok := s.files[r.URL.Path]
	hold := s.hold[r.URL.Path]
	delete(s.hold, r.URL.Path)
	s.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	if hold != nil && r.Header.Get("Range") == "" {
		half := len(body) / 2
		w.Header().Set("Content-Length", fmt.Sprint(len(body)))
		w.Write(body[:half])
		w.(http.Flusher).Flush()
		s.mu.Lock()
		s.sent[r.URL.Path] += half
		s.mu.Unlock()
		hold <- struct{}{} // half sent
		<-hold
		panic(http.ErrAbortHandler)
	}
	cw := &sentCounter{ResponseWriter: w}
	http.ServeContent(cw, r, "", time.Time{}, bytes.NewReader(body))
	s.mu.Lock()
	s.sent[r.URL.Path] += cw.n
	s.mu.Unlock()
}

type sentCounter struct {
	http.ResponseWriter
	n int
}

func (c *sentCounter) Write(b []byte) (int, error) {
	n, err := c.ResponseWriter.Write(b)
	c.n += n
	return n, err
}

// publish serves bin as version for this platform, and a manifest
// (extra: more JSON fields) signed by key.
func (s *fwServer) publish(t *testing.T, key signer, version string, bin []byte, extra string) {
	t.Helper()
	sum := sha256.Sum256(bin)
	path := "/fw/sipbell-" + version
	s.set(path, bin)
	m := fmt.Sprintf(`{"version": %q, %s "files": {%q: {"url": %q, "sha256": %q, "size": %d}}}`,
		version, extra, platform(false), "sipbell-"+version, hex.EncodeToString(sum[:]), len(bin))
	s.set("/fw/manifest.json", []byte(m))
	s.set("/fw/manifest.json.minisig", []byte(key.sign(t, m)))
}

// fwFixture is the set-up the firmware binary tests share: a release key
// made by minisign, the package's binary (v1), v2's bytes, and a firmware
// server to publish them on.
type fwFixture struct {
	key  signer
	v1   string
	bin2 []byte
	srv  *fwServer
}

func newFWFixture(t *testing.T) *fwFixture {
	t.Helper()
	f := &fwFixture{key: newSigner(t), v1: buildVersion(t, "v1.0.0"), srv: newFWServer(t)}
	var err error
	if f.bin2, err = os.ReadFile(buildVersion(t, "v2.0.0")); err != nil {
		t.Fatal(err)
	}
	return f
}

// publish serves bin as version with a manifest signed by the key.
func (f *fwFixture) publish(t *testing.T, version string, bin []byte, extra string) {
	t.Helper()
	f.srv.publish(t, f.key, version, bin, extra)
}

// rig is a device running the package's v1 with the fixture's manifest
// and key (accounts: more sip: lines).
func (f *fwFixture) rig(t *testing.T, accounts string) *slotRig {
	t.Helper()
	return newSlotRig(t, f.v1, f.key, f.srv.URL+"/fw/manifest.json", accounts)
}

// slotRig is one device of a Debian install: the package's binary (v1),
// its configuration and state dir, and the release key installed
// root-owned outside them (-update-keys), restarted the way systemd does.
type slotRig struct {
	pkg, cfg, state, keys string
}

func newSlotRig(t *testing.T, pkg string, key signer, manifest, accounts string) *slotRig {
	t.Helper()
	if os.Geteuid() != 0 { // the update keys must be root's
		if os.Getenv("CI") == "true" {
			t.Fatal("needs root: the firmware slots' update key file is root-owned")
		}
		t.Skip("needs root: the firmware slots' update key file is root-owned")
	}
	dir := t.TempDir()
	r := &slotRig{pkg: pkg, cfg: filepath.Join(dir, "sipbell.yaml"), state: filepath.Join(dir, "state"),
		keys: filepath.Join(dir, "etc", "sipbell-update-keys")}
	if err := os.Mkdir(filepath.Dir(r.keys), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(r.keys, []byte("untrusted comment: minisign public key "+key.id+"\n"+key.pub+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf(`sip:
  listen: 127.0.0.1:0
  user: door
%sboard:
  profile: sim
provisioning:
  dhcp_lease_files: []
  interval: 0s
  signing_keys: [%s]
  firmware:
    manifest: %s
    health_window: 10s
  state_dir: %s
  admin:
    listen: 127.0.0.1:0
    tls: false
    password: %q
`, accounts, key.pub, manifest, r.state, liveDoorPassword)
	if err := os.WriteFile(r.cfg, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return r
}

// start runs the package's binary once, as systemd's ExecStart does.
func (r *slotRig) start(t *testing.T) *proc {
	t.Helper()
	return newProc(t, exec.Command(r.pkg, "-config", r.cfg, "-log-format", "json", "-update-keys", r.keys))
}

// awaitLine waits for a log line msg whose attributes contain want.
func (p *proc) awaitLine(ctx context.Context, t *testing.T, msg string, want map[string]string) map[string]any {
	t.Helper()
	for {
		select {
		case m, ok := <-p.lines:
			if !ok {
				t.Fatalf("sipbell exited before logging %q %v", msg, want)
			}
			match := m["msg"] == msg
			for k, v := range want {
				match = match && strings.Contains(fmt.Sprint(m[k]), v)
			}
			if match {
				return m
			}
		case <-ctx.Done():
			t.Fatalf("no log line %q with %v", msg, want)
		}
	}
}

// firmwareStatus reads device.firmware from GET /api/status at url.
func firmwareStatus(t *testing.T, url string) (st struct {
	Running string `json:"running"`
	Last    struct {
		Phase, Version, Reason string
	} `json:"last_update"`
	LastCheck struct{ Result string } `json:"last_manifest_check"`
}) {
	t.Helper()
	req, _ := http.NewRequest("GET", strings.TrimSuffix(url, "/")+"/api/status", nil)
	req.SetBasicAuth("admin", liveDoorPassword)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var s struct {
		Device struct {
			Firmware json.RawMessage `json:"firmware"`
		} `json:"device"`
	}
	if err := json.Unmarshal(b, &s); err != nil || json.Unmarshal(s.Device.Firmware, &st) != nil {
		t.Fatalf("status: %v: %s", err, b)
	}
	return st
}

// slotVersion runs the current slot's binary with -version ("" if none).
func (r *slotRig) slotVersion(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(r.state, "firmware-slots", "current", "sipbell")
	if _, err := os.Stat(bin); err != nil {
		return ""
	}
	out, err := exec.Command(bin, "-version").CombinedOutput()
	if err != nil {
		t.Fatalf("%s -version: %v: %s", bin, err, out)
	}
	return strings.Fields(string(out))[1]
}

// awaitOrExit waits for a log line msg, or for the process to end first
// (ok false).
func (p *proc) awaitOrExit(ctx context.Context, t *testing.T, msg string) (line map[string]any, ok bool) {
	t.Helper()
	for {
		select {
		case m, open := <-p.lines:
			if !open {
				return nil, false
			}
			if m["msg"] == msg {
				return m, true
			}
		case <-ctx.Done():
			t.Fatalf("no log line %q and no exit", msg)
		}
	}
}

// kill cuts the power: SIGKILL, then waits for the end.
func (p *proc) kill(ctx context.Context, t *testing.T) {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGKILL)
	p.exit(ctx, t)
}

// awaitAny waits for the first log line whose msg is one of msgs, and
// returns it; "" when the process ended first.
func (p *proc) awaitAny(ctx context.Context, t *testing.T, msgs ...string) (string, map[string]any) {
	t.Helper()
	for {
		select {
		case m, open := <-p.lines:
			if !open {
				return "", nil
			}
			for _, msg := range msgs {
				if m["msg"] == msg {
					return msg, m
				}
			}
		case <-ctx.Done():
			t.Fatalf("none of %q logged, no exit", msgs)
		}
	}
}
