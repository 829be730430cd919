package provisioning

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// LKGSuffix names the last-known-good copy kept beside the config file.
const LKGSuffix = ".lkg"

// WriteFileAtomic replaces path with data so that a reader (or the next
// boot, after a power cut or kill -9 at any moment) sees either the old
// file or the new one, whole: the data goes to a temporary file in the
// same directory, is fsynced, renamed over path, and the directory is
// fsynced so the rename itself is durable.
func WriteFileAtomic(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+tempMark+"*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	name := tmp.Name()
	fail := func(err error) error {
		tmp.Close()
		os.Remove(name)
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Chmod(perm); err != nil {
		return fail(err)
	}
	if _, err := tmp.Write(data); err != nil {
		return fail(err)
	}
	if err := tmp.Sync(); err != nil {
		return fail(err)
	}
	if err := tmp.Close(); err != nil {
		return fail(err)
	}
	if err := os.Rename(name, path); err != nil {
		os.Remove(name)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync dir %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync dir %s: %w", dir, err)
	}
	return nil
}

// persist writes data as the config at path, first keeping the file it
// replaces as path+LKGSuffix (when there is one and it differs). Both
// steps are atomic; a crash between them leaves the old config in place
// and the last-known-good updated, which is still a good pair.
func persist(path string, data []byte) error {
	old, err := os.ReadFile(path)
	switch {
	case err == nil:
		if string(old) == string(data) {
			return nil
		}
		if err := WriteFileAtomic(path+LKGSuffix, old, 0o600); err != nil {
			return err
		}
	case !os.IsNotExist(err):
		return fmt.Errorf("persist %s: %w", path, err)
	}
	return WriteFileAtomic(path, data, 0o600)
}

// tempMark is what WriteFileAtomic puts between ".<name>" and the random
// digits of its temporary file.
const tempMark = ".tmp"

// CleanTemp removes the temporary files WriteFileAtomic leaves behind when
// the process is killed in the middle of a write (".<name>.tmp<digits>"
// beside the file), for the configuration file at path and its
// last-known-good (LKGSuffix) and pending-change (PendingSuffix) files.
// They are never read, only piled up. Call it at start, before anything
// writes these files. It returns the files removed.
func CleanTemp(path string) ([]string, error) {
	return cleanTempOf(path, path+LKGSuffix, path+PendingSuffix)
}

// cleanTempOf removes the atomic writer's temporary files of each path.
func cleanTempOf(paths ...string) ([]string, error) {
	var removed []string
	var errs []error
	for _, p := range paths {
		if p == "" {
			continue
		}
		dir, prefix := filepath.Dir(p), "."+filepath.Base(p)+tempMark
		ents, err := os.ReadDir(dir)
		if err != nil {
			if !os.IsNotExist(err) {
				errs = append(errs, fmt.Errorf("clean temporary files of %s: %w", p, err))
			}
			continue
		}
		for _, e := range ents {
			name := e.Name()
			if !e.Type().IsRegular() || !strings.HasPrefix(name, prefix) || !allDigits(name[len(prefix):]) {
				continue
			}
			full := filepath.Join(dir, name)
			if err := os.Remove(full); err != nil && !os.IsNotExist(err) {
				errs = append(errs, fmt.Errorf("clean temporary files of %s: %w", p, err))
				continue
			}
			removed = append(removed, full)
		}
	}
	return removed, errors.Join(errs...)
}

func allDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

// ErrStateTooLarge is wrapped by ReadStateJSON for a file over its bound.
var ErrStateTooLarge = errors.New("state file too large")

// ReadStateJSON decodes the JSON state file at path into v, reading at
// most limit bytes of it. A missing file is an empty state: v is left as
// it is and found is false. A file over limit (ErrStateTooLarge), one that
// cannot be read, and one that is not one JSON value are errors naming
// the path. It is the reading side of WriteFileAtomic's state files.
func ReadStateJSON(path string, limit int64, v any) (found bool, err error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read %s: %w", path, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return false, fmt.Errorf("read %s: %w", path, err)
	}
	if int64(len(b)) > limit {
		return false, fmt.Errorf("read %s: %w (over %d bytes)", path, ErrStateTooLarge, limit)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return false, fmt.Errorf("decode %s: %w", path, err)
	}
	return true, nil
}
