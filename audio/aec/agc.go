package aec

import (
	"fmt"
	"math"
)

// AGC brings speech to a steady level: a visitor who stands far from the
// microphone or talks into it, a caller on a quiet line. The speech level
// is followed only in frames that stand clear of the background (so that
// noise in pauses is not pulled up), the gain moves towards target/level
// at a bounded rate (fast down, slow up), within MinGainDB..MaxGainDB, and
// a soft limiter keeps peaks from clipping. It allocates nothing.
type AGC struct {
	target          float32 // speech RMS aimed at
	minGain, maxGin float32
	level           float32 // speech RMS followed
	noise           float32 // background RMS, a slowly rising minimum
	gain            float32 // applied now
	up, down        float32 // largest gain change per frame, as factors
}

// AGCConfig sets up an AGC.
type AGCConfig struct {
	// TargetDBFS is the speech level aimed at, in dB full scale (-30 to
	// -6); zero means -20.
	TargetDBFS float64
	// MaxGainDB is the most the AGC amplifies (0 to 30); zero means 18.
	MaxGainDB float64
	// MinGainDB is the most it attenuates, as a negative gain (-30 to 0);
	// zero means -12.
	MinGainDB float64
}

// AGC constants (per 20 ms frame).
const (
	agcSpeechOver = 3.0    // a frame is speech when its RMS is this far over the background
	agcSilence    = 30.0   // frames below this RMS (-61 dBFS) never count as speech
	agcNoiseRise  = 1.004  // background's rise per frame while under the frame RMS
	agcAttack     = 0.3    // level follows louder speech this fast
	agcRelease    = 0.04   // and quieter speech this fast
	agcUpDB       = 0.15   // gain rise per frame, dB (7.5 dB/s)
	agcDownDB     = 1.5    // gain fall per frame, dB
	agcLimit      = 29000. // soft limiter's knee
)

// NewAGC returns an AGC for cfg.
func NewAGC(cfg AGCConfig) (*AGC, error) {
	t, hi, lo := cfg.TargetDBFS, cfg.MaxGainDB, cfg.MinGainDB
	if t == 0 {
		t = -20
	}
	if hi == 0 {
		hi = 18
	}
	if lo == 0 {
		lo = -12
	}
	if t < -30 || t > -6 || hi < 0 || hi > 30 || lo < -30 || lo > 0 {
		return nil, fmt.Errorf("aec: agc target %g dBFS, gain %g..%g dB (want -30..-6, -30..0, 0..30): %w", t, lo, hi, ErrConfig)
	}
	db := func(v float64) float32 { return float32(math.Pow(10, v/20)) }
	return &AGC{target: 32768 * db(t), minGain: db(lo), maxGin: db(hi), gain: 1, noise: 1e9,
		up: db(agcUpDB), down: db(-agcDownDB)}, nil
}

// Gain is the gain applied to the last frame (a factor).
func (a *AGC) Gain() float64 { return float64(a.gain) }

// Process levels frame in place.
func (a *AGC) Process(frame []int16) {
	if len(frame) == 0 {
		return
	}
	var sum float64
	for _, v := range frame {
		sum += float64(v) * float64(v)
	}
	rms := float32(math.Sqrt(sum / float64(len(frame))))
	if rms < a.noise {
		a.noise = rms
	} else {
		a.noise *= agcNoiseRise
	}
	want := a.gain
	if rms > agcSilence && rms > agcSpeechOver*a.noise {
		if a.level == 0 {
			a.level = rms
		}
		k := float32(agcRelease)
		if rms > a.level {
			k = agcAttack
		}
		a.level += k * (rms - a.level)
		want = max(a.minGain, min(a.maxGin, a.target/a.level))
	}
	from := a.gain
	to := max(from*a.down, min(from*a.up, want))
	step := (to - from) / float32(len(frame))
	g := from
	for i, v := range frame {
		g += step
		frame[i] = limit(float32(v) * g)
	}
	a.gain = to
}

// limit saturates softly above agcLimit.
func limit(v float32) int16 {
	if v > agcLimit || v < -agcLimit {
		s := float32(1)
		if v < 0 {
			s, v = -1, -v
		}
		over := (v - agcLimit) / (32767 - agcLimit)
		v = agcLimit + (32767-agcLimit)*over/(1+over)
		return int16(s * v)
	}
	return int16(v)
}
