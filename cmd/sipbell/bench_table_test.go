package main

import (
	"strings"
	"testing"
)

// TestBenchTableRatios: make bench's side-by-side table gives each row
// a ratio a person reads, also where baresip's figure is 0 (it made no
// context switch while idle): "baresip 0", or "—" when both are 0, never
// NaN or +Inf.
func TestBenchTableRatios(t *testing.T) {
	for _, tc := range []struct {
		name        string
		idle, other float64 // sipbell's and baresip's idle switches/s
		want        string
	}{
		{"both", 1.9, 3.8, "0.50"},
		{"baresip 0", 1.9, 0, "baresip 0"},
		{"both 0", 0, 0, "—"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &benchUA{name: "sipbell", idleCS: tc.idle}
			r := &benchUA{name: "baresip", idleCS: tc.other}
			var out strings.Builder
			printBenchTable(&out, []*benchUA{s, r}, 1, 1, "/nonexistent")
			for _, line := range strings.Split(out.String(), "\n") {
				if strings.Contains(line, "NaN") || strings.Contains(line, "Inf") {
					t.Errorf("a row has no readable ratio: %q", line)
				}
				if strings.HasPrefix(line, "idle voluntary ctx switches/s") && !strings.HasSuffix(line, " "+tc.want) {
					t.Errorf("idle switches row %q, want the ratio %q", line, tc.want)
				}
			}
		})
	}
}
