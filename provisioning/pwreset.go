package provisioning

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
)

// Resetting the admin password without a keyboard: a person who lost it
// takes the SD card out, writes a file named PasswordResetFile holding
// the new password onto its boot partition (FAT, readable by any
// computer) and puts the card back. At the next start the password is
// reset to the file's first line (or, with an empty file, a new one is
// generated and logged once), the file is removed where it can be, and
// only the admin password changes: the configuration, sessions aside,
// stays as it was.

// PasswordResetFile is the name of the file that resets the admin
// password at start.
const PasswordResetFile = "sipbell-password.txt"

// passwordResetState remembers the last reset: the reset file's hash,
// so a file that could not be removed (a read-only boot partition)
// resets once, not at every start; and the hash of the password the
// configuration set then, which the reset overrides until the
// configuration sets another one.
const passwordResetState = "admin-password-reset.json"

// minResetPassword is the shortest password a reset file may set.
const minResetPassword = 8

// ErrResetPassword is wrapped by errors about a password reset file.
var ErrResetPassword = errors.New("admin password reset")

type resetState struct {
	FileSHA256 string       `json:"file_sha256"`
	Overrides  passwordHash `json:"overrides,omitempty"`
}

func readResetState(stateDir string) resetState {
	var st resetState
	if b, err := os.ReadFile(filepath.Join(stateDir, passwordResetState)); err == nil {
		_ = json.Unmarshal(b, &st)
	}
	return st
}

// overridden reports whether configured is the password a reset
// overrode: it no longer applies.
func overridden(stateDir, configured string) bool {
	st := readResetState(stateDir)
	return configured != "" && st.Overrides != "" && st.Overrides.verify(configured)
}

// resetPasswordFromFile resets the admin password from the first of
// files that exists and was not used before. It returns the file used
// ("" when none).
func resetPasswordFromFile(stateDir string, files []string, configured string, log *slog.Logger) (string, error) {
	st := readResetState(stateDir)
	for _, f := range files {
		data, err := readSmall(f)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("%w: %s: %w", ErrResetPassword, f, err)
		}
		sum := sha256.Sum256(data)
		if hex.EncodeToString(sum[:]) == st.FileSHA256 {
			continue // used before, could not be removed
		}
		pw, _, _ := strings.Cut(strings.TrimSpace(string(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")))), "\n")
		pw = strings.TrimSpace(pw)
		generated := pw == ""
		if generated {
			if pw, err = generatePassword(); err != nil {
				return "", err
			}
		} else if len(pw) < minResetPassword {
			log.Warn("admin password NOT reset: the reset file's password is shorter than 8 characters", "file", f)
			continue
		}
		if _, err := storePassword(filepath.Join(stateDir, PasswordFile), pw); err != nil {
			return "", err
		}
		next := resetState{FileSHA256: hex.EncodeToString(sum[:])}
		if configured != "" && configured != Redacted {
			if next.Overrides, err = hashPassword(configured); err != nil {
				return "", err
			}
		}
		b, _ := json.Marshal(next)
		if err := WriteFileAtomic(filepath.Join(stateDir, passwordResetState), b, 0o600); err != nil {
			return "", err
		}
		removed := os.Remove(f) == nil
		if generated {
			log.Warn("admin password reset from a file: generated one, shown only this once", "file", f, "removed", removed, "user", "admin", "password", pw)
		} else {
			log.Warn("admin password reset from a file", "file", f, "removed", removed)
		}
		return f, nil
	}
	return "", nil
}

// readSmall reads at most 4 KiB of a file.
func readSmall(path string) ([]byte, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	return io.ReadAll(io.LimitReader(fh, 4<<10))
}
