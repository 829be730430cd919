package provisioning

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// DownloadDir, in the state dir, holds firmware being downloaded, one
// partial file per sha256, so a download cut by a network failure or a
// power cut resumes where it stopped (HTTP Range).
const DownloadDir = "firmware-download"

// downloadFile fetches f into dir/SHA256.part, resuming a partial file
// left by an earlier try, and returns the path of the complete file once
// its size and sha256 match f. A mismatch removes the partial file (the
// next try starts over) and is a refusal; a cut is ErrFirmwareFetch with
// what arrived kept. Other SHA256.part files are removed: one download at
// a time.
func downloadFile(ctx context.Context, client *http.Client, dir string, f ManifestFile) (string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("%w: download dir %s: %v", ErrFirmware, dir, err)
	}
	path := filepath.Join(dir, f.SHA256+".part")
	removeOtherParts(dir, path)
	have, err := partialSize(path, f.Size)
	if err != nil {
		return "", err
	}
	if have < f.Size {
		if err := fetchRange(ctx, client, path, have, f); err != nil {
			return "", err
		}
	}
	if err := checkDownload(path, f); err != nil {
		if !errors.Is(err, ErrFirmwareFetch) {
			os.Remove(path)
		}
		return "", err
	}
	return path, nil
}

// partialSize is how much of a download is on disk already; a file
// longer than size (it cannot be ours) is removed.
func partialSize(path string, size int64) (int64, error) {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return 0, nil
	case err != nil:
		return 0, fmt.Errorf("%w: %s: %v", ErrFirmware, path, err)
	case fi.Size() > size:
		os.Remove(path)
		return 0, nil
	}
	return fi.Size(), nil
}

func removeOtherParts(dir, keep string) {
	old, _ := filepath.Glob(filepath.Join(dir, "*.part"))
	for _, p := range old {
		if p != keep {
			os.Remove(p)
		}
	}
}

// fetchRange appends f's bytes from offset have to path. A server that
// ignores the Range header (200) starts the file over.
func fetchRange(ctx context.Context, client *http.Client, path string, have int64, f ManifestFile) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, f.URL, nil)
	if err != nil {
		return fmt.Errorf("%w: %w: %s: %v", ErrFirmware, ErrFirmwareFetch, f.URL, err)
	}
	if have > 0 {
		req.Header.Set("Range", "bytes="+strconv.FormatInt(have, 10)+"-")
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("%w: %w: %s: %v", ErrFirmware, ErrFirmwareFetch, f.URL, err)
	}
	defer resp.Body.Close()
	flags := os.O_WRONLY | os.O_CREATE | os.O_APPEND
	switch {
	case resp.StatusCode == http.StatusPartialContent && contentRangeStart(resp.Header.Get("Content-Range")) == have:
	case resp.StatusCode == http.StatusOK:
		flags, have = os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0
	case resp.StatusCode == http.StatusNotFound:
		return fmt.Errorf("%w: %s: %s", ErrFirmware, f.URL, resp.Status)
	default:
		return fmt.Errorf("%w: %w: %s (from byte %d): %s %q", ErrFirmware, ErrFirmwareFetch, f.URL, have, resp.Status, resp.Header.Get("Content-Range"))
	}
	out, err := os.OpenFile(path, flags, 0o600)
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrFirmware, path, err)
	}
	_, cerr := io.Copy(out, io.LimitReader(resp.Body, f.Size-have))
	if err := out.Sync(); cerr == nil {
		cerr = err
	}
	if err := out.Close(); cerr == nil {
		cerr = err
	}
	if cerr != nil {
		return fmt.Errorf("%w: %w: %s: cut after byte %d: %v", ErrFirmware, ErrFirmwareFetch, f.URL, have, cerr)
	}
	return nil
}

// contentRangeStart reads the first byte of "bytes FIRST-LAST/SIZE"; -1
// when it does not parse.
func contentRangeStart(h string) int64 {
	s, ok := strings.CutPrefix(h, "bytes ")
	if !ok {
		return -1
	}
	first, _, ok := strings.Cut(s, "-")
	n, err := strconv.ParseInt(first, 10, 64)
	if !ok || err != nil {
		return -1
	}
	return n
}

// checkDownload compares the file at path with f's size and sha256. A
// short file is a cut download (ErrFirmwareFetch), kept to resume.
func checkDownload(path string, f ManifestFile) error {
	in, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrFirmware, path, err)
	}
	defer in.Close()
	h := sha256.New()
	n, err := io.Copy(h, in)
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrFirmware, path, err)
	}
	if n < f.Size {
		return fmt.Errorf("%w: %w: %s: %d of %d bytes", ErrFirmware, ErrFirmwareFetch, f.URL, n, f.Size)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != f.SHA256 {
		return fmt.Errorf("%w: %s: sha256 %s, the manifest says %s", ErrFirmware, f.URL, got, f.SHA256)
	}
	return nil
}
