package aec

import (
	"fmt"
	"math"
	"math/bits"
)

// rfft is a real-input FFT of a fixed power-of-two size n, computed as a
// complex FFT of n/2 points (even samples as the real part, odd samples as
// the imaginary part) followed by the split step. Spectra hold the n/2+1
// non-negative frequency bins. Forward is unnormalised, inverse divides by
// n, so inverse(forward(x)) == x. All work buffers are allocated once.
type rfft struct {
	n, m  int         // real size, complex size (n/2)
	rev   []int32     // bit reversal permutation of m points
	tw    []complex64 // forward twiddles, stage by stage: exp(-2πij/size), j < size/2
	twi   []complex64 // the same, conjugated (inverse)
	split []complex64 // exp(-2πik/n), k <= m: split-step twiddles
	z     []complex64 // m-point work buffer
}

// newRFFT returns an FFT of n real points; n must be a power of two >= 4.
func newRFFT(n int) (*rfft, error) {
	if n < 4 || n&(n-1) != 0 {
		return nil, fmt.Errorf("aec: fft size %d: %w", n, ErrConfig)
	}
	m := n / 2
	f := &rfft{n: n, m: m, rev: make([]int32, m), split: make([]complex64, m+1), z: make([]complex64, m)}
	shift := 64 - bits.Len(uint(m-1))
	if m == 1 {
		shift = 64
	}
	for i := range f.rev {
		f.rev[i] = int32(bits.Reverse64(uint64(i)) >> shift)
	}
	for size := 2; size <= m; size <<= 1 {
		for j := 0; j < size/2; j++ {
			s, c := math.Sincos(-2 * math.Pi * float64(j) / float64(size))
			f.tw = append(f.tw, complex(float32(c), float32(s)))
			f.twi = append(f.twi, complex(float32(c), float32(-s)))
		}
	}
	for k := range f.split {
		s, c := math.Sincos(-2 * math.Pi * float64(k) / float64(n))
		f.split[k] = complex(float32(c), float32(s))
	}
	return f, nil
}

// cfft transforms f.z in place (inverse uses conjugate twiddles and no
// scaling).
func (f *rfft) cfft(inverse bool) {
	z, m := f.z, f.m
	for i, r := range f.rev {
		if int(r) > i {
			z[i], z[r] = z[r], z[i]
		}
	}
	tw := f.tw
	if inverse {
		tw = f.twi
	}
	for i := 0; i+1 < m; i += 2 { // first stage: no multiplications
		z[i], z[i+1] = z[i]+z[i+1], z[i]-z[i+1]
	}
	off := 1
	for size := 4; size <= m; size <<= 1 {
		half := size / 2
		w := tw[off : off+half]
		for start := 0; start < m; start += size {
			lo, hi := z[start:start+half], z[start+half:start+size]
			for j, wj := range w {
				a, b := lo[j], hi[j]*wj
				lo[j], hi[j] = a+b, a-b
			}
		}
		off += half
	}
}

// forward writes the n/2+1 bins of the spectrum of x (len n) to dst.
func (f *rfft) forward(dst []complex64, x []float32) {
	m := f.m
	for i := 0; i < m; i++ {
		f.z[i] = complex(x[2*i], x[2*i+1])
	}
	f.cfft(false)
	z := f.z
	dst[0] = complex(real(z[0])+imag(z[0]), 0)
	dst[m] = complex(real(z[0])-imag(z[0]), 0)
	for k := 1; k < m; k++ {
		a, b := z[k], z[m-k]
		bc := complex(real(b), -imag(b))
		fe := (a + bc) * 0.5
		fo := (a - bc) * complex(0, -0.5)
		dst[k] = fe + f.split[k]*fo
	}
}

// inverse writes the n real samples whose spectrum is src (n/2+1 bins) to
// dst.
func (f *rfft) inverse(dst []float32, src []complex64) {
	m := f.m
	for k := 0; k < m; k++ {
		a, b := src[k], src[m-k]
		bc := complex(real(b), -imag(b))
		fe := (a + bc) * 0.5
		w := f.split[k]
		fo := (a - bc) * 0.5 * complex(real(w), -imag(w))
		f.z[k] = fe + complex(0, 1)*fo
	}
	f.cfft(true)
	scale := 1 / float32(m)
	for i, v := range f.z {
		dst[2*i] = real(v) * scale
		dst[2*i+1] = imag(v) * scale
	}
}
