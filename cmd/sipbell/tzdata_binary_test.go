package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestTimeZoneWithoutSystemDatabase: the release binary reads zones from
// the system's database (Debian's tzdata) and carries none of its own; the
// gokrazy build, made with gokrazy/rpi/config.json's GoBuildFlags
// (-tags=timetzdata), carries Go's, as gokrazy has no /usr/share/zoneinfo.
// Both run -check-config on device.time_zone: Europe/Berlin in a mount
// namespace where every zone directory Go looks in is an empty tmpfs.
func TestTimeZoneWithoutSystemDatabase(t *testing.T) {
	t.Parallel()
	unshare := requireTool(t, "unshare", "util-linux")
	dir := t.TempDir()
	gok := filepath.Join(dir, "sipbell-gokrazy")
	build := exec.Command("go", append(append([]string{"build"}, gokrazyBuildFlags(t, "../../gokrazy/rpi/config.json")...), "-o", gok, ".")...)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build with gokrazy's flags: %v\n%s", err, out)
	}
	cfg := filepath.Join(dir, "tz.yaml")
	if err := os.WriteFile(cfg, []byte("device:\n  time_zone: Europe/Berlin\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// Go's zone lookup: $ZONEINFO (unset below), these directories, then
	// GOROOT's zoneinfo.zip (a build without -trimpath remembers GOROOT).
	goroot, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Fatalf("go env GOROOT: %v", err)
	}
	hide := "/usr/share/zoneinfo /usr/share/lib/zoneinfo /usr/lib/locale/TZ /etc/zoneinfo " +
		filepath.Join(strings.TrimSpace(string(goroot)), "lib", "time")
	script := `for d in ` + hide + `; do [ -d "$d" ] && { mount -t tmpfs none "$d" || exit 3; }; done; exec "$0" -check-config "$1"`
	tests := []struct {
		name, bin string
		code      int
		want      string
	}{
		{"gokrazy build", gok, 0, cfg + ": ok"},
		{"release build", binary(t), 1, `device.time_zone: unknown time zone "Europe/Berlin"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(unshare, "-m", "sh", "-c", script, tc.bin, cfg)
			cmd.Env = append(os.Environ(), "ZONEINFO=", "GOROOT=")
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			err := cmd.Run()
			code := 0
			if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code == 3 || (code != tc.code && strings.Contains(out.String(), "unshare")) {
				msg := "cannot hide the zone database (unshare -m and mount need root): " + out.String()
				if os.Getenv("CI") == "true" {
					t.Fatal(msg)
				}
				t.Skip(msg)
			}
			if code != tc.code || !strings.Contains(out.String(), tc.want) {
				t.Fatalf("-check-config without a system zone database: exit %d, want %d with %q; output:\n%s", code, tc.code, tc.want, out.String())
			}
		})
	}
}

// gokrazyBuildFlags is the GoBuildFlags a gokrazy config.json gives
// sipbell's package, without -ldflags (the test binary keeps its symbols).
func gokrazyBuildFlags(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		PackageConfig map[string]struct{ GoBuildFlags []string }
	}
	if err := json.Unmarshal(b, &cfg); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	pc, ok := cfg.PackageConfig["github.com/sipbell/sipbell/cmd/sipbell"]
	if !ok {
		t.Fatalf("%s: no PackageConfig for github.com/sipbell/sipbell/cmd/sipbell", path)
	}
	var flags []string
	for _, f := range pc.GoBuildFlags {
		if !strings.HasPrefix(f, "-ldflags") {
			flags = append(flags, f)
		}
	}
	return flags
}
