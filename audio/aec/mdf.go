package aec

// mdf is the partitioned-block frequency-domain adaptive filter: b samples
// per block, p partitions of b taps each (tail b*p samples), FFT size 2b.
//
// It runs two filters on the same far-end spectra (the "two-path" scheme):
// the main filter, whose echo estimate is subtracted, adapts with a step
// set from the estimated residual echo, so it is precise once converged and
// stands still in double talk; the shadow filter adapts with a large, fixed
// step. When the shadow's error is clearly smaller for a while (the echo
// path changed) its weights replace the main ones; when it is clearly worse
// (it diverged in double talk) the main weights replace its own.
type mdf struct {
	b, k, p int // block, bins (b+1), partitions
	fft     *rfft
	xt      []float32     // last two far-end blocks (time)
	x       [][]complex64 // far-end block spectra, x[(head+j)%p] is j blocks old
	w, ws   [][]complex64 // main and shadow weights per partition
	head    int
	rr      int // next partition whose weights are constrained
	tmp     []float32
	ys, es  []float32   // shadow echo estimate and error (time)
	yf, ef  []complex64 // echo estimate (filter output) and error spectra
	ysf     []complex64 // shadow echo estimate spectrum
	efs     []complex64 // shadow error spectrum
	gm, gs  []complex64 // main and shadow normalised, scaled error spectra
	py      []complex64 // spectrum of the echo estimate block (for powers)
	norm    []float32   // sum over partitions of |x|^2 per bin
	mu      []float32   // per-bin step
	se, sy  []float32   // smoothed error and echo-estimate power spectra
	pe, pyw []float32   // newest error and echo-estimate power spectra
	pey     float32     // leak regression: covariance of error and echo power
	pyy     float32     // leak regression: variance of echo power
	leak    float32     // residual echo power / echo estimate power
	rey     []float32   // per-bin leak regression: covariance
	ryy     []float32   // per-bin leak regression: variance
	lk      []float32   // per-bin leak estimate
	beta0   float32     // leak regression smoothing at full confidence
	adapt   float32     // summed early-adaptation step (to leave start-up)
	adapted bool
	cey     float32 // smoothed cross-energy of error and echo estimate
	cee     float32 // smoothed error energy
	cyy     float32 // smoothed echo-estimate energy
	bad     int     // consecutive blocks with error louder than the microphone
	em, esh float32 // smoothed error energy of the main and shadow filter
	edd     float32 // smoothed microphone energy
	changed int     // blocks left in which the main filter counts as out of date
	better  int     // consecutive blocks the shadow has been clearly better
	worse   int     // consecutive blocks the shadow has been clearly worse
}

// Adaptation constants (block-rate).
const (
	powSmooth    = 0.35  // smoothing of se, sy
	muMax        = 0.5   // largest per-bin step once adapted
	muStart      = 0.25  // step before the filter has adapted
	muShadow     = 0.7   // the shadow filter's step
	leakMin      = 0.005 // floor of the leak estimate
	farFloor     = 30.0  // far-end RMS (int16 units) below which nothing adapts
	errSmooth2   = 0.1   // smoothing of the error energies compared
	copyAfter    = 6     // blocks of clear difference before weights are copied
	copyERLE     = 0.125 // shadow error over microphone energy below which it may be copied (9 dB)
	changeHold   = 25    // blocks the main filter counts as out of date after a copy
	worseThanMic = 1.5   // main error over microphone energy that means out of date
	corrSmooth   = 0.2   // smoothing of the error/echo-estimate correlation
	dtMargin     = 8.0   // error over expected residual energy that means double talk
	echoPresent  = 0.7   // error over microphone energy below which there is echo to learn
	dtFloor      = 2500  // per-sample error energy never taken for double talk
	// constrainPerBlock is how many partitions of each filter get the
	// gradient constraint per block (in turn; all of them costs 2 FFTs per
	// partition and block).
	constrainPerBlock = 2
)

