package provisioning

import (
	"encoding/json"
	"fmt"
	"os"
)

// PullStateFile is the name, in the state dir, of the file where pull
// provisioning remembers what it last took from the server (validators
// and body per URL), so that a restart does not mistake an unchanged
// server file for a new one and undo a local change.
const PullStateFile = "pull-state.json"

// pullState is the on-disk form of the Puller's cache.
type pullState struct {
	Files map[string]*cacheEntry `json:"files"`
}

// loadPullState reads the cache kept at path; a missing or unreadable
// file is an empty cache (the next fetch is then unconditional).
func loadPullState(path string) (map[string]*cacheEntry, error) {
	out := map[string]*cacheEntry{}
	if path == "" {
		return out, nil
	}
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return out, nil
	}
	if err != nil {
		return out, fmt.Errorf("read pull state %s: %w", path, err)
	}
	var st pullState
	if err := json.Unmarshal(data, &st); err != nil {
		return out, fmt.Errorf("read pull state %s: %w", path, err)
	}
	for u, e := range st.Files {
		if e != nil && len(e.Body) <= MaxFileSize {
			out[u] = e
		}
	}
	return out, nil
}

// savePullState writes the cache to path atomically (0600: the bodies
// hold the configuration, passwords included). An empty path keeps
// nothing.
func savePullState(path string, files map[string]*cacheEntry) error {
	if path == "" {
		return nil
	}
	data, err := json.Marshal(pullState{Files: files})
	if err != nil {
		return fmt.Errorf("save pull state %s: %w", path, err)
	}
	return WriteFileAtomic(path, data, 0o600)
}
