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

	"github.com/sipbell/sipbell/provisioning/cdptest"
)

// ageEncryptTo encrypts body to recipient with the real age CLI
// (armored with -a when armor is set).
func ageEncryptTo(t *testing.T, recipient, body string, armor bool) string {
	t.Helper()
	tool := requireTool(t, "age", "age")
	dir := t.TempDir()
	in, out := filepath.Join(dir, "cfg.yaml"), filepath.Join(dir, "cfg.age")
	if err := os.WriteFile(in, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"-r", recipient, "-o", out}
	if armor {
		args = append(args, "-a")
	}
	if b, err := exec.Command(tool, append(args, in)...).CombinedOutput(); err != nil {
		t.Fatalf("age -r: %v\n%s", err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// strangerRecipient is the recipient of a key made by age-keygen.
func strangerRecipient(t *testing.T) string {
	t.Helper()
	tool := requireTool(t, "age-keygen", "age")
	key := filepath.Join(t.TempDir(), "k.txt")
	if b, err := exec.Command(tool, "-o", key).CombinedOutput(); err != nil {
		t.Fatalf("age-keygen: %v\n%s", err, b)
	}
	b, err := exec.Command(tool, "-y", key).Output()
	if err != nil {
		t.Fatalf("age-keygen -y: %v", err)
	}
	return strings.TrimSpace(string(b))
}

// statusRecipient is provisioning.age_recipient of GET /api/status.
func statusRecipient(t *testing.T, d *liveDoor) string {
	t.Helper()
	var st struct {
		Provisioning struct {
			AgeRecipient string `json:"age_recipient"`
		} `json:"provisioning"`
	}
	if _, b := d.api(t, "GET", "/api/status", ""); json.Unmarshal(b, &st) != nil {
		t.Fatalf("GET /api/status: %s", b)
	}
	return st.Provisioning.AgeRecipient
}

// TestEncryptedProvisioningBinary runs sipbell against a loopback
// provisioning server serving files encrypted with the real age CLI to
// the recipient the device shows in its log and status API: a plain file
// is applied while nothing requires encryption; a file encrypted to the
// device is applied; one encrypted to another key is refused and the
// running configuration kept; once a file sets require_encryption a plain
// file is refused. The identity file is 0600, its secret in no log or
// API answer, and a second start on the same state dir shows the same
// recipient. The web page's status shows the recipient.
func TestEncryptedProvisioningBinary(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var mu sync.Mutex
	served := "sip:\n  listen: 127.0.0.1:0\n  user: door\n  display_name: Plain\nboard:\n  profile: sim\n"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		b := served
		mu.Unlock()
		_, _ = w.Write([]byte(b))
	}))
	defer srv.Close()
	state := filepath.Join(t.TempDir(), "state")
	cfg := func(url string) string {
		return fmt.Sprintf("sip:\n  listen: 127.0.0.1:0\n  user: door\n  display_name: Local\nboard:\n  profile: sim\n"+
			"provisioning:\n  url: %q\n  interval: 24h\n  dhcp_lease_files: []\n  state_dir: %s\n"+
			"  admin:\n    listen: 127.0.0.1:0\n    tls: false\n    password: %q\n", url, state, liveDoorPassword)
	}
	p := startDoor(t, cfg(srv.URL+"/door.yaml"))
	recipient, _ := p.awaitLog(ctx, t, "age identity made: encrypt provisioning files to this recipient (age -r)", nil)["recipient"].(string)
	d := &liveDoor{p: p, password: liveDoorPassword, client: &http.Client{Timeout: 15 * time.Second}}
	d.url = strings.TrimSuffix(p.awaitLog(ctx, t, "admin web UI", nil)["url"].(string), "/")
	if got := statusRecipient(t, d); !strings.HasPrefix(recipient, "age1") || got != recipient {
		t.Fatalf("recipient: log %q, status API %q", recipient, got)
	}
	doc := func(display string, require bool) string {
		s := "sip:\n  listen: 127.0.0.1:0\n  user: door\n  display_name: " + display + "\nboard:\n  profile: sim\n"
		if require {
			s += "provisioning:\n  require_encryption: true\n"
		}
		return s
	}
	step := func(name, body, outcome, want, display string) provisionStep {
		return provisionStep{name, func() { mu.Lock(); served = body; mu.Unlock() }, outcome, want, display}
	}
	runProvisionSteps(ctx, t, d, []provisionStep{
		step("plain, not required", "", "applied", "door.yaml", "Plain"),
		step("binary, to the device", ageEncryptTo(t, recipient, doc("Secret", false), false), "applied", "encrypted to the device", "Secret"),
		step("to another recipient", ageEncryptTo(t, strangerRecipient(t), doc("Stranger", false), false), "invalid", "encrypted to another recipient", "Secret"),
		step("armored, requires encryption", ageEncryptTo(t, recipient, doc("Required", true), true), "applied", "encrypted to the device", "Required"),
		step("plain, encryption required", doc("PlainAgain", true), "invalid", "is not encrypted", "Required"),
	})
	checkAgeSecretKept(ctx, t, d, state, recipient, cfg(""))
	// The web page's status shows the recipient to encrypt to.
	b := cdptest.Start(t)
	b.Navigate(d.url + "/")
	b.WaitFor(ctx, "the login form", `!document.querySelector("#login").hidden`)
	b.Eval(`document.querySelector("#password").value = `+jsQuote(d.password)+`; document.querySelector("#login-form").requestSubmit()`, nil)
	b.WaitFor(ctx, "the recipient on the status page", `document.querySelector("#prov-summary").textContent.includes("Encrypt provisioning files to (age -r): `+recipient+`")`)
}

// checkAgeSecretKept: the key file is 0600, its secret in no log line or
// API answer, and a second start on the state dir keeps the recipient.
func checkAgeSecretKept(ctx context.Context, t *testing.T, d *liveDoor, state, recipient, cfg string) {
	t.Helper()
	path := filepath.Join(state, "age.key")
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("%s: mode %v, %v; want 0600", path, st.Mode(), err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	secret := raw[strings.Index(string(raw), "AGE-SECRET-KEY-"):]
	secret = secret[:strings.IndexByte(string(secret), '\n')]
	var answers strings.Builder
	for _, path := range []string{"/api/status", "/api/config", "/api/history"} {
		_, b := d.api(t, "GET", path, "")
		answers.Write(b)
	}
	d.p.mu.Lock()
	logs := d.p.all.String()
	d.p.mu.Unlock()
	if strings.Contains(strings.ToUpper(logs+answers.String()), string(secret)) {
		t.Fatal("the age secret key is in a log line or an API answer")
	}
	again := startDoor(t, cfg)
	if got := again.awaitLog(ctx, t, "age identity: encrypt provisioning files to this recipient (age -r)", nil)["recipient"]; got != recipient {
		t.Fatalf("after a restart the recipient is %v, was %s", got, recipient)
	}
}