func newMDF(b, p, rate int) (*mdf, error) {
	f, err := newRFFT(2 * b)
	if err != nil {
		return nil, err
	}
	k := b + 1
	m := &mdf{b: b, k: k, p: p, fft: f, xt: make([]float32, 2*b),
		x: make([][]complex64, p), w: make([][]complex64, p), ws: make([][]complex64, p),
		tmp: make([]float32, 2*b), ys: make([]float32, b), es: make([]float32, b),
		yf: make([]complex64, k), ef: make([]complex64, k), py: make([]complex64, k),
		ysf: make([]complex64, k), efs: make([]complex64, k), gm: make([]complex64, k), gs: make([]complex64, k),
		norm: make([]float32, k), mu: make([]float32, k), se: make([]float32, k),
		sy: make([]float32, k), pe: make([]float32, k), pyw: make([]float32, k),
		rey: make([]float32, k), ryy: make([]float32, k), lk: make([]float32, k),
		beta0: float32(2*b) / float32(rate)}
	for j := range m.x {
		m.x[j] = make([]complex64, k)
		m.w[j] = make([]complex64, k)
		m.ws[j] = make([]complex64, k)
	}
	m.reset()
	return m, nil
}

func (m *mdf) reset() {
	clear(m.xt)
	for j := range m.x {
		clear(m.x[j])
		clear(m.w[j])
		clear(m.ws[j])
	}
	for _, s := range [][]float32{m.se, m.sy, m.pe, m.pyw, m.rey, m.ryy} {
		clear(s)
	}
	for i := range m.lk {
		m.lk[i] = 1
	}
	m.pey, m.pyy, m.leak = 0, 0, 1
	m.adapt, m.adapted, m.bad = 0, false, 0
	m.em, m.esh, m.edd, m.better, m.worse, m.changed = 0, 0, 0, 0, 0, 0
	m.cey, m.cee, m.cyy = 0, 0, 0
}

// process takes one block of far-end and microphone samples and writes the
// error (microphone minus echo estimate) to e and the echo estimate to y.
func (m *mdf) process(far, near, e, y []float32) {
	b := m.b
	copy(m.xt, m.xt[b:])
	copy(m.xt[b:], far)
	m.head = (m.head + m.p - 1) % m.p
	m.changed = max(0, m.changed-1)
	m.fft.forward(m.x[m.head], m.xt)
	m.filter(y, m.ys)
	var sdd, see, ses, sxx, sey, syy float32
	for i := 0; i < b; i++ {
		e[i] = near[i] - y[i]
		m.es[i] = near[i] - m.ys[i]
		sdd += near[i] * near[i]
		see += e[i] * e[i]
		ses += m.es[i] * m.es[i]
		sxx += far[i] * far[i]
		sey += e[i] * y[i]
		syy += y[i] * y[i]
	}
	if m.diverged(sdd, see) {
		// The main filter makes things worse: take the shadow's weights if
		// they do better, else start the main filter again from zero.
		if ses < see {
			copyWeights(m.w, m.ws)
		} else {
			for _, w := range m.w {
				clear(w)
			}
		}
		m.bad = 0
		copy(e, near)
		clear(y)
		return
	}
	m.edd += errSmooth2 * (sdd - m.edd)
	m.em += errSmooth2 * (see - m.em)
	m.esh += errSmooth2 * (ses - m.esh)
	if m.em > worseThanMic*m.edd && m.esh < 0.5*m.em {
		// The main filter is out of date and adds echo while the shadow
		// does better: pass the microphone through (the post-filter
		// takes it all for echo) until the shadow's weights replace it.
		copy(e, near)
		clear(y)
		m.changed = max(m.changed, 1)
	}
	if sxx < float32(b)*farFloor*farFloor {
		return // nothing to learn from: keep weights and statistics
	}
	m.cey += corrSmooth * (sey - m.cey)
	m.cee += corrSmooth * (see - m.cee)
	m.cyy += corrSmooth * (syy - m.cyy)
	m.spectra(e, y)
	m.step(sxx, see)
	m.shadowSpectrum()
	m.update()
	m.compare()
}

