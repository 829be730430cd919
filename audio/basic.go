package audio

import (
	"context"
	"sync/atomic"
	"time"
)

// PacedSource wraps a Source that is not clocked by hardware (a file, a
// generator) so that frame k is delivered no earlier than start+k*period,
// where start is the time of the first Read. Scheduling against the start
// instead of sleeping one period after each frame keeps the long-run rate
// exact: the error of one wake-up never carries into the next, so an hour
// of audio is an hour.
//
// If the consumer falls behind, frames are delivered at once until it has
// caught up with the schedule (no frames are skipped).
type PacedSource struct {
	src    Source
	clock  Clock
	period time.Duration
	start  time.Time
	k      int64
}

// NewPacedSource paces src at one frame per period on clock.
func NewPacedSource(src Source, clock Clock, period time.Duration) *PacedSource {
	return &PacedSource{src: src, clock: clock, period: period}
}

// Read waits for the frame's slot, then reads it from the wrapped source.
func (p *PacedSource) Read(ctx context.Context, frame []int16) error {
	if p.k == 0 {
		p.start = p.clock.Now()
	}
	due := p.start.Add(time.Duration(p.k) * p.period)
	if err := p.clock.WaitUntil(ctx, due); err != nil {
		return err
	}
	p.k++
	return p.src.Read(ctx, frame)
}

// Close closes the wrapped source.
func (p *PacedSource) Close() error { return p.src.Close() }

// Silence is a Source of zero samples that never ends. It is not paced:
// wrap it in NewPacedSource to stand in for a microphone.
type Silence struct{ closed atomic.Bool }

// Read zeroes frame.
func (s *Silence) Read(ctx context.Context, frame []int16) error {
	if s.closed.Load() {
		return ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	clear(frame)
	return nil
}

// Close makes later Reads fail with ErrClosed.
func (s *Silence) Close() error { s.closed.Store(true); return nil }

// Discard is a Sink that drops every frame.
type Discard struct{ closed atomic.Bool }

// Write drops frame.
func (d *Discard) Write(ctx context.Context, frame []int16) error {
	if d.closed.Load() {
		return ErrClosed
	}
	return ctx.Err()
}

// Close makes later Writes fail with ErrClosed.
func (d *Discard) Close() error { d.closed.Store(true); return nil }
