package aec

import (
	"errors"
	"math"
	"testing"
)

// speechLevel is the RMS, in dBFS, of y over the frames where clean
// (speech scaled to RMS 1) talks, from start on.
func speechLevel(clean []float64, y []int16, start int) float64 {
	var p float64
	var n int
	for off := start; off+160 <= len(y); off += 160 {
		var c, s float64
		for i := range 160 {
			c += clean[off+i] * clean[off+i]
			s += float64(y[off+i]) * float64(y[off+i])
		}
		if c/160 > 0.1 { // clean is scaled to RMS 1 while talking: its louder frames
			p += s
			n += 160
		}
	}
	return 20 * math.Log10(math.Sqrt(p/float64(max(n, 1)))/32768)
}

// TestAGCLevelsFarAndNear: the same espeak-ng sentences from a visitor
// far from the microphone (-42 dBFS, over faint noise) and one talking
// into it (-10 dBFS) come out of the AGC within 4 dB of its -20 dBFS
// target once it has settled; without it they stay 32 dB apart.
func TestAGCLevelsFarAndNear(t *testing.T) {
	t.Parallel()
	speech := espeak(t, 8000, "en+f3", "Hello? Is anybody home?", "I have a delivery for number twelve.",
		"Could you open the door please?", "Thank you very much.")
	settle := len(speech) / 3
	for _, tc := range []struct {
		name   string
		dbfs   float64
		on     bool
		lo, hi float64
	}{
		{"far", -42, true, -24, -16},
		{"near", -10, true, -24, -16},
		{"far, off", -42, false, -45, -39},
		{"near, off", -10, false, -13, -7},
	} {
		clean := scale(speech, 32768*math.Pow(10, tc.dbfs/20))
		noise := streetNoise(len(clean), 32768*math.Pow(10, (tc.dbfs-30)/20), 2)
		in := make([]float64, len(clean))
		for i := range in {
			in[i] = clean[i] + noise[i]
		}
		y := toPCM(in)
		a, err := NewAGC(AGCConfig{})
		if err != nil {
			t.Fatal(err)
		}
		if tc.on {
			for off := 0; off+160 <= len(y); off += 160 {
				a.Process(y[off : off+160])
			}
		}
		cl := scale(speech, 1)
		got := speechLevel(cl, y, settle)
		t.Logf("%s: speech at %.1f dBFS in, %.1f dBFS out (gain %.1f dB at the end)", tc.name, tc.dbfs, got, 20*math.Log10(a.Gain()))
		if got < tc.lo || got > tc.hi {
			t.Errorf("%s: %.1f dBFS, want %.0f to %.0f", tc.name, got, tc.lo, tc.hi)
		}
	}
}

// TestAGCDoesNotPullUpSilence: background alone (no speech) is not
// amplified towards the target.
func TestAGCDoesNotPullUpSilence(t *testing.T) {
	t.Parallel()
	y := toPCM(streetNoise(8000*10, 60, 3))
	a, err := NewAGC(AGCConfig{})
	if err != nil {
		t.Fatal(err)
	}
	for off := 0; off+160 <= len(y); off += 160 {
		a.Process(y[off : off+160])
	}
	if g := 20 * math.Log10(a.Gain()); g > 1 {
		t.Errorf("gain %.1f dB after 10 s of background, want none", g)
	}
	for _, c := range []AGCConfig{{TargetDBFS: -3}, {MaxGainDB: 40}, {MinGainDB: 5}} {
		if _, err := NewAGC(c); !errors.Is(err, ErrConfig) {
			t.Errorf("%+v: %v, want ErrConfig", c, err)
		}
	}
}
