package aec

import (
	"math"
	"testing"
	"time"
)

// hybrid is a 2-wire hybrid's echo path at 8 kHz, as G.168's models
// shape it: a pure delay of 1.5 ms, then a short dispersive response
// (about 6 ms) whose energy sits erl dB below the signal sent.
func hybrid(erl float64) []float64 {
	h := make([]float64, 12+48)
	var e float64
	for i := 12; i < len(h); i++ {
		t := float64(i - 12)
		h[i] = math.Exp(-t/10) * math.Cos(2*math.Pi*t/9)
		e += h[i] * h[i]
	}
	k := math.Pow(10, -erl/20) / math.Sqrt(e)
	for i := range h {
		h[i] *= k
	}
	return h
}

// TestLineEchoCanceller: the canceller with a short tail (32 ms, G.168's
// shortest) as the analog phone's line echo canceller, on espeak-ng
// speech from the far end echoed by a hybrid (ERL 6 and 12 dB) with the
// phone's user talking over it for 3 s: at least 25 dB of echo is
// removed by the adaptive filter once it has converged (over the line's
// noise), and the user's voice stays within 3 dB in double talk. Off
// (the line as it is) removes nothing.
func TestLineEchoCanceller(t *testing.T) {
	t.Parallel()
	far := scale(espeak(t, 8000, "en-us", "Hello, this is the pharmacy calling about your prescription.",
		"It is ready for collection from tomorrow morning.", "Please bring your card with you. Goodbye."), 4000)
	near := scale(espeak(t, 8000, "en+f2", "Yes, I understand, thank you."), 3000)
	const dtFrom = 9 * 8000 // the user talks from 9 s
	for _, tc := range []struct {
		name string
		erl  float64
		on   bool
	}{
		{"ERL 6 dB", 6, true},
		{"ERL 12 dB", 12, true},
		{"off", 6, false},
	} {
		h := hybrid(tc.erl)
		n := min(len(far), dtFrom+len(near)) / 160 * 160
		mic := make([]int16, n)
		line := streetNoise(n, 8, 6) // the line's own noise, -72 dBFS
		echo := make([]float64, n)
		user := make([]float64, n)
		for i := range n {
			for k, c := range h {
				if i-k >= 0 {
					echo[i] += c * far[i-k]
				}
			}
			if j := i - dtFrom; j >= 0 && j < len(near) {
				user[i] = near[j]
			}
			mic[i] = int16(math.Round(echo[i] + user[i] + line[i]))
		}
		out := make([]int16, n)
		copy(out, mic)
		if tc.on {
			// The adaptive filter alone (no residual suppressor): what
			// G.168 measures, and no gating of the line noise to zero.
			c, err := New(Config{SampleRate: 8000, Tail: 32 * time.Millisecond, SuppressDB: -1})
			if err != nil {
				t.Fatal(err)
			}
			farPCM := toPCM(far[:n])
			for off := 0; off+160 <= n; off += 160 {
				if err := c.Process(farPCM[off:off+160], mic[off:off+160], out[off:off+160]); err != nil {
					t.Fatal(err)
				}
			}
		}
		// ERLE over 4..9 s (single talk), the user's voice in 9 s onwards.
		var e, r float64
		for i := 4 * 8000; i < dtFrom; i++ {
			e += echo[i] * echo[i]
			r += float64(out[i]) * float64(out[i])
		}
		erle := 10 * math.Log10(e/max(r, 1e-3))
		var u, o float64
		for i := dtFrom; i < n; i++ {
			if user[i] != 0 {
				u += user[i] * user[i]
				o += float64(out[i]) * float64(out[i])
			}
		}
		kept := 10 * math.Log10(o/u)
		t.Logf("%s: ERLE %.1f dB in single talk; the user's voice %+.1f dB in double talk", tc.name, erle, kept)
		if tc.on && erle < 25 {
			t.Errorf("%s: ERLE %.1f dB, want at least 25", tc.name, erle)
		}
		if !tc.on && erle > 1 {
			t.Errorf("%s: ERLE %.1f dB without the canceller", tc.name, erle)
		}
		if math.Abs(kept) > 3 {
			t.Errorf("%s: the user's voice changed by %.1f dB in double talk, want within 3", tc.name, kept)
		}
	}
}
