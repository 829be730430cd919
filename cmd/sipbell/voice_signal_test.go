package main

import (
	"fmt"
	"math"
	"math/cmplx"
	"time"

	"github.com/sipbell/sipbell/internal/interop"
)

// The known signal the voice tests send each way, and the analysis that
// judges what arrived.
//
// The signal is periodic with a period of voicePeriod samples (2.048 s):
// four tones in sequence, then a linear chirp. A recording is aligned to
// it by circular cross-correlation (an FFT of one period), so the
// alignment needs no start marker and survives a recording that begins
// anywhere in the cycle.

const (
	voicePeriod = 16384 // samples of one cycle at 8 kHz (a power of two for the FFT)
	voiceAmp    = 12000 // about -8.7 dBFS: well inside G.711's range
	voiceFrame  = 160   // 20 ms at 8 kHz
	// toneLen is one tone's length; the chirp takes the second half.
	toneLen = voicePeriod / 8
	// chirpLo and chirpHi bound the chirp's sweep (Hz).
	chirpLo, chirpHi = 300.0, 3400.0
)

// voiceTones are the tones of one cycle, in order. None divides 8000, so
// no shift of a few samples makes a tone frame match itself.
var voiceTones = [4]float64{440, 1170, 1930, 2710}

// voiceCycle returns one period of the signal.
func voiceCycle() []int16 {
	s := make([]int16, voicePeriod)
	phase := 0.0
	for i := range s {
		var f float64
		if k := i / toneLen; k < len(voiceTones) {
			f = voiceTones[k]
		} else {
			x := float64(i-4*toneLen) / float64(voicePeriod-4*toneLen)
			f = chirpLo + (chirpHi-chirpLo)*x
		}
		phase += 2 * math.Pi * f / 8000 // phase-continuous: no click at a change
		s[i] = int16(voiceAmp * math.Sin(phase))
	}
	return s
}

// voiceSignal returns cycles periods of the signal.
func voiceSignal(cycles int) []int16 {
	c := voiceCycle()
	out := make([]int16, 0, cycles*len(c))
	for range cycles {
		out = append(out, c...)
	}
	return out
}

// fft is an in-place iterative radix-2 FFT (len(a) a power of two);
// inverse computes the unscaled inverse transform.
func fft(a []complex128, inverse bool) {
	n := len(a)
	for i, j := 1, 0; i < n; i++ {
		bit := n >> 1
		for ; j&bit != 0; bit >>= 1 {
			j ^= bit
		}
		j ^= bit
		if i < j {
			a[i], a[j] = a[j], a[i]
		}
	}
	sign := -1.0
	if inverse {
		sign = 1
	}
	for size := 2; size <= n; size <<= 1 {
		w := cmplx.Rect(1, sign*2*math.Pi/float64(size))
		for start := 0; start < n; start += size {
			wk := complex(1, 0)
			for k := 0; k < size/2; k++ {
				u, v := a[start+k], a[start+k+size/2]*wk
				a[start+k], a[start+k+size/2] = u+v, u-v
				wk *= w
			}
		}
	}
}

// alignment finds the offset o that best maps the window x (len
// voicePeriod) onto the periodic reference: x[i] ≈ ref[(i+o) mod P].
func alignment(refSpec []complex128, x []int16) int {
	a := make([]complex128, voicePeriod)
	for i, v := range x {
		a[i] = complex(float64(v), 0)
	}
	fft(a, false)
	for i := range a {
		a[i] = refSpec[i] * cmplx.Conj(a[i])
	}
	fft(a, true)
	best, bestV := 0, math.Inf(-1)
	for i, v := range a {
		if real(v) > bestV {
			best, bestV = i, real(v)
		}
	}
	return best
}

// frameSNR returns the SNR (dB) of frame x against the reference at
// offset o, for a frame starting at index at of the recording.
func frameSNR(ref, x []int16, at, o int) (sig, noise float64) {
	for k, v := range x {
		r := float64(ref[(at+k+o)%voicePeriod])
		d := float64(v) - r
		sig += r * r
		noise += d * d
	}
	return sig, noise
}

func db(sig, noise float64) float64 {
	if noise == 0 {
		return 99
	}
	return 10 * math.Log10(sig/noise)
}

