// Package dtmf detects DTMF digits in 8 or 16 kHz audio with Goertzel
// filters and generates DTMF tones.
//
// The detector analyses blocks of 12.75 ms (102 samples at 8 kHz, 204 at
// 16 kHz) and reports a
// digit once per key press: when the same digit was found in consecutive
// blocks for at least the minimum duration, passing level, twist, relative
// peak and signal-to-noise checks. Speech, chirps and single tones fail
// those checks; a long press yields one digit, not several.
package dtmf

import (
	"fmt"
	"math"
)

const (
	rate      = 8000
	blockSize = 102 // 12.75 ms at 8 kHz: 78 Hz resolution, enough to tell rows apart
	maxBlock  = 2 * blockSize
)

// The DTMF frequency grid and its digits.
var (
	rowFreqs = [4]float64{697, 770, 852, 941}
	colFreqs = [4]float64{1209, 1336, 1477, 1633}
	keys     = [4][4]byte{
		{'1', '2', '3', 'A'},
		{'4', '5', '6', 'B'},
		{'7', '8', '9', 'C'},
		{'*', '0', '#', 'D'},
	}
)

// Digits lists the 16 DTMF digits.
const Digits = "123A456B789C*0#D"

// Detector thresholds. They can be changed on a Detector before use.
type Thresholds struct {
	// MinLevel is the lowest amplitude each component may have, as a
	// fraction of full scale (default 0.006, about -44 dBFS).
	MinLevel float64
	// NormalTwist and ReverseTwist are how much weaker, in dB, the column
	// (high) tone resp. the row (low) tone may be (defaults 8 and 6 dB).
	NormalTwist, ReverseTwist float64
	// RelativePeak is how far, in dB, the strongest row (column) must stand
	// above every other row (column) (default 8 dB).
	RelativePeak float64
	// MinSNR is the fraction of the block's power the two tones must carry
	// (default 0.85): speech and noise spread their power wider, and a
	// block only partly filled by a tone fails, so a 20 ms tone cannot fill
	// two blocks.
	MinSNR float64
	// MinBlocks is how many consecutive blocks must show the digit before
	// it is reported (default 2: a tone must fill two whole blocks, so it
	// lasts at least 25.5 ms); MinGap how many blocks without it end the
	// key press (default 3, about 38 ms: a dropout of 10 ms, which touches
	// at most two blocks, does not split one press into two digits).
	MinBlocks, MinGap int
}

// DefaultThresholds returns the defaults documented on Thresholds.
func DefaultThresholds() Thresholds {
	return Thresholds{MinLevel: 0.006, NormalTwist: 8, ReverseTwist: 6, RelativePeak: 8, MinSNR: 0.85, MinBlocks: 2, MinGap: 3}
}

// Detector finds DTMF digits in a stream of 8 kHz (NewDetector) or 16 kHz
// (NewDetectorRate) samples. It is not safe for concurrent use and does
// not allocate after it is made.
type Detector struct {
	th        Thresholds
	coef      [8]float64
	block     [maxBlock]float64
	size      int  // samples per block at the detector's rate
	n         int  // samples in block
	cand      byte // digit seen in the last block(s), 0 for none
	candRun   int  // consecutive blocks with cand
	held      byte // digit reported and still held down, 0 for none
	missRun   int  // consecutive blocks without held
	minPow    float64
	normTwist float64
	revTwist  float64
	relPeak   float64
}

// NewDetector returns a detector of 8 kHz audio using th (see
// DefaultThresholds).
func NewDetector(th Thresholds) *Detector {
	d, _ := NewDetectorRate(th, rate)
	return d
}

// NewDetectorRate returns a detector of audio sampled at sampleRate Hz
// (8000 or 16000: narrowband and G.722 wideband calls) using th. Blocks
// last 12.75 ms at either rate, so the thresholds mean the same.
func NewDetectorRate(th Thresholds, sampleRate int) (*Detector, error) {
	if sampleRate != rate && sampleRate != 2*rate {
		return nil, fmt.Errorf("dtmf: detector at %d Hz: want 8000 or 16000", sampleRate)
	}
	d := &Detector{th: th, size: blockSize * sampleRate / rate}
	for i, f := range append(rowFreqs[:], colFreqs[:]...) {
		d.coef[i] = 2 * math.Cos(2*math.Pi*f/float64(sampleRate))
	}
	a := th.MinLevel * 32768
	d.minPow = a * a / 2
	d.normTwist = math.Pow(10, th.NormalTwist/10)
	d.revTwist = math.Pow(10, th.ReverseTwist/10)
	d.relPeak = math.Pow(10, th.RelativePeak/10)
	return d, nil
}

// Process analyses samples and appends to dst each digit whose key press
// began (was confirmed) in them. Samples may come in frames of any size.
func (d *Detector) Process(dst []byte, samples []int16) []byte {
	for _, s := range samples {
		d.block[d.n] = float64(s)
		d.n++
		if d.n == d.size {
			d.n = 0
			if c := d.step(d.classify()); c != 0 {
				dst = append(dst, c)
			}
		}
	}
	return dst
}

// Held returns the digit whose key is currently pressed, or 0.
func (d *Detector) Held() byte { return d.held }

// Reset forgets all state, as at the start of a call.
func (d *Detector) Reset() {
	d.n, d.cand, d.candRun, d.held, d.missRun = 0, 0, 0, 0, 0
}

// step runs the per-block state machine and returns a newly pressed digit.
func (d *Detector) step(c byte) byte {
	if c != 0 && c == d.cand {
		d.candRun++
	} else {
		d.cand, d.candRun = c, 1
	}
	if d.held != 0 {
		if c == d.held {
			d.missRun = 0
			return 0
		}
		if d.missRun++; d.missRun < d.th.MinGap {
			return 0
		}
		d.held = 0
	}
	if d.cand != 0 && d.candRun >= d.th.MinBlocks {
		d.held, d.missRun = d.cand, 0
		return d.held
	}
	return 0
}

// classify returns the digit present in the current block, or 0.
func (d *Detector) classify() byte {
	var pow [8]float64
	var total float64
	block := d.block[:d.size]
	for _, v := range block {
		total += v * v
	}
	n := float64(d.size)
	total /= n
	for i, c := range d.coef {
		var s1, s2 float64
		for _, v := range block {
			s1, s2 = v+c*s1-s2, s1
		}
		// |X(f)|^2, scaled to the power of a sinusoid of that amplitude.
		m := s1*s1 + s2*s2 - c*s1*s2
		pow[i] = 2 * m / (n * n)
	}
	r, rp := peak(pow[:4])
	c, cp := peak(pow[4:])
	switch {
	case rp < d.minPow || cp < d.minPow:
		return 0
	case rp > cp*d.normTwist || cp > rp*d.revTwist:
		return 0
	case (rp + cp) < d.th.MinSNR*total:
		return 0
	}
	for i := range 4 {
		if (i != r && pow[i]*d.relPeak > rp) || (i != c && pow[4+i]*d.relPeak > cp) {
			return 0
		}
	}
	return keys[r][c]
}

func peak(p []float64) (int, float64) {
	best := 0
	for i := range p {
		if p[i] > p[best] {
			best = i
		}
	}
	return best, p[best]
}
