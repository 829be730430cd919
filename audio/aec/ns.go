package aec

import (
	"fmt"
	"math"
)

// NoiseSuppressor takes steady background noise (a street, wind, a
// ventilation fan) out of speech, per frequency: each 10 ms hop is
// analysed in 20 ms sqrt-Hann windows (50 % overlap), the noise power of
// each bin is tracked as a slowly rising minimum of the smoothed power,
// and a Wiener gain from the decision-directed a-priori SNR, floored at
// MaxAttenuation, is applied before overlap-add. It delays the signal by
// one hop (10 ms) and allocates nothing per frame.
type NoiseSuppressor struct {
	hop, win int
	f        *rfft
	window   []float32 // sqrt-Hann of win samples
	hist     []float32 // the last win input samples
	buf      []float32 // FFT input (win samples, zero padded)
	spec     []complex64
	out      []float32 // inverse FFT
	tail     []float32 // overlap-add carry (win-hop samples)
	smooth   []float32 // smoothed power per bin
	noise    []float32 // noise power per bin
	prior    []float32 // last hop's clean power estimate per bin
	floor    float32   // gain floor
	started  bool
}

// NoiseConfig sets up a NoiseSuppressor.
type NoiseConfig struct {
	// SampleRate is 8000 or 16000.
	SampleRate int
	// MaxAttenuationDB is how far a noise-only bin is turned down (6 to
	// 30 dB); zero means 15.
	MaxAttenuationDB float64
}

// Noise-suppression constants (per 10 ms hop).
const (
	nsSmooth = 0.6    // weight of the previous smoothed power
	nsRise   = 1.0035 // noise estimate's rise per hop while under the power (~1.5 dB/s)
	nsFall   = 0.25   // how fast the estimate follows the power down
	nsBias   = 1.8    // mean noise power over its tracked minimum
	nsDD     = 0.96   // decision-directed weight of the last clean estimate
)

// NewNoiseSuppressor returns a suppressor for cfg.
func NewNoiseSuppressor(cfg NoiseConfig) (*NoiseSuppressor, error) {
	if cfg.SampleRate != 8000 && cfg.SampleRate != 16000 {
		return nil, fmt.Errorf("aec: noise suppressor rate %d: %w", cfg.SampleRate, ErrConfig)
	}
	att := cfg.MaxAttenuationDB
	if att == 0 {
		att = 15
	}
	if att < 6 || att > 30 {
		return nil, fmt.Errorf("aec: noise suppressor attenuation %g dB (want 6 to 30): %w", att, ErrConfig)
	}
	hop := cfg.SampleRate / 100
	win := 2 * hop
	n := 1
	for n < win {
		n <<= 1
	}
	f, err := newRFFT(n)
	if err != nil {
		return nil, err
	}
	b := n/2 + 1
	s := &NoiseSuppressor{hop: hop, win: win, f: f, window: make([]float32, win), hist: make([]float32, win),
		buf: make([]float32, n), spec: make([]complex64, b), out: make([]float32, n), tail: make([]float32, win-hop),
		smooth: make([]float32, b), noise: make([]float32, b), prior: make([]float32, b),
		floor: float32(math.Pow(10, -att/20))}
	for i := range s.window { // periodic sqrt-Hann: squared windows at 50 % overlap sum to 1
		s.window[i] = float32(math.Sqrt(0.5 - 0.5*math.Cos(2*math.Pi*float64(i)/float64(win))))
	}
	return s, nil
}

// Process suppresses noise in frame (a multiple of 10 ms), in place.
func (s *NoiseSuppressor) Process(frame []int16) {
	for off := 0; off+s.hop <= len(frame); off += s.hop {
		s.hopProcess(frame[off : off+s.hop])
	}
}

// hopProcess takes one hop of input and writes one hop of output.
func (s *NoiseSuppressor) hopProcess(h []int16) {
	copy(s.hist, s.hist[s.hop:])
	for i, v := range h {
		s.hist[s.win-s.hop+i] = float32(v)
	}
	for i := range s.win {
		s.buf[i] = s.hist[i] * s.window[i]
	}
	s.f.forward(s.spec, s.buf)
	s.gains()
	s.f.inverse(s.out, s.spec)
	for i := range s.hop {
		v := s.tail[i] + s.out[i]*s.window[i]
		h[i] = int16(max(-32768, min(32767, math.Round(float64(v)))))
	}
	copy(s.tail, s.tail[s.hop:])
	clear(s.tail[s.win-2*s.hop:])
	for i := s.hop; i < s.win; i++ {
		s.tail[i-s.hop] += s.out[i] * s.window[i]
	}
}

// gains tracks the noise and applies the Wiener gain to s.spec.
func (s *NoiseSuppressor) gains() {
	for k, v := range s.spec {
		p := pow(v)
		if !s.started {
			s.smooth[k], s.noise[k] = p, p*nsBias+1
		}
		s.smooth[k] = nsSmooth*s.smooth[k] + (1-nsSmooth)*p
		if n := s.smooth[k] * nsBias; n < s.noise[k] {
			s.noise[k] += nsFall * (n - s.noise[k])
		} else {
			s.noise[k] *= nsRise
		}
		nz := s.noise[k] + 1e-3
		post := p / nz
		prio := nsDD*s.prior[k]/nz + (1-nsDD)*max(post-1, 0)
		g := max(prio/(1+prio), s.floor)
		s.prior[k] = g * g * p
		s.spec[k] = v * complex(g, 0)
	}
	s.started = true
}
