package audio

import (
	"context"
	"math"
	"sync"
	"time"
)

// gainScale converts dB to a Q16 fixed-point factor; db is clamped to
// -96..+40 and NaN counts as 0 dB.
func gainScale(db float64) int32 {
	if math.IsNaN(db) {
		db = 0
	}
	db = max(-96, min(40, db))
	return int32(math.Round(math.Pow(10, db/20) * 65536))
}

func applyGain(dst, src []int16, q int32) {
	for i, v := range src {
		x := (int64(v)*int64(q) + 1<<15) >> 16
		dst[i] = int16(max(-32768, min(32767, x)))
	}
}

// GainSource scales the samples of a Source by a fixed gain, saturating.
type GainSource struct {
	src Source
	q   int32
}

// NewGainSource wraps src with a gain of db decibels.
func NewGainSource(src Source, db float64) *GainSource {
	return &GainSource{src: src, q: gainScale(db)}
}

// Read reads from the wrapped source and scales the frame in place.
func (g *GainSource) Read(ctx context.Context, frame []int16) error {
	if err := g.src.Read(ctx, frame); err != nil {
		return err
	}
	applyGain(frame, frame, g.q)
	return nil
}

// Close closes the wrapped source.
func (g *GainSource) Close() error { return g.src.Close() }

// Delay is the wrapped source's, when it reports one.
func (g *GainSource) Delay() (time.Duration, error) {
	d, _ := DelayOf(g.src)
	return d, nil
}

// GainSink scales frames by a fixed gain before writing them; the
// caller's frame is not modified.
type GainSink struct {
	dst Sink
	q   int32
	mu  sync.Mutex
	buf []int16
}

// NewGainSink wraps dst with a gain of db decibels.
func NewGainSink(dst Sink, db float64) *GainSink {
	return &GainSink{dst: dst, q: gainScale(db), buf: make([]int16, FrameSamples)}
}

// Write scales a copy of frame and writes it.
func (g *GainSink) Write(ctx context.Context, frame []int16) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if cap(g.buf) < len(frame) {
		g.buf = make([]int16, len(frame))
	}
	b := g.buf[:len(frame)]
	applyGain(b, frame, g.q)
	return g.dst.Write(ctx, b)
}

// Close closes the wrapped sink.
func (g *GainSink) Close() error { return g.dst.Close() }

// Delay is the wrapped sink's, when it reports one.
func (g *GainSink) Delay() (time.Duration, error) {
	d, _ := DelayOf(g.dst)
	return d, nil
}

// Restart restarts the wrapped sink's pacing, when it has any.
func (g *GainSink) Restart() {
	if r, ok := g.dst.(Restarter); ok {
		r.Restart()
	}
}

// PacedSink makes a sink that would never block (a file, the discard
// sink) take frames at the rate a playback device would: frame k is
// accepted no earlier than start+k*period. See PacedSource.
type PacedSink struct {
	dst    Sink
	clock  Clock
	period time.Duration
	start  time.Time
	k      int64
}

// NewPacedSink paces dst at one frame per period on clock.
func NewPacedSink(dst Sink, clock Clock, period time.Duration) *PacedSink {
	return &PacedSink{dst: dst, clock: clock, period: period}
}

// Write waits for the frame's slot, then writes it.
func (p *PacedSink) Write(ctx context.Context, frame []int16) error {
	if p.k == 0 {
		p.start = p.clock.Now()
	}
	if err := p.clock.WaitUntil(ctx, p.start.Add(time.Duration(p.k)*p.period)); err != nil {
		return err
	}
	p.k++
	return p.dst.Write(ctx, frame)
}

// Close closes the wrapped sink.
func (p *PacedSink) Close() error { return p.dst.Close() }

// Restart begins a new schedule at the next Write: after the writer has
// paused, frames are paced from then on instead of being written at once
// to catch up.
func (p *PacedSink) Restart() { p.k = 0 }

// Restarter is a Sink whose pacing can start afresh after its writer
// paused (PacedSink, and decorators around one).
type Restarter interface{ Restart() }

// Dropper is a Sink that drops frames instead of waiting (a WAV recording
// whose disk stalled) and counts them.
type Dropper interface {
	// Dropped returns how many frames were dropped so far.
	Dropped() int64
}

// DroppedBy returns the frames sink dropped (Dropper), 0 when it counts
// none.
func DroppedBy(sink Sink) int64 {
	if d, ok := sink.(Dropper); ok {
		return d.Dropped()
	}
	return 0
}

// Dropped is the wrapped sink's count of dropped frames, when it keeps one.
func (g *GainSink) Dropped() int64 { return DroppedBy(g.dst) }

// Dropped is the wrapped sink's count of dropped frames, when it keeps one.
func (p *PacedSink) Dropped() int64 { return DroppedBy(p.dst) }
