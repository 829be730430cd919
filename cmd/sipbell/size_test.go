package main

import (
	"debug/elf"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestBinaryLeavesOut: code the device does not need stays out of the
// binary (issue 16: its size, and the resident pages that follow from it).
// Each entry names a symbol prefix and what keeps it out.
func TestBinaryLeavesOut(t *testing.T) {
	t.Parallel()
	f, err := elf.Open(binary(t))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	syms, err := f.Symbols()
	if err != nil {
		t.Fatalf("symbols of the test binary: %v", err)
	}
	tests := []struct{ prefix, why string }{
		{"github.com/pion/rtcp.stringify", "ua/media parses RTCP with parseRTCP, not rtcp.Unmarshal " +
			"(which boxes every packet type and keeps pion/rtcp's reflection-based printer and all its parsers)"},
		{"time/tzdata.", "Go's zone database (450 KB on ARMv6) is built in only on gokrazy (-tags=timetzdata, " +
			"TestTimeZoneWithoutSystemDatabase); elsewhere the system's tzdata serves"},
	}
	for _, tc := range tests {
		for _, s := range syms {
			if strings.HasPrefix(s.Name, tc.prefix) {
				t.Errorf("the binary has %s (%d bytes): %s", s.Name, s.Size, tc.why)
				break
			}
		}
	}
}

// TestReleaseGCFlags: the release build (the Makefile's) compiles the
// packages scripts/release-gcflags lists without inlining; each pattern
// names a package of this build, and none names a package a call runs
// every frame or every packet, which keep inlining.
func TestReleaseGCFlags(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../../scripts/release-gcflags")
	if err != nil {
		t.Fatal(err)
	}
	var patterns []string
	for _, line := range strings.Split(string(b), "\n") {
		if p, _, _ := strings.Cut(line, "#"); strings.TrimSpace(p) != "" {
			patterns = append(patterns, strings.TrimSpace(p))
		}
	}
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	deps := strings.Fields(string(out))
	matches := func(pattern, pkg string) bool {
		if base, ok := strings.CutSuffix(pattern, "/..."); ok {
			return pkg == base || strings.HasPrefix(pkg, base+"/")
		}
		return pkg == pattern
	}
	hot := []string{"runtime", "sync", "time", "net", "syscall", "os", "fmt", "encoding/json", "log/slog",
		"crypto/aes", "crypto/cipher", "crypto/hmac", "crypto/sha1", "crypto/internal/fips140/aes",
		"crypto/internal/fips140/nistec", "github.com/pion/srtp/v3", "github.com/pion/rtp",
		"github.com/emiago/sipgo/sip", "github.com/zaf/g711",
		"github.com/sipbell/sipbell/ua", "github.com/sipbell/sipbell/ua/media", "github.com/sipbell/sipbell/audio",
		"github.com/sipbell/sipbell/device", "github.com/sipbell/sipbell/cmd/sipbell"}
	for _, p := range patterns {
		found := false
		for _, d := range deps {
			found = found || matches(p, d)
		}
		if !found {
			t.Errorf("scripts/release-gcflags: %s names no package of the build", p)
		}
		for _, h := range hot {
			if matches(p, h) {
				t.Errorf("scripts/release-gcflags: %s turns off inlining in %s, which a call runs", p, h)
			}
		}
	}
	mk, err := exec.Command("make", "-s", "-n", "-C", "../..", "dist/sipbell-linux-armv6").CombinedOutput()
	if err != nil {
		t.Fatalf("make -n: %v\n%s", err, mk)
	}
	for _, p := range patterns {
		if !strings.Contains(string(mk), "-gcflags="+p+"=-l") {
			t.Errorf("the Makefile's ARMv6 release build lacks -gcflags=%s=-l:\n%s", p, mk)
			break
		}
	}
}
