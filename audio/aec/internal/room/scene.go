package room

import (
	"math"
	"math/cmplx"
)

// Spec describes an echo scene at the door station's microphone.
type Spec struct {
	Rate     int
	Seconds  float64
	T60      float64 // reverberation time of the echo path, s
	DRR      float64 // direct-to-reverberant ratio, dB
	FarRMS   float64 // far-end speech level (int16 units while talking)
	EchoGain float64 // direct-path gain speaker -> microphone
	NearRMS  float64 // near-end speech level at the microphone (0: none)
	NoiseRMS float64 // background noise level
	Clip     float64 // speaker soft-clip limit (0: linear speaker)
	NearFrom float64 // near-end talks from here (s) ...
	NearTo   float64 // ... to here
	ChangeAt float64 // the echo path changes at this time (s; 0: never)
	Seed     uint64
	// FarSignal and NearSignal, when set, replace the generated far-end and
	// near-end speech (repeated or cut to length, scaled to the levels).
	FarSignal, NearSignal []float64
}

// Scene is what the echo canceller sees and what it should produce.
type Scene struct {
	Rate  int
	Far   []float64 // the far-end signal sent to the speaker
	Near  []float64 // the near-end talker at the microphone
	Echo  []float64 // the speaker's sound at the microphone
	Noise []float64
	Mic   []float64 // Echo + Near + Noise
}

// Build makes the scene of s.
func Build(s Spec) Scene {
	n := int(s.Seconds * float64(s.Rate))
	far := Speech(Voice{Pitch: 120, Formant: 1, Seed: s.Seed}, n, s.Rate, s.FarRMS)
	if s.FarSignal != nil {
		far = Scale(repeat(s.FarSignal, n), s.FarRMS)
	}
	sc := Scene{Rate: s.Rate, Far: far, Near: make([]float64, n)}
	if s.NearRMS > 0 && s.NearTo > s.NearFrom {
		a, b := int(s.NearFrom*float64(s.Rate)), min(int(s.NearTo*float64(s.Rate)), n)
		near := Speech(Voice{Pitch: 210, Formant: 1.15, Seed: s.Seed + 1}, b-a, s.Rate, s.NearRMS)
		if s.NearSignal != nil {
			near = Scale(repeat(s.NearSignal, b-a), s.NearRMS)
		}
		copy(sc.Near[a:], near)
	}
	played := Speaker{Rate: s.Rate, Cutoff: 250, Limit: s.Clip}.Play(far)
	ir := IR{Rate: s.Rate, T60: s.T60, Delay: 0.004, DRR: s.DRR, Gain: s.EchoGain, Seed: s.Seed + 2}
	sc.Echo = Convolve(played, ir.Impulse())[:n]
	if s.ChangeAt > 0 {
		ir2 := IR{Rate: s.Rate, T60: s.T60, Delay: 0.007, DRR: s.DRR - 3, Gain: -1.3 * s.EchoGain, Seed: s.Seed + 3}
		echo2 := Convolve(played, ir2.Impulse())
		copy(sc.Echo[int(s.ChangeAt*float64(s.Rate)):], echo2[int(s.ChangeAt*float64(s.Rate)):n])
	}
	sc.Noise = Noise(n, s.Rate, s.NoiseRMS, s.Seed+4)
	sc.Mic = Add(sc.Echo, sc.Near, sc.Noise)
	return sc
}

// repeat returns x repeated or cut to n samples.
func repeat(x []float64, n int) []float64 {
	out := make([]float64, n)
	for i := 0; i < n && len(x) > 0; i += len(x) {
		copy(out[i:], x)
	}
	return out
}

// Convolve returns the full linear convolution of x and h (FFT based).
func Convolve(x, h []float64) []float64 {
	n := 1
	for n < len(x)+len(h)-1 {
		n <<= 1
	}
	a, b := make([]complex128, n), make([]complex128, n)
	for i, v := range x {
		a[i] = complex(v, 0)
	}
	for i, v := range h {
		b[i] = complex(v, 0)
	}
	fft(a, false)
	fft(b, false)
	for i := range a {
		a[i] *= b[i]
	}
	fft(a, true)
	out := make([]float64, len(x)+len(h)-1)
	for i := range out {
		out[i] = real(a[i]) / float64(n)
	}
	return out
}

// fft is an in-place iterative radix-2 complex FFT (len a power of two).
func fft(a []complex128, inverse bool) {
	n := len(a)
	for i, j := 1, 0; i < n; i++ {
		bit := n >> 1
		for ; j&bit != 0; bit >>= 1 {
			j ^= bit
		}
		j |= bit
		if i < j {
			a[i], a[j] = a[j], a[i]
		}
	}
	sign := -1.0
	if inverse {
		sign = 1
	}
	for size := 2; size <= n; size <<= 1 {
		step := cmplx.Rect(1, sign*2*math.Pi/float64(size))
		for start := 0; start < n; start += size {
			w := complex(1, 0)
			for k := 0; k < size/2; k++ {
				u, v := a[start+k], a[start+k+size/2]*w
				a[start+k], a[start+k+size/2] = u+v, u-v
				w *= step
			}
		}
	}
}
