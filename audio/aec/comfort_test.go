package aec

import (
	"math"
	"testing"

	"github.com/sipbell/sipbell/audio/aec/internal/room"
)

// TestComfortNoise: at a door on a street the background is heard all the
// time. While the far end talks the suppressor takes the echo away and the
// background with it; with comfort noise the output keeps the background's
// level then (within 4 dB), without it the background drops away and comes
// back in every pause (pumping). The echo stays cancelled either way.
func TestComfortNoise(t *testing.T) {
	for _, rate := range []int{8000, 16000} {
		sc := room.Build(room.Spec{Rate: rate, Seconds: 8, T60: 0.3, DRR: 8, FarRMS: 3000,
			EchoGain: 0.7, NoiseRMS: 100, Seed: 11})
		for _, tc := range []struct {
			comfort  bool
			min, max float64 // background over output while the far end talks, dB
		}{
			{true, -4, 4},
			{false, 10, math.Inf(1)},
		} {
			out := cancel(t, sc, &Config{SampleRate: rate, ComfortNoise: tc.comfort})
			drop := room.ERLE(sc.Noise, out, sc.Echo, rate, 3, 8)
			erle := room.ERLE(sc.Mic, out, sc.Echo, rate, 3, 8)
			t.Logf("%d Hz, comfort noise %v: background %.1f dB above the output during far-end talk; ERLE %.1f dB",
				rate, tc.comfort, drop, erle)
			if drop < tc.min || drop > tc.max {
				t.Errorf("%d Hz, comfort noise %v: background %.1f dB above the output, want %.0f to %.0f",
					rate, tc.comfort, drop, tc.min, tc.max)
			}
			if erle < 20 {
				t.Errorf("%d Hz, comfort noise %v: ERLE %.1f dB, want >= 20", rate, tc.comfort, erle)
			}
		}
	}
}