// shadowSpectrum computes the shadow filter's error spectrum.
func (m *mdf) shadowSpectrum() {
	clear(m.tmp[:m.b])
	copy(m.tmp[m.b:], m.es)
	m.fft.forward(m.efs, m.tmp)
}

// compare copies the shadow weights to the main filter when the shadow has
// been clearly better for a while and removes a good part of the echo
// (in double talk the near end keeps its error high), and the other way round when it has
// been clearly worse.
func (m *mdf) compare() {
	switch {
	case m.esh < 0.5*m.em && m.esh < copyERLE*m.edd:
		m.better, m.worse = m.better+1, 0
	case m.esh > 4*m.em:
		m.better, m.worse = 0, m.worse+1
	default:
		m.better, m.worse = 0, 0
	}
	if m.better > copyAfter {
		copyWeights(m.w, m.ws)
		m.em, m.better = m.esh, 0
		// The main filter was out of date: its leak estimate too.
		m.leak = min(1, max(m.leak, m.esh/(m.cyy+1)))
		m.pey = m.leak * m.pyy
		m.changed = changeHold
	}
	if m.worse > copyAfter {
		copyWeights(m.ws, m.w)
		m.esh, m.worse = m.em, 0
	}
}

func copyWeights(dst, src [][]complex64) {
	for j := range dst {
		copy(dst[j], src[j])
	}
}

// diverged reports a filter that makes the signal louder, persistently.
func (m *mdf) diverged(sdd, see float32) bool {
	if see > 4*sdd+float32(m.b)*1e4 {
		m.bad++
	} else {
		m.bad = 0
	}
	return m.bad > 8 || see != see
}

// filter computes the echo estimates of the main and the shadow weights
// for the newest block into y and ys, and the per-bin far-end power summed
// over partitions into m.norm.
func (m *mdf) filter(y, ys []float32) {
	clear(m.yf)
	clear(m.ysf)
	clear(m.norm)
	for j := 0; j < m.p; j++ {
		x := m.x[(m.head+j)%m.p]
		w, wsh := m.w[j][:len(x)], m.ws[j][:len(x)]
		yf, ysf, norm := m.yf[:len(x)], m.ysf[:len(x)], m.norm[:len(x)]
		for i, xv := range x {
			yf[i] += w[i] * xv
			ysf[i] += wsh[i] * xv
			norm[i] += real(xv)*real(xv) + imag(xv)*imag(xv)
		}
	}
	m.fft.inverse(m.tmp, m.yf)
	copy(y, m.tmp[m.b:])
	m.fft.inverse(m.tmp, m.ysf)
	copy(ys, m.tmp[m.b:])
}

// spectra computes the error spectrum (for the update, zero-padded as
// overlap-save needs) and the smoothed error and echo-estimate powers.
func (m *mdf) spectra(e, y []float32) {
	b := m.b
	clear(m.tmp[:b])
	copy(m.tmp[b:], y)
	m.fft.forward(m.py, m.tmp)
	copy(m.tmp[b:], e)
	m.fft.forward(m.ef, m.tmp)
	for i := range m.ef {
		pe := real(m.ef[i])*real(m.ef[i]) + imag(m.ef[i])*imag(m.ef[i])
		py := real(m.py[i])*real(m.py[i]) + imag(m.py[i])*imag(m.py[i])
		m.pe[i], m.pyw[i] = pe, py
		m.se[i] += powSmooth * (pe - m.se[i])
		m.sy[i] += powSmooth * (py - m.sy[i])
	}
}