// voiceReport is what the analysis found in one recording.
type voiceReport struct {
	Samples, Steady   int     // recording length; frames in the steady part
	Offset            int     // alignment of the best run
	RunFrames         int     // longest run of consecutive good frames at one alignment
	RunStart          int     // its first sample in the recording
	RunSNR, WorstSNR  float64 // over the run; its worst frame
	Covered           int     // steady frames good at some tried alignment
	Anchors           int     // alignments tried
	ToneShare         [4]float64
	ChirpRising       bool
	ChirpMaxErrHz     float64
	DominantFreqOrder []float64 // measured frequency of each tone, in order
}

func (r voiceReport) String() string {
	return fmt.Sprintf("%d samples, %d steady frames; best run %d frames (%.2f s) at offset %d from sample %d: SNR %.1f dB, worst frame %.1f dB; %d/%d steady frames good at %d tried alignments; tone shares %.3f; tone freqs %.0f; chirp rising %v (max err %.0f Hz)",
		r.Samples, r.Steady, r.RunFrames, float64(r.RunFrames*voiceFrame)/8000, r.Offset, r.RunStart,
		r.RunSNR, r.WorstSNR, r.Covered, r.Steady, r.Anchors, r.ToneShare, r.DominantFreqOrder, r.ChirpRising, r.ChirpMaxErrHz)
}

// goodFrameDB is the SNR a frame must reach to count as a faithful copy
// of the reference: G.711 gives ~38 dB; a click, a dropped or repeated
// frame, a concealed frame or a shifted one all fall far below.
const goodFrameDB = 30

// analyseVoice aligns rec to the signal and finds the longest stretch
// where every 20 ms frame is a faithful copy at one constant alignment.
//
// Why this is stall-proof but bug-sensitive: a scheduling stall of a
// sender or receiver on this shared 2-core machine shows up as one
// isolated break (a few concealed or silent frames, then the audio goes
// on at a new alignment). It cannot make a run of faithful frames
// unfaithful elsewhere, so the test asks for one unbroken run of a
// whole period and a half (≈3 s) out of ≈8 s of steady audio — it
// tolerates a couple of stalls. A media bug is not isolated: a wrong
// codec or gain spoils every frame's SNR, periodic frame drops,
// duplicates, reordering or clicks break the alignment or a frame's SNR
// again and again, so no 3 s run survives. voice_signal_test's
// TestAnalyseVoiceCatchesFaults proves each of those fails.
func analyseVoice(ref, rec []int16) voiceReport {
	rep := voiceReport{Samples: len(rec)}
	// The steady part: from 0.5 s after the first sound (the jitter
	// buffer settles) to 0.2 s before the last.
	first, last := -1, -1
	for i := 0; i+voiceFrame <= len(rec); i += voiceFrame {
		if rms(rec[i:i+voiceFrame]) > 300 {
			if first < 0 {
				first = i
			}
			last = i + voiceFrame
		}
	}
	if first < 0 {
		return rep
	}
	start, end := first+4000, last-1600
	if end-start < voicePeriod {
		return rep
	}
	nFrames := (end - start) / voiceFrame
	rep.Steady = nFrames
	refSpec := make([]complex128, voicePeriod)
	for i, v := range ref[:voicePeriod] {
		refSpec[i] = complex(float64(v), 0)
	}
	fft(refSpec, false)
	good := make([]bool, nFrames)
	tried := map[int]bool{}
	for w := start; w+voicePeriod <= end && rep.Anchors < 12; w += voicePeriod / 4 {
		o := ((alignment(refSpec, rec[w:w+voicePeriod])-w)%voicePeriod + voicePeriod) % voicePeriod
		if tried[o] {
			continue
		}
		tried[o] = true
		rep.Anchors++
		run, runStart := 0, 0
		var rs, rn, worst float64
		for f := 0; f < nFrames; f++ {
			at := start + f*voiceFrame
			s, n := frameSNR(ref, rec[at:at+voiceFrame], at, o)
			if db(s, n) >= goodFrameDB {
				good[f] = true
				if run == 0 {
					runStart, rs, rn, worst = at, 0, 0, 99
				}
				run++
				rs, rn, worst = rs+s, rn+n, min(worst, db(s, n))
				if run > rep.RunFrames {
					rep.RunFrames, rep.RunStart, rep.Offset = run, runStart, o
					rep.RunSNR, rep.WorstSNR = db(rs, rn), worst
				}
			} else {
				run = 0
			}
		}
	}
	for _, g := range good {
		if g {
			rep.Covered++
		}
	}
	if rep.RunFrames*voiceFrame >= voicePeriod {
		rep.checkContent(rec[rep.RunStart:rep.RunStart+rep.RunFrames*voiceFrame], rep.RunStart, rep.Offset)
	}
	return rep
}

