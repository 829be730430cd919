package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// SeedSuffix names the copy of the image's configuration last installed
// on /perm, beside the live file: it tells an edit made on the device
// from a new default in a new image.
const SeedSuffix = ".seed"

// Outcome says what Seed did with the live configuration.
type Outcome string

// Outcomes of Seed.
const (
	Created  Outcome = "created"  // no live file: the image's copied in
	Kept     Outcome = "kept"     // the image's unchanged since the last seed
	Updated  Outcome = "updated"  // new image default, live file unedited: replaced
	Diverged Outcome = "diverged" // new image default, live file edited: kept
)

// Seed makes sure live exists, copying it from seed (the image's read-only
// configuration) the way dpkg treats a conffile: a live file edited on the
// device (by the web page or provisioning) is never overwritten; an
// unedited one follows a new image's default. live+SeedSuffix remembers
// the seed last installed. Files are written atomically with mode 0600 in
// a 0700 directory, which Seed creates.
func Seed(seed, live string) (Outcome, error) {
	want, err := os.ReadFile(seed)
	if err != nil {
		return "", fmt.Errorf("seed config: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(live), 0o700); err != nil {
		return "", fmt.Errorf("seed config: %w", err)
	}
	mark := live + SeedSuffix
	cur, err := os.ReadFile(live)
	if errors.Is(err, fs.ErrNotExist) {
		if err := writeAtomic(live, want); err != nil {
			return "", err
		}
		return Created, writeAtomic(mark, want)
	}
	if err != nil {
		return "", fmt.Errorf("seed config: %w", err)
	}
	last, err := os.ReadFile(mark)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("seed config: %w", err)
	}
	switch {
	case err == nil && bytes.Equal(last, want):
		return Kept, nil
	case err == nil && bytes.Equal(cur, last), bytes.Equal(cur, want):
		if err := writeAtomic(live, want); err != nil {
			return "", err
		}
		return Updated, writeAtomic(mark, want)
	default:
		return Diverged, writeAtomic(mark, want)
	}
}

// writeAtomic replaces path with data: temporary file in the same
// directory, fsync, rename, directory fsync.
func writeAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	name := tmp.Name()
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(name, path)
	}
	if err != nil {
		os.Remove(name)
		return fmt.Errorf("write %s: %w", path, err)
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
