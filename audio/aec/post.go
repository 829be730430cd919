package aec

import "math"

// suppressor is the residual-echo post-filter: a short-time Fourier
// transform of the adaptive filter's error (square-root Hann windows of two
// blocks, hop one block) whose bins are scaled by a gain that keeps what is
// not residual echo, then overlap-added back. The output lags by one block.
//
// The residual echo per bin is the echo-estimate power times a ratio
// learned per bin while the echo is alone in the microphone: that is when
// the microphone signal is coherent with the echo estimate (a near-end
// talker makes it incoherent). The learned ratio also covers what the
// linear filter cannot model, such as a clipping speaker's distortion;
// double talk does not inflate it, so the near end keeps its level.
type suppressor struct {
	b      int
	fft    *rfft
	win    []float32 // analysis and synthesis window, 2b
	eb, yb []float32 // last two blocks of error and echo estimate
	tmp    []float32
	ew, yw []complex64
	sdy    []complex64 // smoothed cross-spectrum microphone x echo estimate
	sdd    []float32   // smoothed microphone power
	syy    []float32   // smoothed echo-estimate power
	see    []float32   // smoothed error power
	ratio  []float32   // learned residual / echo-estimate power per bin
	rm     []float32   // residual-echo power memory per bin (reverberation)
	pred   []float32   // predicted residual power per bin, slowly decaying
	gain   []float32
	ola    []float32 // windowed second half of the previous block
	floor  float32   // smallest gain
	cn     *comfort  // comfort noise; nil: none
	talk   bool      // the near end talks (the error exceeds the predicted residual)
	coh    float32   // share of the microphone power explained by the echo estimate
}

// Post-filter constants (block-rate, 4 ms blocks by default).
const (
	overEcho    = 8.0  // residual echo over-estimation while the echo is alone
	overTalk    = 1.0  // the same while the near end talks
	echoDecay   = 0.95 // per-block decay of the residual memory, echo alone
	talkDecay   = 0.7  // the same while the near end talks
	predDecay   = 0.92 // per-block decay of the predicted residual (talk detection)
	gainRelease = 0.6  // how fast a gain rises again
	specSmooth  = 0.25 // smoothing of the spectra
	cohEchoOnly = 0.9  // explained share above which the echo is alone
	ratioLearn  = 0.1  // learning rate of the residual ratio
	talkMargin  = 4.0  // error power over predicted residual that means talk
	talkFloor   = 2e4  // per-bin error power that is never talk (noise)
)

func newSuppressor(b int, floor float32) (*suppressor, error) {
	f, err := newRFFT(2 * b)
	if err != nil {
		return nil, err
	}
	k := b + 1
	s := &suppressor{b: b, fft: f, win: make([]float32, 2*b), eb: make([]float32, 2*b),
		yb: make([]float32, 2*b), tmp: make([]float32, 2*b), ew: make([]complex64, k),
		yw: make([]complex64, k), sdy: make([]complex64, k), sdd: make([]float32, k),
		syy: make([]float32, k), see: make([]float32, k), ratio: make([]float32, k),
		rm: make([]float32, k), pred: make([]float32, k), gain: make([]float32, k), ola: make([]float32, b), floor: floor}
	for n := range s.win {
		s.win[n] = float32(math.Sin(math.Pi * float64(n) / float64(2*b)))
	}
	s.reset()
	return s, nil
}

func (s *suppressor) reset() {
	for _, v := range [][]float32{s.eb, s.yb, s.sdd, s.syy, s.see, s.rm, s.pred, s.ola} {
		clear(v)
	}
	clear(s.sdy)
	if s.cn != nil {
		s.cn.reset()
	}
	for i := range s.gain {
		s.gain[i] = 1
		s.ratio[i] = 1
	}
}

// process filters one block of error e given the echo estimate y and the
// adaptive filter's per-bin leak estimate; out gets the block before.
// While changed (the adaptive filter has just taken over the shadow
// filter's weights: the echo path changed and the error is mostly echo)
// the error is all taken for residual echo.
func (s *suppressor) process(e, y, leak []float32, changed bool, out []float32) {
	b := s.b
	s.analyse(s.ew, s.eb, e)
	s.analyse(s.yw, s.yb, y)
	s.learn(changed)
	s.gains(leak, changed)
	for i, g := range s.gain {
		s.ew[i] *= complex(g, 0)
	}
	if s.cn != nil {
		s.cn.track(s.see)
		s.cn.fill(s.ew, s.gain)
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

// learn updates the smoothed spectra and, when the microphone is coherent
// with the echo estimate (echo alone) or the adaptive filter has just taken
// over the shadow's weights (the echo path changed; the shadow removes most
// of the microphone signal, so it is echo), the per-bin residual ratio.
func (s *suppressor) learn(changed bool) {
	var num, den float32
	for i := range s.ew {
		d := s.ew[i] + s.yw[i] // microphone = error + echo estimate
		py := pow(s.yw[i])
		s.sdd[i] += specSmooth * (pow(d) - s.sdd[i])
		s.syy[i] += specSmooth * (py - s.syy[i])
		s.see[i] += specSmooth * (pow(s.ew[i]) - s.see[i])
		s.sdy[i] += complex(specSmooth, 0) * (d*complex(real(s.yw[i]), -imag(s.yw[i])) - s.sdy[i])
		num += pow(s.sdy[i]) / (s.syy[i] + 1)
		den += s.sdd[i]
	}
	// The share of the microphone power that the echo estimate explains.
	s.coh = num / (den + 1)
	// The near end talks when the error is clearly louder than the
	// residual echo the learned ratios predict.
	var see, pred float32
	for i := range s.see {
		s.pred[i] = max(s.ratio[i]*s.syy[i], predDecay*s.pred[i])
		see += s.see[i]
		pred += s.pred[i]
	}
	s.talk = see > talkMargin*pred+float32(len(s.see))*talkFloor
	if (s.coh < cohEchoOnly && !changed) || den < float32(len(s.ew))*1e4 {
		return
	}
	for i := range s.ratio {
		// Down fast, up slowly: a near-end syllable mistaken for echo
		// must not teach much.
		r := min(4, s.see[i]/(s.syy[i]+1))
		rate := float32(ratioLearn)
		if r > s.ratio[i] {
			rate = ratioLearn / 10
		}
		s.ratio[i] += rate * (r - s.ratio[i])
	}
}

// gains sets the per-bin gain from the residual echo, estimated as the
// (frequency-smeared) echo-estimate power times the learned ratio (at
// least the adaptive filter's leak), remembered with a decay, against the
// error power.
func (s *suppressor) gains(leak []float32, changed bool) {
	last := len(s.yw) - 1
	over, decay := float32(overTalk), float32(talkDecay)
	if !s.talk || s.coh >= cohEchoOnly {
		over, decay = overEcho, echoDecay
	}
	for i := range s.gain {
		lo, hi := max(i-1, 0), min(i+1, last)
		smeared := 0.5*pow(s.yw[i]) + 0.25*(pow(s.yw[lo])+pow(s.yw[hi]))
		r := over * max(leak[i], s.ratio[i]) * smeared
		if changed {
			r = max(r, overEcho*s.see[i])
		}
		s.rm[i] = max(r, decay*s.rm[i])
		g := s.floor
		if pe := s.see[i]; pe > s.rm[i] {
			g = max(g, 1-s.rm[i]/pe)
		}
		if g > s.gain[i] {
			g = s.gain[i] + gainRelease*(g-s.gain[i])
		}
		s.gain[i] = g
	}
}

func pow(v complex64) float32 { return real(v)*real(v) + imag(v)*imag(v) }