// checkContent measures, in the run x (starting at sample at of the
// recording, aligned at offset o), each tone's share of its energy and
// the chirp's frequency along its sweep, independently of the reference
// samples.
func (r *voiceReport) checkContent(x []int16, at, o int) {
	// index in x of cycle position p, in the first full cycle of the run
	pos := func(p int) int { return ((p-(at+o))%voicePeriod + voicePeriod) % voicePeriod }
	for k, f := range voiceTones {
		i := pos(k*toneLen) + voiceFrame // skip the frame at the change
		if i+toneLen-2*voiceFrame > len(x) {
			i -= voicePeriod
		}
		if i < 0 {
			continue
		}
		seg := x[i : i+toneLen-2*voiceFrame]
		r.ToneShare[k] = interop.ToneShare(seg, f)
		r.DominantFreqOrder = append(r.DominantFreqOrder, zeroCrossHz(seg))
	}
	// The chirp in 8 slices: each slice's frequency near the sweep's.
	r.ChirpRising = true
	prev := 0.0
	n := voicePeriod - 4*toneLen
	slice := n / 8
	for s := 0; s < 8; s++ {
		i := pos(4*toneLen + s*slice)
		if i+slice > len(x) {
			i -= voicePeriod
		}
		if i < 0 {
			r.ChirpRising = false
			continue
		}
		got := zeroCrossHz(x[i : i+slice])
		want := chirpLo + (chirpHi-chirpLo)*(float64(s)+0.5)/8
		r.ChirpMaxErrHz = max(r.ChirpMaxErrHz, math.Abs(got-want))
		if got <= prev {
			r.ChirpRising = false
		}
		prev = got
	}
}

// zeroCrossHz estimates the frequency of x from its zero crossings.
func zeroCrossHz(x []int16) float64 {
	n := 0
	for i := 1; i < len(x); i++ {
		if (x[i-1] < 0) != (x[i] < 0) {
			n++
		}
	}
	return float64(n) / 2 / (float64(len(x)) / 8000)
}

func rms(x []int16) float64 {
	var e float64
	for _, v := range x {
		e += float64(v) * float64(v)
	}
	return math.Sqrt(e / float64(len(x)))
}

// voiceOK returns why rep fails the voice-quality bar, or "" when it
// passes: an unbroken run of 1.5 periods, three quarters of the steady
// frames faithful at some alignment, SNR within a few dB of
// G.711's ~38 dB, each tone pure and in order, the chirp rising on its
// sweep.
//
// minSteady is how long the steady part must be (the call's length less
// its settling): audio that stops early shows as a short steady part.
func voiceOK(rep voiceReport, minSteady time.Duration) string {
	switch {
	case time.Duration(rep.Steady)*20*time.Millisecond < minSteady:
		return fmt.Sprintf("audio for %v, want %v: it stopped early", time.Duration(rep.Steady)*20*time.Millisecond, minSteady)
	case rep.RunFrames*voiceFrame < voicePeriod*3/2:
		return fmt.Sprintf("longest faithful run %.2f s, want ≥ %.2f s (no break: no gap, click, drop or reorder)",
			float64(rep.RunFrames*voiceFrame)/8000, float64(voicePeriod*3/2)/8000)
	case rep.Covered*4 < rep.Steady*3:
		// Stalls cost a few frames; audio that dies or turns to noise
		// for seconds after a good run does not pass.
		return fmt.Sprintf("only %d of %d steady frames are faithful, want ≥ 75%%", rep.Covered, rep.Steady)
	case rep.RunSNR < 34:
		return fmt.Sprintf("SNR %.1f dB over the run, want ≥ 34 dB (G.711 gives ~38)", rep.RunSNR)
	case !rep.ChirpRising || rep.ChirpMaxErrHz > 150:
		return fmt.Sprintf("chirp not rising along its sweep (rising %v, max error %.0f Hz)", rep.ChirpRising, rep.ChirpMaxErrHz)
	}
	for k, s := range rep.ToneShare {
		if s < 0.95 || math.Abs(rep.DominantFreqOrder[k]-voiceTones[k]) > 40 {
			return fmt.Sprintf("tone %d: %.0f Hz share %.3f, measured %.0f Hz", k, voiceTones[k], s, rep.DominantFreqOrder[k])
		}
	}
	return ""
}
