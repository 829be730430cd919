package aec

import "math"

// suppressor is the residual-echo post-filter: a short-time Fourier
// transform of the adaptive filter's error (square-root Hann windows of two
// blocks, hop one block) whose bins are scaled by a gain that keeps what is
// not residual echo, then overlap-added back. The output lags by one block.
type suppressor struct {
	b      int
	fft    *rfft
	win    []float32 // analysis and synthesis window, 2b
	eb, yb []float32 // last two blocks of error and echo estimate
	tmp    []float32
	ew, yw []complex64
	pe     []float32 // smoothed error power per bin
	rm     []float32 // residual-echo power memory per bin (reverberation)
	gain   []float32
	ola    []float32 // windowed second half of the previous block
	floor  float32   // smallest gain
}

// Post-filter constants (block-rate, 4 ms blocks by default).
const (
	overEstimate = 4    // residual echo over-estimation
	echoDecay    = 0.8  // per-block decay of the residual memory (≈ 0.35 s T60 at 4 ms)
	gainRelease  = 0.35 // how fast a gain rises again
	errSmooth    = 0.6  // weight of the newest error power
)

func newSuppressor(b int, floor float32) (*suppressor, error) {
	f, err := newRFFT(2 * b)
	if err != nil {
		return nil, err
	}
	k := b + 1
	s := &suppressor{b: b, fft: f, win: make([]float32, 2*b), eb: make([]float32, 2*b),
		yb: make([]float32, 2*b), tmp: make([]float32, 2*b), ew: make([]complex64, k),
		yw: make([]complex64, k), pe: make([]float32, k), rm: make([]float32, k),
		gain: make([]float32, k), ola: make([]float32, b), floor: floor}
	for n := range s.win {
		s.win[n] = float32(math.Sin(math.Pi * float64(n) / float64(2*b)))
	}
	s.reset()
	return s, nil
}

func (s *suppressor) reset() {
	for _, v := range [][]float32{s.eb, s.yb, s.pe, s.rm, s.ola} {
		clear(v)
	}
	for i := range s.gain {
		s.gain[i] = 1
	}
}

// process filters one block of error e given the echo estimate y and the
// adaptive filter's leak estimate; out gets the block before.
func (s *suppressor) process(e, y, leak []float32, out []float32) {
	b := s.b
	s.analyse(s.ew, s.eb, e)
	s.analyse(s.yw, s.yb, y)
	s.gains(leak)
	for i, g := range s.gain {
		s.ew[i] *= complex(g, 0)
	}
	s.fft.inverse(s.tmp, s.ew)
	for n := 0; n < b; n++ {
		out[n] = s.ola[n] + s.tmp[n]*s.win[n]
		s.ola[n] = s.tmp[b+n] * s.win[b+n]
	}
}

// analyse shifts block into the two-block history hist and writes the
// windowed spectrum to dst.
func (s *suppressor) analyse(dst []complex64, hist, block []float32) {
	copy(hist, hist[s.b:])
	copy(hist[s.b:], block)
	for n, v := range hist {
		s.tmp[n] = v * s.win[n]
	}
	s.fft.forward(dst, s.tmp)
}

// gains sets the per-bin gain from the residual echo estimated as the
// leak times the (frequency-smeared) echo-estimate power, remembered with
// a decay, against the error power.
func (s *suppressor) gains(leak []float32) {
	last := len(s.yw) - 1
	for i := range s.gain {
		py := pow(s.yw[i])
		lo, hi := s.yw[max(i-1, 0)], s.yw[min(i+1, last)]
		smeared := 0.5*py + 0.25*(pow(lo)+pow(hi))
		r := overEstimate * leak[i] * smeared
		s.rm[i] = max(r, echoDecay*s.rm[i])
		s.pe[i] += errSmooth * (pow(s.ew[i]) - s.pe[i])
		g := s.floor
		if pe := s.pe[i]; pe > s.rm[i] {
			g = max(g, 1-s.rm[i]/pe)
		}
		if g > s.gain[i] {
			g = s.gain[i] + gainRelease*(g-s.gain[i])
		}
		s.gain[i] = g
	}
}

func pow(v complex64) float32 { return real(v)*real(v) + imag(v)*imag(v) }
