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
//
// The lengths below are samples at 8 kHz; at 16 kHz (G.722) every one of
// them is doubled, so the times and pitch range stay the same.

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
	k          int                      // samples per 8 kHz sample: 1, or 2 at 16 kHz; 0 means 1
	hist       [maxTick * plcHist]int16 // most recent output, oldest first: the last plcHist*k are used
	concealing bool
	period     int
	n          int // samples concealed in this gap so far
}

// scale returns the samples per 8 kHz sample.
func (p *plc) scale() int { return max(p.k, 1) }

// history returns the history in use (plcHist*k samples).
func (p *plc) history() []int16 { return p.hist[len(p.hist)-plcHist*p.scale():] }

// push appends out to the history.
func (p *plc) push(out []int16) {
	h := p.history()
	if len(out) >= len(h) {
		copy(h, out[len(out)-len(h):])
		return
	}
	copy(h, h[len(out):])
	copy(h[len(h)-len(out):], out)
}

// real passes received audio through: right after a gap it is cross-faded
// with the extrapolation; then it becomes the history.
func (p *plc) real(x []int16) {
	if p.concealing {
		k := min(plcOverlap*p.scale(), len(x))
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
	k := p.scale()
	hold, fade := plcHold*k, plcFade*k
	if n >= hold+fade {
		return 0
	}
	h := p.history()
	v := int32(h[len(h)-p.period+n%p.period])
	if n > hold {
		v = v * int32(hold+fade-n) / int32(fade)
	}
	return int16(v)
}

// pitch returns the repetition lag in [plcMinP, plcMaxP]: among the lags
// whose normalised cross-correlation with the last plcWindow samples is
// within 0.05 of the best, the one whose first repeated sample continues
// the waveform most smoothly (a tone matches at every multiple of its
// period; the multiple closest to an integer joins best).
func (p *plc) pitch() int {
	k := p.scale()
	h := p.history()
	nh, minP, maxP := len(h), plcMinP*k, plcMaxP*k
	seg := h[nh-plcWindow*k:]
	var xx int64
	for _, v := range seg {
		xx += int64(v) * int64(v)
	}
	var corr [maxTick*plcMaxP + 1]float64
	bestC := -1.0
	for lag := minP; lag <= maxP; lag++ {
		ref := h[nh-len(seg)-lag : nh-lag]
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
	last, prev := int64(h[nh-1]), int64(h[nh-2])
	want := 2*last - prev // linear prediction of the next sample
	best, bestJoin := minP, int64(math.MaxInt64)
	for lag := minP; lag <= maxP; lag++ {
		if corr[lag] < bestC-0.05 {
			continue
		}
		d := int64(h[nh-lag]) - want
		if d < 0 {
			d = -d
		}
		if d < bestJoin {
			best, bestJoin = lag, d
		}
	}
	return best
}
