package dtmf

import (
	"math"
	"math/rand/v2"
	"testing"
)

// synthAt is synth at any sample rate.
func synthAt(sr, n int, row, col, ra, ca, noise float64, rng *rand.Rand) []int16 {
	s := make([]int16, n)
	for i := range s {
		t := float64(i) / float64(sr)
		v := ra*math.Sin(2*math.Pi*row*t) + ca*math.Sin(2*math.Pi*col*t)
		v = v*32767 + noise*32767*rng.NormFloat64()
		s[i] = int16(max(-32768, min(32767, v)))
	}
	return s
}

// TestDetector16k: a wideband (G.722) call's audio is detected at 16 kHz
// with the same durations and thresholds as at 8 kHz.
func TestDetector16k(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const sr = 16000
	for _, tc := range []struct {
		name          string
		ra, ca, noise float64
		ms            int
		want          bool
	}{
		{"clean", 0.2, 0.2, 0, 50, true},
		{"quiet", 0.01, 0.01, 0, 50, true},
		{"noise 20 dB SNR", 0.2, 0.2, 0.02, 50, true},
		{"40 ms", 0.2, 0.2, 0, 40, true},
		{"too short (20 ms)", 0.2, 0.2, 0, 20, false},
		{"row tone only", 0.2, 0, 0, 50, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for r, row := range rowFreqs {
				for c, col := range colFreqs {
					d, err := NewDetectorRate(DefaultThresholds(), sr)
					if err != nil {
						t.Fatal(err)
					}
					s := append(append(make([]int16, 800), synthAt(sr, tc.ms*sr/1000, row, col, tc.ra, tc.ca, tc.noise, rng)...), make([]int16, 1600)...)
					var got []byte
					for off := 0; off < len(s); off += 320 {
						got = d.Process(got, s[off:min(off+320, len(s))])
					}
					want := ""
					if tc.want {
						want = string(keys[r][c])
					}
					if string(got) != want {
						t.Errorf("%c at 16 kHz: detected %q, want %q", keys[r][c], got, want)
					}
				}
			}
		})
	}
	// A tone above the 8 kHz band's top (G.722 carries 5.5 kHz) next to a
	// digit does not hide it, and alone is no digit.
	d, _ := NewDetectorRate(DefaultThresholds(), sr)
	hi := synthAt(sr, 1600, 5500, 6500, 0.2, 0.2, 0, rng)
	if got := d.Process(nil, hi); len(got) != 0 {
		t.Errorf("5.5+6.5 kHz detected as %q", got)
	}
	if _, err := NewDetectorRate(DefaultThresholds(), 44100); err == nil {
		t.Error("NewDetectorRate(44100) succeeded")
	}
}
