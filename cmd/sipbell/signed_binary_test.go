package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// signer is a minisign key pair made by the real minisign CLI.
type signer struct {
	tool, sec, id, pub string // pub: the RW... line
}

func newSigner(t *testing.T) signer {
	t.Helper()
	s := signer{tool: requireTool(t, "minisign", "minisign")}
	dir := t.TempDir()
	pub := filepath.Join(dir, "k.pub")
	s.sec = filepath.Join(dir, "k.key")
	if out, err := exec.Command(s.tool, "-G", "-W", "-p", pub, "-s", s.sec).CombinedOutput(); err != nil {
		t.Fatalf("minisign -G: %v\n%s", err, out)
	}
	raw, err := os.ReadFile(pub)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	s.id, s.pub = lines[0][strings.LastIndex(lines[0], " ")+1:], lines[1]
	return s
}

// sign returns minisign's detached signature of body.
func (s signer) sign(t *testing.T, body string) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "cfg.yaml")
	if err := os.WriteFile(f, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(s.tool, "-S", "-s", s.sec, "-m", f, "-t", "sipbell test").CombinedOutput(); err != nil {
		t.Fatalf("minisign -S: %v\n%s", err, out)
	}
	sig, err := os.ReadFile(f + ".minisig")
	if err != nil {
		t.Fatal(err)
	}
	return string(sig)
}

// TestSignedProvisioningBinary runs sipbell with a pinned minisign key
// against a loopback provisioning server: an unsigned file is refused and
// the running configuration kept; a file signed with minisign is applied
// (it pins a second key); a file by an unpinned key is refused; the
// rotated key's signature is accepted and, once the old key is dropped,
// the old key's signature is refused.
func TestSignedProvisioningBinary(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	oldKey, newKey, stranger := newSigner(t), newSigner(t), newSigner(t)
	var mu sync.Mutex
	files := map[string]string{}
	serve := func(body, sig string) {
		mu.Lock()
		defer mu.Unlock()
		files["/door.yaml"], files["/door.yaml.minisig"] = body, sig
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		b, ok := files[r.URL.Path]
		mu.Unlock()
		if !ok || b == "" {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write([]byte(b))
	}))
	defer srv.Close()
	doc := func(display string, keys ...signer) string {
		s := "sip:\n  listen: 127.0.0.1:0\n  user: door\n  display_name: " + display + "\nboard:\n  profile: sim\n"
		if len(keys) > 0 {
			s += "provisioning:\n  signing_keys:\n"
			for _, k := range keys {
				s += "    - " + k.pub + "\n"
			}
		}
		return s
	}
	serve(doc("Unsigned"), "")
	p := startDoor(t, fmt.Sprintf(`sip:
  listen: 127.0.0.1:0
  user: door
  display_name: Local
board:
  profile: sim
provisioning:
  url: %s/door.yaml
  interval: 24h
  dhcp_lease_files: []
  signing_keys: [%s]
  state_dir: %s
  admin:
    listen: 127.0.0.1:0
    tls: false
    password: %q
`, srv.URL, oldKey.pub, filepath.Join(t.TempDir(), "state"), liveDoorPassword))
	d := &liveDoor{p: p, password: liveDoorPassword, client: &http.Client{Timeout: 15 * time.Second}}
	d.url = strings.TrimSuffix(p.awaitLog(ctx, t, "admin web UI", nil)["url"].(string), "/")

	step := func(name, body, sig, outcome, want, display string) provisionStep {
		return provisionStep{name, func() { serve(body, sig) }, outcome, want, display}
	}
	runProvisionSteps(ctx, t, d, []provisionStep{
		step("unsigned", doc("Unsigned"), "", "invalid", "door.yaml is not signed", "Local"),
		step("signed, pins a second key", doc("Signed", oldKey, newKey), oldKey.sign(t, doc("Signed", oldKey, newKey)), "applied", "signed by key "+oldKey.id, "Signed"),
		step("unpinned key", doc("Stranger"), stranger.sign(t, doc("Stranger")), "invalid", "key "+stranger.id+", which is not pinned", "Signed"),
		step("wrongly signed", doc("Tampered", oldKey, newKey), oldKey.sign(t, doc("Signed", oldKey, newKey)), "invalid", "does not match the file", "Signed"),
		step("rotated key, old dropped", doc("Rotated", newKey), newKey.sign(t, doc("Rotated", newKey)), "applied", "signed by key "+newKey.id, "Rotated"),
		step("old key after rotation", doc("Old", oldKey), oldKey.sign(t, doc("Old", oldKey)), "invalid", "key "+oldKey.id+", which is not pinned", "Rotated"),
	})
}

