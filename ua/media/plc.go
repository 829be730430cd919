package media

import "math"

// Packet-loss concealment: pitch-synchronous repetition of the last
// received audio with a fade (after ITU-T G.711 Appendix I, simplified).
//
// When a gap starts, the pitch period P of the recent history is found by
// normalised cross-correlation, and the last P samples are repeated; the
// first 10 ms are played at full level, then the level falls linearly to
// zero over the next 50 ms, so a long gap turns into silence without a
// step. When real audio resumes it is cross-faded with the continued
// extrapolation over plcOverlap samples, so neither boundary clicks.

const (
	plcHist    = 320 // samples of history kept (40 ms)
	plcWindow  = 80  // correlation window (10 ms)
	plcMinP    = 16  // shortest period searched (500 Hz; tones repeat at a multiple)
	plcMaxP    = 120 // longest period searched (66 Hz)
	plcHold    = 80  // samples at full level before fading (10 ms)
	plcFade    = 400 // samples of linear fade to silence (50 ms)
	plcOverlap = 32  // cross-fade length when audio resumes (4 ms)
)

// plc conceals missing audio. The zero value is ready; it is not safe for
// concurrent use.
type plc struct {
	hist       [plcHist]int16 // most recent output, oldest first
	concealing bool
	period     int
	n          int // samples concealed in this gap so far
}

// push appends out to the history.
func (p *plc) push(out []int16) {
	if len(out) >= plcHist {
		copy(p.hist[:], out[len(out)-plcHist:])
		return
	}
	copy(p.hist[:], p.hist[len(out):])
	copy(p.hist[plcHist-len(out):], out)
}

// real passes received audio through: right after a gap it is cross-faded
// with the extrapolation; then it becomes the history.
func (p *plc) real(x []int16) {
	if p.concealing {
		k := min(plcOverlap, len(x))
		for i := 0; i < k; i++ {
			w := int32(i+1) * 1024 / int32(k+1)
			e := int32(p.extrapolate(p.n + i))
			x[i] = int16((int32(x[i])*w + e*(1024-w)) / 1024)
		}
		p.concealing = false
	}
	p.push(x)
}

// conceal fills out with the continuation of the history.
func (p *plc) conceal(out []int16) {
	if !p.concealing {
		p.concealing, p.n, p.period = true, 0, p.pitch()
	}
	for i := range out {
		out[i] = p.extrapolate(p.n)
		p.n++
	}
	// The history is not updated: repeating the original period keeps
	// the waveform continuous across successive concealed frames.
}

// extrapolate returns the n-th concealed sample of the current gap.
func (p *plc) extrapolate(n int) int16 {
	if n >= plcHold+plcFade {
		return 0
	}
	v := int32(p.hist[plcHist-p.period+n%p.period])
	if n > plcHold {
		v = v * int32(plcHold+plcFade-n) / plcFade
	}
	return int16(v)
}

// pitch returns the repetition lag in [plcMinP, plcMaxP]: among the lags
// whose normalised cross-correlation with the last plcWindow samples is
// within 0.05 of the best, the one whose first repeated sample continues
// the waveform most smoothly (a tone matches at every multiple of its
// period; the multiple closest to an integer joins best).
func (p *plc) pitch() int {
	h := p.hist[:]
	seg := h[plcHist-plcWindow:]
	var xx int64
	for _, v := range seg {
		xx += int64(v) * int64(v)
	}
	var corr [plcMaxP + 1]float64
	bestC := -1.0
	for lag := plcMinP; lag <= plcMaxP; lag++ {
		ref := h[plcHist-plcWindow-lag : plcHist-lag]
		var xy, yy int64
		for i, v := range seg {
			xy += int64(v) * int64(ref[i])
			yy += int64(ref[i]) * int64(ref[i])
		}
		corr[lag] = -1
		if xx > 0 && yy > 0 {
			corr[lag] = float64(xy) / math.Sqrt(float64(xx)*float64(yy))
		}
		bestC = max(bestC, corr[lag])
	}
	last, prev := int64(h[plcHist-1]), int64(h[plcHist-2])
	want := 2*last - prev // linear prediction of the next sample
	best, bestJoin := plcMinP, int64(math.MaxInt64)
	for lag := plcMinP; lag <= plcMaxP; lag++ {
		if corr[lag] < bestC-0.05 {
			continue
		}
		d := int64(h[plcHist-lag]) - want
		if d < 0 {
			d = -d
		}
		if d < bestJoin {
			best, bestJoin = lag, d
		}
	}
	return best
}
