package provisioning

import (
	"fmt"
	"os"
	"path/filepath"
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
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
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
