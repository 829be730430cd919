package audio

import (
	"errors"
	"fmt"
	"math"
)

// ErrRate reports a sample-rate pair the resampler does not handle.
var ErrRate = errors.New("audio: unsupported sample rate")

// Resampler design constants: the low-pass cut-off sits at cutoffRatio of
// the lower Nyquist frequency (3700 Hz for 8 kHz), the windowed sinc has
// zeroCrossings zero crossings per side, and the Kaiser window's beta gives
// about 80 dB of stop-band rejection. maxTaps bounds the prototype filter
// (and so memory) for awkward rate pairs.
const (
	cutoffRatio   = 0.925
	zeroCrossings = 24
	kaiserBeta    = 8.0
	maxTaps       = 1 << 16
)

// Resampler converts mono PCM between two rates with a polyphase FIR
// filter: a Kaiser-windowed sinc low-pass, designed once at the common
// multiple of both rates and split into phases, so each output sample costs
// one short dot product. It keeps the filter history between calls, so a
// stream can be fed in blocks of any size. After New it does not allocate.
//
// A Resampler is not safe for concurrent use.
type Resampler struct {
	from, to int
	l, m     int       // to/from = l/m in lowest terms
	taps     int       // taps per phase
	coef     []float32 // l phases of taps coefficients, each reversed
	buf      []float32 // taps-1 samples of history, then pending input
	n        int       // valid samples in buf
	t        int       // next output's time in 1/l input samples from buf[0]
}

// maxBlock is how many input samples the resampler buffers at a time.
const maxBlock = 2048

// NewResampler returns a resampler from rate from to rate to (Hz). Any pair
// whose reduced ratio keeps the filter under 65536 taps is accepted; this
// includes 48000, 44100, 32000, 22050, 16000, 11025 and 8000 in any
// combination.
func NewResampler(from, to int) (*Resampler, error) {
	if from <= 0 || to <= 0 || from > 384000 || to > 384000 {
		return nil, fmt.Errorf("%w: %d Hz to %d Hz", ErrRate, from, to)
	}
	g := gcd(from, to)
	l, m := to/g, from/g
	high := float64(from) * float64(l) // the common rate the prototype runs at
	fc := cutoffRatio * float64(min(from, to)) / 2
	taps := int(math.Ceil(zeroCrossings * high / fc / float64(l)))
	if l == 1 && m == 1 {
		taps = 1
	}
	if taps*l > maxTaps {
		return nil, fmt.Errorf("%w: %d Hz to %d Hz needs too long a filter", ErrRate, from, to)
	}
	r := &Resampler{from: from, to: to, l: l, m: m, taps: taps}
	r.coef = design(l, taps, fc/high)
	r.buf = make([]float32, taps-1+maxBlock)
	r.n = taps - 1
	return r, nil
}

// design returns l phases of taps reversed coefficients of a low-pass with
// normalized cut-off fc (cycles per sample at the high rate), each phase
// scaled to unity DC gain.
func design(l, taps int, fc float64) []float32 {
	if l == 1 && taps == 1 {
		return []float32{1}
	}
	n := l * taps
	h := make([]float64, n)
	mid := float64(n-1) / 2
	i0b := bessel0(kaiserBeta)
	for i := range h {
		x := float64(i) - mid
		s := 2 * fc
		if x != 0 {
			s = math.Sin(2*math.Pi*fc*x) / (math.Pi * x)
		}
		r := 2 * x / float64(n-1)
		h[i] = s * bessel0(kaiserBeta*math.Sqrt(max(0, 1-r*r))) / i0b
	}
	coef := make([]float32, n)
	for p := range l {
		var sum float64
		for k := range taps {
			sum += h[p+k*l]
		}
		for k := range taps {
			// Output at phase p uses x[i-k]*h[p+k*l]; store it reversed so
			// the dot product runs forward over the input buffer.
			coef[p*taps+taps-1-k] = float32(h[p+k*l] / sum)
		}
	}
	return coef
}

