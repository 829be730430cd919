package main

import (
	"debug/elf"
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
