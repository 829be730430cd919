// Package room builds synthetic echo scenes for testing and benchmarking
// the echo canceller: speech-like signals, room impulse responses (a direct
// path plus exponentially decaying noise-like reverberation of a chosen
// T60), a small soft-clipping speaker, street noise, and the measures an
// echo canceller is judged by (ERLE, near-end segmental SNR).
//
// Everything is deterministic for a given seed.
package room

import (
	"math"
	"math/rand/v2"
)

// IR describes a room impulse response.
type IR struct {
	Rate   int     // sample rate, Hz
	T60    float64 // reverberation time, s (energy decays 60 dB)
	Delay  float64 // direct-path delay, s
	DRR    float64 // direct-to-reverberant energy ratio, dB
	Gain   float64 // gain of the direct path
	Length float64 // length of the response, s (0: T60)
	Seed   uint64
}

// Impulse returns the samples of the impulse response: the direct path at
// Delay, a few early reflections, then Gaussian noise under an exponential
// envelope reaching -60 dB after T60, scaled to the DRR.
func (r IR) Impulse() []float64 {
	length := r.Length
	if length == 0 {
		length = r.T60
	}
	rng := rand.New(rand.NewPCG(r.Seed, 0x5eed))
	n := int(length * float64(r.Rate))
	h := make([]float64, n)
	d := int(r.Delay * float64(r.Rate))
	h[d] = r.Gain
	var rev float64
	start := d + r.Rate/1000 // reverberation starts 1 ms after the direct path
	for i := start; i < n; i++ {
		t := float64(i-start) / float64(r.Rate)
		env := math.Exp(-3 * math.Ln10 * t / r.T60) // amplitude: -60 dB power at T60
		h[i] = rng.NormFloat64() * env
		rev += h[i] * h[i]
	}
	for k := 0; k < 4; k++ { // early reflections (box walls): up to 5 ms after
		i := d + 1 + rng.IntN(r.Rate/200)
		v := (rng.Float64() - 0.5) * 0.6
		h[i] += v
		rev += v * v
	}
	want := r.Gain * r.Gain / math.Pow(10, r.DRR/10)
	scale := math.Sqrt(want / rev)
	for i := d + 1; i < n; i++ {
		h[i] *= scale
	}
	return h
}

// Speaker models a small loudspeaker: a first-order high-pass (no bass)
// and a soft clipper (tanh) that starts to limit at Limit (int16 units; 0:
// no clipping).
type Speaker struct {
	Rate   int
	Cutoff float64 // high-pass corner, Hz (0: none)
	Limit  float64
}

// Play returns what the speaker radiates for the drive signal x.
func (s Speaker) Play(x []float64) []float64 {
	out := make([]float64, len(x))
	a := 1.0
	if s.Cutoff > 0 {
		a = 1 / (1 + 2*math.Pi*s.Cutoff/float64(s.Rate))
	}
	var px, py float64
	for i, v := range x {
		y := v
		if s.Cutoff > 0 {
			y = a * (py + v - px)
			px, py = v, y
		}
		if s.Limit > 0 {
			y = s.Limit * math.Tanh(y/s.Limit)
		}
		out[i] = y
	}
	return out
}

// Noise returns n samples of street-like noise (white noise through a
// one-pole low-pass at 500 Hz) with the given RMS.
func Noise(n, rate int, rms float64, seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 0x7015e))
	out := make([]float64, n)
	a := math.Exp(-2 * math.Pi * 500 / float64(rate))
	var y float64
	for i := range out {
		y = a*y + (1-a)*rng.NormFloat64()
		out[i] = y
	}
	return Scale(out, rms)
}

// RMS returns the root mean square of x.
func RMS(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v * v
	}
	return math.Sqrt(s / float64(max(len(x), 1)))
}

// Scale scales x in place to the given RMS and returns it.
func Scale(x []float64, rms float64) []float64 {
	if r := RMS(x); r > 0 {
		for i := range x {
			x[i] *= rms / r
		}
	}
	return x
}

// Add returns the sample-wise sum of the signals (length of the first).
func Add(xs ...[]float64) []float64 {
	out := make([]float64, len(xs[0]))
	for _, x := range xs {
		for i := range out {
			if i < len(x) {
				out[i] += x[i]
			}
		}
	}
	return out
}

// PCM converts to 16-bit samples, saturating.
func PCM(x []float64) []int16 {
	out := make([]int16, len(x))
	for i, v := range x {
		out[i] = int16(math.Max(-32768, math.Min(32767, math.Round(v))))
	}
	return out
}

// Float converts 16-bit samples to float64.
func Float(x []int16) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = float64(v)
	}
	return out
}
