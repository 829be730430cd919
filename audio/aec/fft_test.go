package aec

import (
	"math"
	"math/cmplx"
	"math/rand/v2"
	"testing"
)

// TestRFFT checks the real FFT against a direct DFT and the round trip.
func TestRFFT(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{4, 8, 16, 64, 128, 512} {
		f, err := newRFFT(n)
		if err != nil {
			t.Fatal(err)
		}
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		spec := make([]complex64, n/2+1)
		f.forward(spec, x)
		for k := range spec {
			var want complex128
			for i, v := range x {
				want += complex(float64(v), 0) * cmplx.Rect(1, -2*math.Pi*float64(k*i)/float64(n))
			}
			if d := cmplx.Abs(complex128(spec[k]) - want); d > 1e-4*float64(n) {
				t.Errorf("n=%d bin %d: got %v, want %v", n, k, spec[k], want)
			}
		}
		back := make([]float32, n)
		f.inverse(back, spec)
		for i := range x {
			if d := math.Abs(float64(back[i] - x[i])); d > 1e-4 {
				t.Errorf("n=%d sample %d: round trip %v, want %v", n, i, back[i], x[i])
			}
		}
	}
	if _, err := newRFFT(12); err == nil {
		t.Error("newRFFT(12) accepted a size that is not a power of two")
	}
}
