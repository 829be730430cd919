package main

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/interop"
)

// TestBackupRestoreOnTheBinary: on the real binary registered with
// Kamailio, a backup encrypted to a passphrase is downloaded; button 1 is
// then changed to call nobody; restores with a wrong passphrase and a
// cut-short file are refused and change nothing; the right one brings
// back the file (its hand-written comment too), the device proves healthy
// and a press calls bob again at baresip.
func TestBackupRestoreOnTheBinary(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	k := interop.StartKamailio(t, interop.KamailioOptions{})
	d := startLiveDoorWith(ctx, t, k, "# the front door, by hand\n"+liveDoorFile(k, interop.Password, "bob"), "")
	code, backup := d.api(t, "POST", "/api/backup", `{"passphrase":"long enough passphrase"}`)
	if code != http.StatusOK || !strings.HasPrefix(string(backup), "age-encryption.org/v1") {
		t.Fatalf("backup: %d %.80q", code, backup)
	}
	d.set(t, "device.buttons[0].targets", []string{"nobody"})
	d.p.awaitLog(ctx, t, "configuration change confirmed: device healthy", nil)

	restore := func(body []byte, passphrase string) (int, string) {
		req, _ := http.NewRequest("POST", d.url+"/api/restore", strings.NewReader(string(body)))
		req.SetBasicAuth("admin", d.password)
		req.Header.Set("Origin", d.url)
		req.Header.Set("X-Backup-Passphrase", passphrase)
		res, err := d.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	for _, tc := range []struct {
		name       string
		body       []byte
		passphrase string
	}{
		{"wrong passphrase", backup, "not the passphrase"},
		{"cut short", backup[:len(backup)*2/3], "long enough passphrase"},
		{"not a backup", []byte("sip:\n  user: x\n"), ""},
	} {
		if code, body := restore(tc.body, tc.passphrase); code != http.StatusBadRequest || !strings.Contains(body, "nothing was changed") {
			t.Fatalf("%s: %d %s", tc.name, code, body)
		}
	}
	if _, doc := d.api(t, "GET", "/api/config?format=yaml", ""); !strings.Contains(string(doc), "nobody") {
		t.Fatalf("a refused restore changed the configuration:\n%s", doc)
	}
	if code, body := restore(backup, "long enough passphrase"); code != http.StatusOK || !strings.Contains(body, "configuration applied") {
		t.Fatalf("restore: %d %s", code, body)
	}
	d.p.awaitLog(ctx, t, "configuration change confirmed: device healthy", nil)
	if _, doc := d.api(t, "GET", "/api/config?format=yaml", ""); !strings.Contains(string(doc), "# the front door, by hand") || !strings.Contains(string(doc), "targets: [bob]") {
		t.Fatalf("restored configuration:\n%s", doc)
	}
	d.checkWorks(ctx, t, "restoring the backup")
}
