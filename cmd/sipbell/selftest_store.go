package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/sipbell/sipbell/audio/selftest"
	"github.com/sipbell/sipbell/provisioning"
)

// selfTestFile is where the last speaker and microphone self-test's
// outcome is kept in the state directory, so that a restart still shows it.
const selfTestFile = "selftest.json"

// Bounds of a kept outcome: the file read back, the detail text (an
// error from a sound card can be long) and the bands (selftest.Tones).
const (
	maxSelfTestFile   = 16 << 10
	maxSelfTestDetail = 1024
	maxSelfTestBands  = 32
)

// selfTestStore keeps the last self-test outcome in a state directory.
type selfTestStore struct{ path string }

// newSelfTestStore returns the store in stateDir, nil (nothing kept)
// without one.
func newSelfTestStore(stateDir string) *selfTestStore {
	if stateDir == "" {
		return nil
	}
	return &selfTestStore{path: filepath.Join(stateDir, selfTestFile)}
}

// Load reads the kept outcome; nil without a file (or a store).
func (s *selfTestStore) Load() (*selftest.Result, error) {
	if s == nil {
		return nil, nil
	}
	var r selftest.Result
	found, err := provisioning.ReadStateJSON(s.path, maxSelfTestFile, &r)
	if err != nil {
		return nil, fmt.Errorf("read self-test: %w", err)
	}
	if !found {
		return nil, nil
	}
	r = boundSelfTest(r)
	return &r, nil
}

// Save replaces the kept outcome atomically with r (bounded).
func (s *selfTestStore) Save(r selftest.Result) error {
	if s == nil {
		return nil
	}
	b, err := json.Marshal(boundSelfTest(r))
	if err != nil {
		return fmt.Errorf("save self-test %s: %w", s.path, err)
	}
	if err := os.MkdirAll(filepath.Dir(s.path), 0o700); err != nil {
		return fmt.Errorf("save self-test %s: %w", s.path, err)
	}
	return provisioning.WriteFileAtomic(s.path, b, 0o600)
}

// boundSelfTest cuts r's detail and bands to the kept bounds, so that the
// file, the status and the MQTT message stay small.
func boundSelfTest(r selftest.Result) selftest.Result {
	if len(r.Detail) > maxSelfTestDetail {
		cut := maxSelfTestDetail
		for cut > 0 && r.Detail[cut]&0xC0 == 0x80 { // not inside a UTF-8 character
			cut--
		}
		r.Detail = r.Detail[:cut] + "…"
	}
	if len(r.Bands) > maxSelfTestBands {
		r.Bands = r.Bands[:maxSelfTestBands]
	}
	return r
}
