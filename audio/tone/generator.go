package tone

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"sync/atomic"
	"time"
)

// Generator constants: the call rate, the default level of each component
// (about -15 dBFS) and the on/off ramp that keeps cadence edges click-free.
const (
	rate        = 8000
	DefaultGain = 0.18
	rampSamples = 16 // 2 ms
)

// ErrClosed is returned by Read after Close.
var ErrClosed = errors.New("tone: closed")

// Generator plays a Plan as an audio source (it implements audio.Source):
// 8 kHz mono, sample-accurate cadence, phase-continuous oscillators. It is
// not paced; wrap it in audio.NewPacedSource to play it in real time.
type Generator struct {
	freqs  []float64
	steps  []float64 // phase step per sample, in cycles
	phase  []float64
	segs   []int // cadence in samples
	once   bool
	amp    float64
	seg    int // current cadence segment
	pos    int // sample within the segment
	done   bool
	closed atomic.Bool
}

// New returns a generator for p with each component at gain (0 < gain,
// sum of gains <= 1) of full scale; use DefaultGain normally.
func New(p Plan, gain float64) (*Generator, error) {
	if len(p.Freqs) == 0 {
		return nil, errors.New("tone: plan has no frequencies")
	}
	if !(gain > 0 && gain*float64(len(p.Freqs)) <= 1) { // NaN fails too
		return nil, fmt.Errorf("tone: gain %g out of range for %d components", gain, len(p.Freqs))
	}
	g := &Generator{freqs: p.Freqs, once: p.Once, amp: gain * 32767}
	for _, f := range p.Freqs {
		if !(f > 0 && f < rate/2) {
			return nil, fmt.Errorf("tone: frequency %g Hz outside 0..%d Hz", f, rate/2)
		}
		g.steps = append(g.steps, f/rate)
	}
	g.phase = make([]float64, len(p.Freqs))
	for _, d := range p.Cadence {
		if d < 0 || d > time.Hour {
			return nil, fmt.Errorf("tone: cadence step %v out of range", d)
		}
		g.segs = append(g.segs, int(d*rate/time.Second))
	}
	return g, nil
}

// Read fills frame with the tone. A Once plan returns io.EOF after its
// cadence (the last frame is padded with silence).
func (g *Generator) Read(ctx context.Context, frame []int16) error {
	if g.closed.Load() {
		return ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if g.done {
		return io.EOF
	}
	for i := range frame {
		frame[i] = g.next()
	}
	g.settle() // so a Once tone ends right after its last sample
	return nil
}

// next returns one sample and advances the cadence.
func (g *Generator) next() int16 {
	if len(g.segs) == 0 {
		return g.osc(1)
	}
	if g.settle(); g.done {
		return 0
	}
	var v int16
	if g.seg%2 == 0 { // on
		n := g.segs[g.seg]
		env := min(1, float64(g.pos)/rampSamples, float64(n-1-g.pos)/rampSamples)
		v = g.osc(env)
	}
	g.pos++
	return v
}

// settle moves past finished cadence segments (zero-length ones too) and
// marks a Once plan done at the end of its cadence.
func (g *Generator) settle() {
	for !g.done && len(g.segs) > 0 && g.pos >= g.segs[g.seg] {
		g.pos = 0
		g.seg++
		if g.seg == len(g.segs) {
			g.seg = 0
			g.done = g.once
		}
	}
}

// osc advances the oscillators one sample and returns their sum scaled by env.
func (g *Generator) osc(env float64) int16 {
	var s float64
	for i, st := range g.steps {
		s += math.Sin(2 * math.Pi * g.phase[i])
		g.phase[i] += st
		if g.phase[i] >= 1 {
			g.phase[i]--
		}
	}
	return int16(math.Round(s * g.amp * env))
}

// Close makes later Reads fail with ErrClosed.
func (g *Generator) Close() error { g.closed.Store(true); return nil }

// NewTone is Lookup followed by New at DefaultGain.
func NewTone(country string, kind Kind) (*Generator, error) {
	p, err := Lookup(country, kind)
	if err != nil {
		return nil, err
	}
	return New(p, DefaultGain)
}