// step updates the leak estimate and sets the per-bin step sizes.
func (m *mdf) step(sxx, see float32) {
	if min(m.em, m.esh) > echoPresent*m.edd {
		// Neither filter removes anything: the microphone holds no echo
		// worth learning (a near-end talker alone, or a silent speaker).
		// Only the shadow learns, until it finds an echo.
		clear(m.mu)
		return
	}
	if m.adapted && m.cee > dtMargin*m.leak*m.cyy+float32(m.b)*dtFloor {
		// The error is far louder than the residual echo should be: the
		// near end talks (or the echo path changed, which the shadow
		// filter handles). Hold the main filter and the leak estimate.
		clear(m.mu)
		return
	}
	var syy, sEE, dey, dyy float32
	for i := range m.se {
		syy += m.sy[i]
		sEE += m.se[i]
		de, dy := m.pe[i]-m.se[i], m.pyw[i]-m.sy[i]
		dey += de * dy
		dyy += dy * dy
	}
	beta := m.beta0 * min(1, syy/(sEE+1))
	for i := range m.se {
		de, dy := m.pe[i]-m.se[i], m.pyw[i]-m.sy[i]
		m.rey[i] += beta * (de*dy - m.rey[i])
		m.ryy[i] += beta * (dy*dy - m.ryy[i])
		if m.ryy[i] > 0 {
			m.lk[i] = min(1, max(leakMin, m.rey[i]/m.ryy[i]))
		}
	}
	m.pey += beta * (dey - m.pey)
	m.pyy += beta * (dyy - m.pyy)
	m.pey = min(m.pyy, max(leakMin*m.pyy, m.pey))
	if m.pyy > 0 {
		m.leak = m.pey / m.pyy
	}
	if !m.adapted {
		r := muStart * min(1, sxx/(see+1))
		for i := range m.mu {
			m.mu[i] = r
		}
		m.adapt += r
		if m.adapt > float32(m.p)/2 && m.leak < 0.5 && syy > 0.05*sEE {
			m.adapted = true
		}
		return
	}
	// Residual-to-error ratio: the share of the error that is echo. The
	// correlation of error and echo estimate bounds it from below: a
	// misadjusted filter (the echo path changed) leaves an error that is
	// a copy of its own estimate.
	rer := max(m.leak*syy/(sEE+1), m.cey*m.cey/(m.cee*m.cyy+1))
	rer = min(muMax, rer)
	for i := range m.mu {
		r := min(muMax, m.lk[i]*m.sy[i]/(m.se[i]+1))
		m.mu[i] = 0.5*r + 0.5*rer
	}
}

// update adds to the main and the shadow weights of every partition
// their gradients (error spectrum times conjugate far-end spectrum),
// normalised per bin by the far-end power and scaled by the main filter's
// per-bin step and the shadow's fixed step, then applies the gradient
// constraint (taps beyond the block zeroed) to a few partitions of each
// in turn.
func (m *mdf) update() {
	for i := range m.gm {
		inv := 1 / (m.norm[i] + float32(m.b)*100)
		m.gm[i] = m.ef[i] * complex(m.mu[i]*inv, 0)
		m.gs[i] = m.efs[i] * complex(muShadow*inv, 0)
	}
	for j := 0; j < m.p; j++ {
		x := m.x[(m.head+j)%m.p]
		w, wsh := m.w[j][:len(x)], m.ws[j][:len(x)]
		gm, gs := m.gm[:len(x)], m.gs[:len(x)]
		for i, xv := range x {
			xc := complex(real(xv), -imag(xv))
			w[i] += xc * gm[i]
			wsh[i] += xc * gs[i]
		}
	}
	for n := 0; n < constrainPerBlock; n++ {
		m.constrain(m.w[m.rr])
		m.constrain(m.ws[m.rr])
		m.rr = (m.rr + 1) % m.p
	}
}

// constrain zeroes the taps of partition weights w beyond the block, so
// that the partition stays a linear (not circular) convolution.
func (m *mdf) constrain(w []complex64) {
	m.fft.inverse(m.tmp, w)
	clear(m.tmp[m.b:])
	m.fft.forward(w, m.tmp)
}
