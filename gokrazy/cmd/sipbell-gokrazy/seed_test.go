package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func write(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestSeed(t *testing.T) {
	tests := []struct {
		name     string
		live     string // "" means absent
		mark     string // "" means absent
		image    string
		want     Outcome
		wantLive string
	}{
		{name: "first boot", image: "v1", want: Created, wantLive: "v1"},
		{name: "same image", live: "v1", mark: "v1", image: "v1", want: Kept, wantLive: "v1"},
		{name: "edited on device, same image", live: "edited", mark: "v1", image: "v1", want: Kept, wantLive: "edited"},
		{name: "new image, unedited", live: "v1", mark: "v1", image: "v2", want: Updated, wantLive: "v2"},
		{name: "new image, edited on device", live: "edited", mark: "v1", image: "v2", want: Diverged, wantLive: "edited"},
		{name: "no mark, live differs", live: "edited", image: "v2", want: Diverged, wantLive: "edited"},
		{name: "no mark, live equals image", live: "v2", image: "v2", want: Updated, wantLive: "v2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			seed := filepath.Join(dir, "image.yaml")
			live := filepath.Join(dir, "perm", "sipbell", "sipbell.yaml")
			write(t, seed, tt.image)
			if tt.live != "" {
				if err := os.MkdirAll(filepath.Dir(live), 0o700); err != nil {
					t.Fatal(err)
				}
				write(t, live, tt.live)
			}
			if tt.mark != "" {
				write(t, live+SeedSuffix, tt.mark)
			}
			got, err := Seed(seed, live)
			if err != nil {
				t.Fatalf("Seed: %v", err)
			}
			if got != tt.want {
				t.Errorf("outcome %q, want %q", got, tt.want)
			}
			if s := read(t, live); s != tt.wantLive {
				t.Errorf("live %q, want %q", s, tt.wantLive)
			}
			if s := read(t, live+SeedSuffix); s != tt.image {
				t.Errorf("seed mark %q, want the image's %q", s, tt.image)
			}
			st, err := os.Stat(live)
			if err != nil {
				t.Fatal(err)
			}
			if tt.live == "" && st.Mode().Perm() != 0o600 {
				t.Errorf("created with mode %v, want 0600 (it holds passwords)", st.Mode().Perm())
			}
			if m, _ := filepath.Glob(filepath.Join(filepath.Dir(live), ".*tmp*")); len(m) > 0 {
				t.Errorf("temporary files left: %v", m)
			}
		})
	}
}

func TestSeedErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := Seed(filepath.Join(dir, "missing.yaml"), filepath.Join(dir, "live.yaml")); err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Errorf("missing seed: err %v, want one naming the file", err)
	}
	seed := filepath.Join(dir, "image.yaml")
	write(t, seed, "v1")
	blocker := filepath.Join(dir, "file")
	write(t, blocker, "not a directory")
	if _, err := Seed(seed, filepath.Join(blocker, "sipbell.yaml")); err == nil {
		t.Error("live under a file: no error")
	}
}

func TestRunExecsSipbell(t *testing.T) {
	tests := []struct {
		name       string
		perm       func(dir string) string // returns the -config path
		wantConfig func(dir string) string
		wantLog    string
	}{
		{
			name:       "perm usable",
			perm:       func(dir string) string { return filepath.Join(dir, "perm", "sipbell.yaml") },
			wantConfig: func(dir string) string { return filepath.Join(dir, "perm", "sipbell.yaml") },
			wantLog:    "outcome=created",
		},
		{
			name: "perm unusable: image file, read-only",
			perm: func(dir string) string {
				write(t, filepath.Join(dir, "perm"), "a file, not a directory")
				return filepath.Join(dir, "perm", "sipbell.yaml")
			},
			wantConfig: func(dir string) string { return filepath.Join(dir, "image.yaml") },
			wantLog:    "read-only",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			seed := filepath.Join(dir, "image.yaml")
			write(t, seed, "sip: {}\n")
			live := tt.perm(dir)
			var gotBin string
			var gotArgv []string
			fake := func(bin string, argv, env []string) error {
				gotBin, gotArgv = bin, argv
				return errors.New("fake exec")
			}
			var stderr bytes.Buffer
			code := run([]string{"-seed", seed, "-config", live, "-sipbell", "/user/sipbell", "--", "-log-format", "json"}, &stderr, fake, noSlots{})
			if code != 1 {
				t.Errorf("exit %d after a failed exec, want 1", code)
			}
			want := []string{"sipbell", "-config", tt.wantConfig(dir), "-log-format", "json"}
			if gotBin != "/user/sipbell" || strings.Join(gotArgv, " ") != strings.Join(want, " ") {
				t.Errorf("exec %s %q, want /user/sipbell %q", gotBin, gotArgv, want)
			}
			if !strings.Contains(stderr.String(), tt.wantLog) || !strings.Contains(stderr.String(), "fake exec") {
				t.Errorf("log %q lacks %q or the exec error", stderr.String(), tt.wantLog)
			}
		})
	}
}

func TestRunBadFlag(t *testing.T) {
	var stderr bytes.Buffer
	if code := run([]string{"-nope"}, &stderr, nil, noSlots{}); code != 2 {
		t.Errorf("exit %d for an unknown flag, want 2", code)
	}
}
