package provisioning

import (
	"archive/tar"
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"filippo.io/age"
)

// Backup and restore of what a device needs to be itself again on a new
// SD card: its configuration file (as written, comments and secrets
// included), the web page's self-signed TLS certificate and key, and
// its age identity (the key provisioning files are encrypted to). It
// holds secrets, so it sits behind the admin login and is offered
// encrypted to a passphrase (age's scrypt recipient).
//
//	POST /api/backup   {"passphrase": "..."}  a tar file (age-encrypted with a passphrase)
//	POST /api/restore  the file as body, the passphrase in X-Backup-Passphrase
//
// A restore is checked whole before anything changes: the file decrypts
// and reads to its end, the configuration is valid, the certificate and
// key match, the age key parses. The configuration is then applied like
// any change (kept only when the device proves healthy); the certificate
// and age key are written for the next start.

// backupConfigName is the configuration's name inside a backup.
const backupConfigName = "sipbell.yaml"

// backupStateFiles are the state files a backup holds.
var backupStateFiles = []string{SelfSignedCertFile, SelfSignedKeyFile, AgeKeyFile}

// maxBackup bounds a backup file and each file in it.
const maxBackup = 4 << 20

// backupWorkFactor is the scrypt cost of a backup's passphrase: 2^15
// (32 MiB of memory, a fraction of a second on a Pi); a file asking for
// more than twice that is refused, so an upload cannot make the device
// spend gigabytes.
const backupWorkFactor = 15

// ErrBackup is wrapped by errors about a backup file.
var ErrBackup = errors.New("backup file")

func (a *Admin) backup(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Passphrase string `json:"passphrase"`
	}
	if !readJSON(w, r, &req) {
		return
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	add := func(name string, data []byte) error {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o600, Size: int64(len(data)), ModTime: a.clk.Now()}); err != nil {
			return err
		}
		_, err := tw.Write(data)
		return err
	}
	err := add(backupConfigName, a.document())
	included := []string{"configuration"}
	for _, name := range backupStateFiles {
		data, rerr := os.ReadFile(filepath.Join(a.opts.StateDir, name))
		if rerr != nil {
			continue // not made on this device (no TLS, no age key yet)
		}
		included = append(included, name)
		if err == nil {
			err = add(name, data)
		}
	}
	if err == nil {
		err = tw.Close()
	}
	out, name := buf.Bytes(), "sipbell-backup.tar"
	if err == nil && req.Passphrase != "" {
		out, err = encryptPassphrase(out, req.Passphrase)
		name += ".age"
	}
	if err != nil {
		writeError(w, http.StatusInternalServerError, "backup: "+err.Error())
		return
	}
	a.log.Info("backup downloaded", "from", clientAddr(r), "encrypted", req.Passphrase != "", "holds", strings.Join(included, ", "))
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	_, _ = w.Write(out)
}

func encryptPassphrase(plain []byte, passphrase string) ([]byte, error) {
	rcp, err := age.NewScryptRecipient(passphrase)
	if err != nil {
		return nil, err
	}
	rcp.SetWorkFactor(backupWorkFactor)
	var out bytes.Buffer
	wc, err := age.Encrypt(&out, rcp)
	if err != nil {
		return nil, err
	}
	if _, err := wc.Write(plain); err != nil {
		return nil, err
	}
	if err := wc.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// readBackup decrypts (when encrypted) and reads a backup whole: every
// file it holds by name.
func readBackup(body []byte, passphrase string) (map[string][]byte, error) {
	if isAgeEncrypted(body) {
		if passphrase == "" {
			return nil, fmt.Errorf("%w: it is encrypted: give its passphrase", ErrBackup)
		}
		id, err := age.NewScryptIdentity(passphrase)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrBackup, err)
		}
		id.SetMaxWorkFactor(backupWorkFactor + 1)
		rd, err := age.Decrypt(bytes.NewReader(body), id)
		if err != nil {
			return nil, fmt.Errorf("%w: wrong passphrase, or not a sipbell backup", ErrBackup)
		}
		if body, err = io.ReadAll(io.LimitReader(rd, maxBackup+1)); err != nil {
			return nil, fmt.Errorf("%w: cut short or damaged (%v)", ErrBackup, err)
		}
	}
	// A whole tar file ends with two zero blocks: without them it was cut.
	if len(body) < 1024 || len(body)%512 != 0 || !allZero(body[len(body)-1024:]) {
		return nil, fmt.Errorf("%w: cut short or damaged (no end of archive)", ErrBackup)
	}
	known := map[string]bool{backupConfigName: true}
	for _, n := range backupStateFiles {
		known[n] = true
	}
	files := map[string][]byte{}
	tr := tar.NewReader(bytes.NewReader(body))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: cut short or damaged (%v)", ErrBackup, err)
		}
		if !known[h.Name] || h.Size > maxBackup || files[h.Name] != nil {
			return nil, fmt.Errorf("%w: unexpected entry %q", ErrBackup, h.Name)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			return nil, fmt.Errorf("%w: cut short or damaged (%v)", ErrBackup, err)
		}
		files[h.Name] = data
	}
	if files[backupConfigName] == nil {
		return nil, fmt.Errorf("%w: no configuration in it (not a sipbell backup?)", ErrBackup)
	}
	cert, key := files[SelfSignedCertFile], files[SelfSignedKeyFile]
	if (cert == nil) != (key == nil) {
		return nil, fmt.Errorf("%w: a certificate without its key, or a key without its certificate", ErrBackup)
	}
	if cert != nil {
		if _, err := tls.X509KeyPair(cert, key); err != nil {
			return nil, fmt.Errorf("%w: the web page's certificate: %v", ErrBackup, err)
		}
	}
	if k := files[AgeKeyFile]; k != nil {
		if _, err := parseAgeKey(k); err != nil {
			return nil, fmt.Errorf("%w: the age identity: %v", ErrBackup, err)
		}
	}
	return files, nil
}

func (a *Admin) restore(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r, maxBackup)
	if !ok {
		return
	}
	files, err := readBackup(body, r.Header.Get("X-Backup-Passphrase"))
	if err != nil {
		a.log.Warn("restore refused", "from", clientAddr(r), "err", err)
		writeError(w, http.StatusBadRequest, err.Error()+"; nothing was changed")
		return
	}
	doc := files[backupConfigName]
	f, err := Parse(doc)
	if err != nil {
		a.log.Warn("restore refused: its configuration is not valid", "from", clientAddr(r))
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"errors": Problems(err)})
		return
	}
	res, err := a.opts.Manager.ReplaceDocument(r.Context(), "restore "+clientAddr(r), f, doc)
	if err != nil {
		writeJSON(w, http.StatusConflict, map[string]any{"result": res, "error": "restore: " + err.Error() + "; the running configuration was kept"})
		return
	}
	var written []string
	for _, name := range backupStateFiles {
		if data := files[name]; data != nil {
			if err := WriteFileAtomic(filepath.Join(a.opts.StateDir, name), data, 0o600); err != nil {
				writeJSON(w, http.StatusInternalServerError, map[string]any{"result": res, "error": "restore: " + err.Error()})
				return
			}
			written = append(written, name)
		}
	}
	a.log.Info("backup restored", "from", clientAddr(r), "config", res.Outcome, "state", strings.Join(written, ", "))
	msg := "configuration " + res.Outcome
	if len(written) > 0 {
		msg += "; " + strings.Join(written, ", ") + " restored for the next start"
	}
	writeJSON(w, http.StatusOK, map[string]any{"result": res, "message": msg})
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