// provisionStep is one file a provisioning test serves (serve puts it in
// place; the first step's file is the one served at start) and what the
// status page must then say: the last change's outcome, words in its
// message or source, and the display name the device runs with.
type provisionStep struct {
	name                   string
	serve                  func()
	outcome, want, display string
}

// runProvisionSteps serves each step's file, has the device fetch it now
// (from the second step on), and checks the outcome and the running
// configuration.
func runProvisionSteps(ctx context.Context, t *testing.T, d *liveDoor, steps []provisionStep) {
	t.Helper()
	for i, s := range steps {
		since := time.Time{}
		if i > 0 {
			s.serve()
			since = time.Now()
			if code, body := d.api(t, "POST", "/api/actions/provision", "{}"); code != http.StatusAccepted {
				t.Fatalf("%s: provision now: %d %s", s.name, code, body)
			}
		}
		// A fetch the previous step set off (the one that follows a
		// change of the provisioning section) may still end after since
		// with the previous file: wait for this step's outcome.
		last := changeLike(ctx, t, d, since, s.outcome, s.want)
		if last.Outcome != s.outcome || !strings.Contains(last.Message+" "+last.Source, s.want) {
			t.Fatalf("%s: last change %+v, want %s with %q", s.name, last, s.outcome, s.want)
		}
		if got := runningDisplayName(t, d); got != s.display {
			t.Fatalf("%s: running display name %q, want %q", s.name, got, s.display)
		}
	}
}

// fetchResult is the status page's last configuration change (a fetched
// file applied or refused; last_fetch may already be the not-modified
// fetch that follows a change of the provisioning section).
type fetchResult struct {
	Time    time.Time `json:"time"`
	Source  string    `json:"source"`
	Outcome string    `json:"outcome"`
	Message string    `json:"message"`
}

// lastChangeAfter polls the status page for a change later than since.
func lastChangeAfter(ctx context.Context, t *testing.T, d *liveDoor, since time.Time) fetchResult {
	t.Helper()
	for {
		var st struct {
			Provisioning struct {
				LastChange *fetchResult `json:"last_change"`
			} `json:"provisioning"`
		}
		_, b := d.api(t, "GET", "/api/status", "")
		if json.Unmarshal(b, &st) == nil && st.Provisioning.LastChange != nil && st.Provisioning.LastChange.Time.After(since) {
			return *st.Provisioning.LastChange
		}
		select {
		case <-ctx.Done():
			t.Fatal("no provisioning fetch")
		case <-time.After(20 * time.Millisecond): // polling the status page
		}
	}
}

// changeLike waits up to 20 s for a configuration change after since
// with the outcome and text wanted, and returns it, or the last change
// seen when none came.
func changeLike(ctx context.Context, t *testing.T, d *liveDoor, since time.Time, outcome, want string) fetchResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	last := lastChangeAfter(ctx, t, d, since)
	for last.Outcome != outcome || !strings.Contains(last.Message+" "+last.Source, want) {
		select {
		case <-ctx.Done():
			return last
		case <-time.After(20 * time.Millisecond): // polling the status page
		}
		if next := latestChange(t, d); next != nil && next.Time.After(last.Time) {
			last = *next
		}
	}
	return last
}

// latestChange is the status page's last configuration change, if any.
func latestChange(t *testing.T, d *liveDoor) *fetchResult {
	t.Helper()
	var st struct {
		Provisioning struct {
			LastChange *fetchResult `json:"last_change"`
		} `json:"provisioning"`
	}
	_, b := d.api(t, "GET", "/api/status", "")
	if json.Unmarshal(b, &st) != nil {
		return nil
	}
	return st.Provisioning.LastChange
}

// runningDisplayName is sip.display_name of the configuration in force.
func runningDisplayName(t *testing.T, d *liveDoor) string {
	t.Helper()
	code, b := d.api(t, "GET", "/api/config", "")
	var cfg struct {
		SIP struct {
			DisplayName string `json:"display_name"`
		} `json:"sip"`
	}
	if err := json.Unmarshal(b, &cfg); err != nil || code != http.StatusOK {
		t.Fatalf("GET /api/config: %d %s", code, b)
	}
	return cfg.SIP.DisplayName
}
