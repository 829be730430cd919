package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestStartRemovesLeftoverTempFiles: temporary files of saves cut short
// by a crash (".sipbell.yaml.tmp…", and the same for .lkg and .pending)
// are removed when the binary starts; other files stay.
func TestStartRemovesLeftoverTempFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "sipbell.yaml")
	config := "sip:\n  listen: 127.0.0.1:0\n  user: door\n" + testProvisioning(filepath.Join(dir, "state"))
	if err := os.WriteFile(cfg, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	leftovers := []string{".sipbell.yaml.tmp123456", ".sipbell.yaml.lkg.tmp99", ".sipbell.yaml.pending.tmp4242"}
	keep := ".sipbell.yaml.tmp-notours"
	for _, f := range append(leftovers, keep) {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("half a file"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	p := startFile(t, nil, cfg)
	p.await(t, "ready")
	p.stop(t)
	for _, f := range leftovers {
		if _, err := os.Stat(filepath.Join(dir, f)); !os.IsNotExist(err) {
			t.Errorf("%s still there after a start (%v)", f, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, keep)); err != nil {
		t.Errorf("a file that is not the atomic writer's was removed: %v", err)
	}
}
