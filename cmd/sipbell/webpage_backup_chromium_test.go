package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/interop"
	"github.com/sipbell/sipbell/provisioning/cdptest"
)

// TestWebPageBackupRestore (issue 19): the person's way, in headless
// Chromium on the real binary registered with Kamailio: on the Settings
// tab a backup encrypted to a passphrase is downloaded (a file in the
// browser's download folder); button 1 is then changed to call nobody;
// the file is chosen in the page's file input and restored, first with a
// wrong passphrase (refused, nothing changed), then with the right one:
// the hand-written comment and bob are back, the device stays registered
// and a press calls bob at baresip.
func TestWebPageBackupRestore(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	k := interop.StartKamailio(t, interop.KamailioOptions{})
	d := startLiveDoorWith(ctx, t, k, "# the front door, by hand\n"+liveDoorFile(k, interop.Password, "bob"), "")
	downloads := t.TempDir()
	b := cdptest.Start(t)
	b.Call("Emulation.setDeviceMetricsOverride", map[string]any{"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": true}, nil)
	b.Call("Browser.setDownloadBehavior", map[string]any{"behavior": "allow", "downloadPath": downloads}, nil)
	b.Navigate(d.url + "/")
	b.WaitFor(ctx, "the login form", `!document.querySelector("#login").hidden`)
	b.Eval(`document.querySelector("#password").value = `+jsQuote(d.password)+`; document.querySelector("#login-form").requestSubmit()`, nil)
	b.WaitFor(ctx, "the dashboard", `!document.querySelector("#app").hidden`)
	b.Eval(`document.querySelector('nav button[data-tab="config"]').click()`, nil)
	b.Eval(`document.querySelector("#backup-pass").value = "long enough passphrase"; document.querySelector("#backup-download").click()`, nil)
	msg := `document.querySelector("#backup-msg")`
	b.WaitFor(ctx, "the backup downloaded", msg+`.textContent === "Backup downloaded (encrypted)."`)
	file := filepath.Join(downloads, "sipbell-backup.tar.age")
	backup := awaitFile(ctx, t, file)
	if !bytes.HasPrefix(backup, []byte("age-encryption.org/v1")) {
		t.Fatalf("the downloaded backup is not age-encrypted: %.60q", backup)
	}
	b.Eval(`document.querySelector("#backup").scrollIntoView({block: "center"})`, nil)
	screenshot(t, b, "backup-downloaded-phone")

	d.set(t, "device.buttons[0].targets", []string{"nobody"})
	d.p.awaitLog(ctx, t, "configuration change confirmed: device healthy", nil)

	var root struct {
		Root struct {
			NodeID int `json:"nodeId"`
		} `json:"root"`
	}
	b.Call("DOM.getDocument", map[string]any{}, &root)
	var input struct {
		NodeID int `json:"nodeId"`
	}
	b.Call("DOM.querySelector", map[string]any{"nodeId": root.Root.NodeID, "selector": "#restore-file"}, &input)
	b.Call("DOM.setFileInputFiles", map[string]any{"nodeId": input.NodeID, "files": []string{file}}, nil)
	b.Eval(`document.querySelector("#backup-pass").value = "not the passphrase"; document.querySelector("#restore").click()`, nil)
	b.WaitFor(ctx, "the wrong passphrase refused", msg+`.classList.contains("error") && `+msg+`.textContent.startsWith("Not restored:")`)
	screenshot(t, b, "backup-refused-phone")
	if _, doc := d.api(t, "GET", "/api/config?format=yaml", ""); !strings.Contains(string(doc), "nobody") {
		t.Fatalf("a refused restore changed the configuration:\n%s", doc)
	}
	b.Eval(`document.querySelector("#backup-pass").value = "long enough passphrase"; document.querySelector("#restore").click()`, nil)
	b.WaitFor(ctx, "restored", msg+`.classList.contains("ok") && `+msg+`.textContent.startsWith("Restored:")`)
	screenshot(t, b, "backup-restored-phone")
	d.p.awaitLog(ctx, t, "configuration change confirmed: device healthy", nil)
	if _, doc := d.api(t, "GET", "/api/config?format=yaml", ""); !strings.Contains(string(doc), "# the front door, by hand") || !strings.Contains(string(doc), "targets: [bob]") {
		t.Fatalf("restored configuration:\n%s", doc)
	}
	b.WaitFor(ctx, "bob back in the form", `document.querySelector('input[data-path="device.buttons[0].targets"]').value === "bob"`)
	d.checkWorks(ctx, t, "restoring the backup from the page")
}

// awaitFile waits until path exists whole (Chromium writes a download
// under another name and renames it when done) and returns its content.
func awaitFile(ctx context.Context, t *testing.T, path string) []byte {
	t.Helper()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if b, err := os.ReadFile(path); err == nil {
			return b
		}
		select {
		case <-ctx.Done():
			entries, _ := os.ReadDir(filepath.Dir(path))
			t.Fatalf("no %s: %v (the folder holds %v)", path, ctx.Err(), entries)
		case <-tick.C:
		}
	}
}
