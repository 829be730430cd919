// Package aec is sipbell's acoustic echo canceller: it removes from the
// microphone signal the part that is the speaker's own sound coming back
// (the resident hearing themself at the door station).
//
// A Canceller is a partitioned-block frequency-domain adaptive filter
// (PBFDAF, the "multidelay block frequency-domain" filter of Soo and Pang)
// followed by a residual-echo suppressor:
//
//   - The far-end signal (what the speaker plays) is cut into blocks; each
//     block's spectrum is kept for the length of the echo tail, and the echo
//     estimate is the sum over those partitions of spectrum times filter
//     weights (overlap-save).
//   - The weights adapt with a per-frequency normalised step set from an
//     estimate of the residual echo in the error (the "leakage" of the echo
//     estimate into the error, found by regressing the error power spectrum
//     onto the echo-estimate power spectrum, after Valin, IEEE TASLP 2007),
//     bounded below by the correlation of error and echo estimate. While
//     the error is far louder than that residual should be (double talk)
//     the filter holds.
//   - A shadow filter on the same spectra adapts all the time with a large
//     fixed step (the two-path scheme). When it does clearly better and
//     removes a good part of the echo, which a near-end talker prevents,
//     the echo path has changed: its weights replace the main ones, and
//     until then a main filter that adds echo is bypassed.
//   - A spectral post-filter attenuates what is left: a Wiener-like gain
//     per frequency against a residual echo estimated as the echo-estimate
//     power times a per-frequency ratio learned while the echo is alone
//     (microphone coherent with the echo estimate). The ratio covers what
//     a linear filter cannot model, such as a small speaker's clipping;
//     near-end talk is detected as error above the predicted residual and
//     suppressed less then.
//
// Process takes 16-bit frames whose length is a multiple of the block size
// and allocates nothing. With the post-filter on, the output lags the input
// by one block (Latency).
package aec

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// ErrConfig reports an unusable Config.
var ErrConfig = errors.New("aec: bad configuration")

// ErrFrame reports frames of unequal length or of a length that is not a
// multiple of the block size.
var ErrFrame = errors.New("aec: bad frame")

// Config sets up a Canceller. The zero value of every field but SampleRate
// picks the default.
type Config struct {
	// SampleRate is the rate of far, near and output samples in Hz: 8000
	// or 16000.
	SampleRate int
	// Tail is the longest echo the adaptive filter models (default 128 ms,
	// at most 1 s).
	Tail time.Duration
	// Block is the number of samples the filter processes at a time, a
	// power of two from 16 to 512 (default 4 ms: 32 at 8 kHz, 64 at
	// 16 kHz). Frames passed to Process must be a multiple of it.
	Block int
	// SuppressDB is the most the residual-echo suppressor attenuates, in dB
	// (default 40). Negative turns the suppressor off.
	SuppressDB float64
	// ComfortNoise fills what the suppressor takes away with noise of the
	// background's level and spectrum instead of silence (needs the
	// suppressor).
	ComfortNoise bool
}

// Canceller cancels the echo of one far-end signal in one microphone
// signal. It is not safe for concurrent use.
type Canceller struct {
	mdf  *mdf
	post *suppressor // nil: no post-filter
	far  []float32   // one block of far-end samples
	near []float32   // one block of microphone samples
	res  []float32   // one block of the adaptive filter's error
	echo []float32   // one block of the echo estimate
	out  []float32   // one block of output
}

// New returns a Canceller for cfg.
func New(cfg Config) (*Canceller, error) {
	if cfg.SampleRate != 8000 && cfg.SampleRate != 16000 {
		return nil, fmt.Errorf("aec: sample rate %d Hz (want 8000 or 16000): %w", cfg.SampleRate, ErrConfig)
	}
	if cfg.Tail == 0 {
		cfg.Tail = 128 * time.Millisecond
	}
	if cfg.Tail < 0 || cfg.Tail > time.Second {
		return nil, fmt.Errorf("aec: tail %v (want up to 1s): %w", cfg.Tail, ErrConfig)
	}
	if cfg.Block == 0 {
		cfg.Block = cfg.SampleRate / 250
	}
	if cfg.Block < 16 || cfg.Block > 512 || cfg.Block&(cfg.Block-1) != 0 {
		return nil, fmt.Errorf("aec: block %d (want a power of two, 16 to 512): %w", cfg.Block, ErrConfig)
	}
	if cfg.SuppressDB == 0 {
		cfg.SuppressDB = 40
	}
	tail := int(cfg.Tail * time.Duration(cfg.SampleRate) / time.Second)
	parts := (tail + cfg.Block - 1) / cfg.Block
	m, err := newMDF(cfg.Block, max(parts, 1), cfg.SampleRate)
	if err != nil {
		return nil, err
	}
	b := cfg.Block
	c := &Canceller{mdf: m, far: make([]float32, b), near: make([]float32, b),
		res: make([]float32, b), echo: make([]float32, b), out: make([]float32, b)}
	if cfg.SuppressDB > 0 {
		floor := float32(math.Pow(10, -cfg.SuppressDB/20))
		if c.post, err = newSuppressor(b, floor); err != nil {
			return nil, err
		}
		if cfg.ComfortNoise {
			c.post.cn = newComfort(b + 1)
		}
	}
	return c, nil
}

// Block returns the block size in samples; frames must be a multiple of it.
func (c *Canceller) Block() int { return len(c.far) }

// Latency returns how many samples the output lags the microphone input.
func (c *Canceller) Latency() int {
	if c.post == nil {
		return 0
	}
	return len(c.far)
}

// Process cancels the echo of far (the samples just sent to the speaker,
// aligned with near) in near (the microphone samples) and writes the result
// to out. The three slices have the same length, a multiple of Block; out
// may be near.
func (c *Canceller) Process(far, near, out []int16) error {
	b := len(c.far)
	if len(far) != len(near) || len(out) != len(near) || len(near)%b != 0 {
		return fmt.Errorf("aec: process frames of %d, %d and %d samples (block %d): %w",
			len(far), len(near), len(out), b, ErrFrame)
	}
	for off := 0; off < len(near); off += b {
		for i := 0; i < b; i++ {
			c.far[i] = float32(far[off+i])
			c.near[i] = float32(near[off+i])
		}
		c.mdf.process(c.far, c.near, c.res, c.echo)
		if c.post != nil {
			c.post.process(c.res, c.echo, c.mdf.lk, c.mdf.changed > 0, c.out)
		} else {
			copy(c.out, c.res)
		}
		for i, v := range c.out {
			out[off+i] = clamp16(v)
		}
	}
	return nil
}

// Leak returns the current estimate of the fraction of the echo estimate's
// power that is left in the error (residual echo); small once converged.
func (c *Canceller) Leak() float64 { return float64(c.mdf.leak) }

// Reset forgets the learned echo path and all signal history.
func (c *Canceller) Reset() {
	c.mdf.reset()
	if c.post != nil {
		c.post.reset()
	}
}

func clamp16(v float32) int16 {
	switch {
	case v >= 32767:
		return 32767
	case v <= -32768:
		return -32768
	case v >= 0:
		return int16(v + 0.5)
	default:
		return int16(v - 0.5)
	}
}
