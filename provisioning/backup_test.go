package provisioning

import (
	"archive/tar"
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBackupRestore: a backup holds the file as written and the device's
// identity, encrypted to a passphrase; a restore with the wrong
// passphrase, a cut-short file, an encrypted file without passphrase or
// an invalid configuration changes nothing; the right one brings back
// the configuration (applied) and the identity files.
func TestBackupRestore(t *testing.T) {
	t.Parallel()
	e := newAdminEnv(t, nil)
	state := e.admin.opts.StateDir
	if _, _, err := LoadOrCreateAgeIdentity(filepath.Join(state, AgeKeyFile)); err != nil {
		t.Fatal(err)
	}
	if _, err := adminCertificate(AdminConfig{}, state); err != nil {
		t.Fatal(err)
	}
	hand := "# the back gate\nsip:\n  display_name: Back gate\n"
	if res, body := e.do(t, "PUT", "/api/config", testAdminPW, hand); res.StatusCode != http.StatusOK {
		t.Fatalf("PUT: %d %s", res.StatusCode, body)
	}
	res, enc := e.do(t, "POST", "/api/backup", testAdminPW, `{"passphrase":"correct horse"}`)
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(enc, "age-encryption.org/v1") || strings.Contains(enc, "Back gate") {
		t.Fatalf("backup: %d %.60q", res.StatusCode, enc)
	}
	if res, _ := e.do(t, "POST", "/api/backup", "", `{}`); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("backup without login: %d", res.StatusCode)
	}
	_, plain := e.do(t, "POST", "/api/backup", testAdminPW, `{}`)
	key, _ := os.ReadFile(filepath.Join(state, AgeKeyFile))
	cert, _ := os.ReadFile(filepath.Join(state, SelfSignedCertFile))
	if !strings.Contains(plain, hand) || !strings.Contains(plain, string(key)) || !strings.Contains(plain, string(cert)) {
		t.Fatal("the plain backup lacks the file, the age key or the certificate")
	}
	var bad bytes.Buffer
	tw := tar.NewWriter(&bad)
	_ = tw.WriteHeader(&tar.Header{Name: backupConfigName, Mode: 0o600, Size: 22})
	_, _ = tw.Write([]byte("sip:\n  listen: nowhere\n"))
	_ = tw.Close()

	// Changed since the backup: restores must say no, or bring it back.
	if res, body := e.do(t, "PATCH", "/api/config", testAdminPW, `{"sip":{"display_name":"Changed"}}`); res.StatusCode != http.StatusOK {
		t.Fatalf("PATCH: %d %s", res.StatusCode, body)
	}
	if err := os.Remove(filepath.Join(state, AgeKeyFile)); err != nil {
		t.Fatal(err)
	}
	restore := func(body, passphrase string) (int, string) {
		req, _ := http.NewRequest("POST", e.URL+"/api/restore", strings.NewReader(body))
		req.SetBasicAuth("admin", testAdminPW)
		req.Header.Set("X-Backup-Passphrase", passphrase)
		res, err := e.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var b bytes.Buffer
		_, _ = b.ReadFrom(res.Body)
		return res.StatusCode, b.String()
	}
	for _, tc := range []struct {
		name, body, passphrase, says string
		code                         int
	}{
		{"wrong passphrase", enc, "wrong horse", "wrong passphrase", 400},
		{"no passphrase", enc, "", "give its passphrase", 400},
		{"cut short", enc[:len(enc)/2], "correct horse", "cut short", 400},
		{"plain cut short", plain[:700], "", "cut short", 400},
		{"not a backup", "hello", "", "", 400},
		{"invalid configuration", bad.String(), "", "sip.listen", 422},
	} {
		code, body := restore(tc.body, tc.passphrase)
		if code != tc.code || !strings.Contains(body, tc.says) {
			t.Errorf("%s: %d %s", tc.name, code, body)
		}
		if got := e.mgr.Current().SIP.DisplayName; got != "Changed" {
			t.Fatalf("%s: the running configuration changed to %q", tc.name, got)
		}
	}
	if _, err := os.Stat(filepath.Join(state, AgeKeyFile)); !os.IsNotExist(err) {
		t.Fatal("a refused restore wrote the age key")
	}
	if code, body := restore(enc, "correct horse"); code != http.StatusOK || !strings.Contains(body, "applied") {
		t.Fatalf("restore: %d %s", code, body)
	}
	if got := e.mgr.Current().SIP.DisplayName; got != "Back gate" {
		t.Fatalf("after restore: %q", got)
	}
	if b, _ := os.ReadFile(e.mgr.Path()); string(b) != hand {
		t.Fatalf("restored file:\n%s", b)
	}
	if b, _ := os.ReadFile(filepath.Join(state, AgeKeyFile)); !bytes.Equal(b, key) {
		t.Fatal("the age identity was not restored")
	}
}
