package g722

// The quadrature mirror filters of G.722 §3.2 and §4.4: 24 symmetric taps
// (Table 11/G.722, scaled by 2^13), split here into the even taps h(2i)
// and the odd taps h(2i+1), i = 0..11.
var (
	hEven = [12]int32{3, -11, 12, 32, -210, 951, 3876, -805, 362, -156, 53, -11}
	hOdd  = [12]int32{-11, 53, -156, 362, -805, 3876, 951, -210, 32, 12, -11, 3}
)

// The delay lines hold the newest samples at the end of a window that
// moves up a longer buffer; when the window reaches the buffer's end, its
// tail is copied back to the start (once every 12 calls instead of a shift
// per call).

// qmf is the transmit QMF: it takes the next two input samples (x0 before
// x1) and returns the lower and higher sub-band samples xL and xH.
func (e *Encoder) qmf(x0, x1 int32) (xl, xh int32) {
	if e.xn+2 > len(e.x) {
		copy(e.x[:22], e.x[e.xn-22:e.xn])
		e.xn = 22
	}
	e.x[e.xn], e.x[e.xn+1] = x0, x1
	e.xn += 2
	x := (*[24]int32)(e.x[e.xn-24 : e.xn]) // oldest first
	// xA sums the even taps over x(j), x(j-2), ...; xB the odd taps over
	// x(j-1), x(j-3), ..., with x(j) the newest sample.
	var xa, xb int32
	for i := range 12 {
		xa += hEven[i] * x[23-2*i]
		xb += hOdd[i] * x[22-2*i]
	}
	xl, xh = (xa+xb)>>14, (xa-xb)>>14
	// The sub-band signals are 15-bit: the Recommendation's reference
	// limits them; ffmpeg's arithmetic (a test-only switch) does not.
	if e.low.ffmpeg {
		if xl != limit(xl) || xh != limit(xh) {
			e.low.wide++
		}
		return xl, xh
	}
	return limit(xl), limit(xh)
}

// qmf is the receive QMF: it takes the reconstructed lower and higher
// sub-band samples and returns the next two output samples.
func (d *Decoder) qmf(rl, rh int32) (int16, int16) {
	if d.xn+1 > len(d.xd) {
		copy(d.xd[:11], d.xd[d.xn-11:d.xn])
		copy(d.xs[:11], d.xs[d.xn-11:d.xn])
		d.xn = 11
	}
	d.xd[d.xn], d.xs[d.xn] = rl-rh, rl+rh
	d.xn++
	xd := (*[12]int32)(d.xd[d.xn-12 : d.xn]) // oldest first
	xs := (*[12]int32)(d.xs[d.xn-12 : d.xn])
	var o1, o2 int32
	for i := range 12 {
		o1 += hEven[i] * xd[11-i]
		o2 += hOdd[i] * xs[11-i]
	}
	return int16(sat16(o1 >> 11)), int16(sat16(o2 >> 11))
}
