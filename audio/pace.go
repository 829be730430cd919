package audio

import (
	"context"
	"errors"
	"time"
)

// TryReader is a Source that can hand over its next frame without
// waiting: a call's one media loop, woken by the playback side once per
// frame, takes the capture frames that are due from it instead of
// blocking in Read (issue 16: one wake-up per frame).
type TryReader interface {
	// TryRead reads the next frame into frame when it is due and reports
	// whether it did. It never blocks. The source's end is io.EOF, as
	// with Read.
	TryRead(frame []int16) (bool, error)
}

// Feed fills out with the next frame to play. A Driver calls it on its own
// goroutine, once per playback period.
type Feed func(out []int16)

// Driver is a Sink whose device pulls its frames: once a feed is attached,
// the device calls it once per playback period, paced by the device's own
// clock, so whoever produces the audio needs no goroutine or timer of its
// own, and playout cannot run ahead of the device (a bounded delay).
type Driver interface {
	// Attach adds feed to what the device plays. detach removes it and
	// returns only after any call of feed in progress has ended.
	Attach(feed Feed) (detach func(), err error)
}

// ErrDriverFull is wrapped when a Driver has no room for another feed.
var ErrDriverFull = errors.New("audio: no room for another feed")

// TryRead reads the next frame from the wrapped source when it is due, that
// is, when its slot starts no more than half a period from now: a reader
// woken once per period by another clock (the playback device) then takes
// exactly one frame per wake-up despite wake-up jitter, and catches up
// after a stall one call at a time without waiting. The schedule is
// Read's: frame k is due at start+k*period.
func (p *PacedSource) TryRead(frame []int16) (bool, error) {
	now := p.clock.Now()
	if p.k == 0 {
		p.start = now
	}
	due := p.start.Add(time.Duration(p.k) * p.period)
	if due.Sub(now) > p.period/2 {
		return false, nil
	}
	p.k++
	// The wrapped source is not clocked (that is why it is paced), so
	// its Read returns at once.
	return true, p.src.Read(context.Background(), frame)
}