// bessel0 is the modified Bessel function of the first kind, order 0.
func bessel0(x float64) float64 {
	sum, term := 1.0, 1.0
	for k := 1; k < 50; k++ {
		term *= (x / 2) / float64(k)
		sum += term * term
		if term*term < sum*1e-12 {
			break
		}
	}
	return sum
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// Rates returns the input and output rates.
func (r *Resampler) Rates() (from, to int) { return r.from, r.to }

// Delay returns the filter's group delay in output samples.
func (r *Resampler) Delay() int { return (r.taps*r.l - 1) / 2 / r.m }

// OutLen returns how many output samples n input samples make in steady
// state (exact when n*to is a multiple of from).
func (r *Resampler) OutLen(n int) int { return n * r.l / r.m }

// Process feeds in and writes output samples into out until in is used up
// or out is full. It returns how many samples it wrote and how many it took
// from in; samples it took but could not yet turn into output stay inside
// the resampler for the next call.
func (r *Resampler) Process(out, in []int16) (written, consumed int) {
	for {
		written += r.emit(out[written:])
		if consumed == len(in) || written == len(out) {
			return written, consumed
		}
		r.compact()
		n := min(len(r.buf)-r.n, len(in)-consumed)
		for i, s := range in[consumed : consumed+n] {
			r.buf[r.n+i] = float32(s)
		}
		r.n += n
		consumed += n
	}
}

// emit writes the outputs whose inputs are all in buf.
func (r *Resampler) emit(out []int16) int {
	w := 0
	for w < len(out) {
		i := r.t / r.l // newest input (relative to buf[taps-1])
		if i+r.taps > r.n {
			break
		}
		c := r.coef[(r.t%r.l)*r.taps:][:r.taps]
		x := r.buf[i : i+r.taps]
		out[w] = clamp16(dot(c, x))
		w++
		r.t += r.m
	}
	return w
}

// dot returns the dot product of c and x (len(x) >= len(c)), with four
// accumulators so the additions do not wait on each other.
func dot(c, x []float32) float32 {
	x = x[:len(c)]
	var a0, a1, a2, a3 float32
	k := 0
	for ; k+4 <= len(c); k += 4 {
		cc, xx := c[k:k+4:k+4], x[k:k+4:k+4]
		a0 += cc[0] * xx[0]
		a1 += cc[1] * xx[1]
		a2 += cc[2] * xx[2]
		a3 += cc[3] * xx[3]
	}
	for ; k < len(c); k++ {
		a0 += c[k] * x[k]
	}
	return (a0 + a1) + (a2 + a3)
}

// compact drops input no future output needs, keeping taps-1 of history.
func (r *Resampler) compact() {
	drop := min(r.t/r.l, r.n-(r.taps-1))
	if drop <= 0 {
		return
	}
	copy(r.buf, r.buf[drop:r.n])
	r.n -= drop
	r.t -= drop * r.l
}

// Frame resamples exactly one block: len(out)*from must equal len(in)*to
// (for example 960 samples at 48 kHz into 160 at 8 kHz). Because the filter
// keeps its history, consecutive blocks join without a seam.
func (r *Resampler) Frame(out, in []int16) error {
	if len(out)*r.from != len(in)*r.to {
		return fmt.Errorf("audio: resample %d Hz to %d Hz: %d samples in cannot make %d out", r.from, r.to, len(in), len(out))
	}
	w, c := r.Process(out, in)
	if c != len(in) || w != len(out) {
		return fmt.Errorf("audio: resample %d Hz to %d Hz: produced %d of %d samples", r.from, r.to, w, len(out))
	}
	return nil
}

// Reset forgets the filter history, as after a gap in the stream.
func (r *Resampler) Reset() {
	clear(r.buf)
	r.n = r.taps - 1
	r.t = 0
}

func clamp16(v float32) int16 {
	switch {
	case v >= 32767:
		return 32767
	case v <= -32768:
		return -32768
	case v >= 0:
		return int16(v + 0.5)
	}
	return int16(v - 0.5)
}
