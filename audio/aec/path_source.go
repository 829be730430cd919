package aec

import (
	"context"
	"sync"
	"time"

	"github.com/sipbell/sipbell/audio"
)

// Source wraps a microphone for one call: each frame read has the echo of
// the speaker cancelled. Close closes the microphone and keeps the
// canceller, converged on the room, for the next call.
func (p *Path) Source(s audio.Source) audio.Source {
	return &echoSource{p: p, s: s, c: p.take()}
}

type echoSource struct {
	p      *Path
	s      audio.Source
	mu     sync.Mutex // Close may come from another goroutine than Read
	c      *Canceller // nil after Close
	far    []int16
	read   int64 // microphone samples read
	off    int64 // reference index = microphone index + off
	synced bool
	away   int   // frames in a row the measure was more than resyncMargin above off
	low    int64 // the smallest measure in that run
}

// Read reads a microphone frame and cancels the echo in it.
func (e *echoSource) Read(ctx context.Context, frame []int16) error {
	if err := e.s.Read(ctx, frame); err != nil {
		return err
	}
	return e.cancel(frame)
}

// CanTryRead is false: the canceller's microphone keeps its own capture
// goroutine. Taken in the speaker's wake-up, the due microphone frames
// arrive 0 or 2 at a time as the two clocks' phases drift, the echo's
// delay against the reference jumps by a frame, and the canceller
// re-converges: ERLE in TestEchoCancelledInTheBinary fell from 27–31 dB
// to 13–25 dB. TryRead stays for a canceller that takes its reference at
// the microphone's capture time.
func (e *echoSource) CanTryRead() bool { return false }

// TryRead takes the microphone's next frame without waiting, when it has
// one, and cancels the echo in it: a call's media loop, woken by the
// speaker, takes the microphone's frames itself (issue 16).
func (e *echoSource) TryRead(frame []int16) (bool, error) {
	ok, err := audio.TryReadFrom(e.s, frame)
	if !ok || err != nil {
		return ok, err
	}
	return true, e.cancel(frame)
}

// cancel cancels the speaker's echo in a microphone frame just read.
func (e *echoSource) cancel(frame []int16) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.c == nil {
		return audio.ErrClosed
	}
	e.read += int64(len(frame))
	e.align()
	if cap(e.far) < len(frame) {
		e.far = make([]int16, len(frame))
	}
	far := e.far[:len(frame)]
	e.p.reference(far, e.read+e.off)
	return e.c.Process(far, frame, frame)
}

// align keeps the offset between microphone and reference. A measure
// (the devices' delays, or for devices that report none the speaker's
// newest sample) can only come out late-side high: a speaker written ahead
// of time or a late wake-up make it larger, never smaller than the truth,
// and the reference can never be newer than what was written. So the
// offset follows the smallest measure at once, and moves up only when the
// measures stay more than resyncMargin above it for resyncAfter frames (a
// microphone that lost samples), to the smallest of them.
func (e *echoSource) align() {
	p := e.p
	capd, _ := audio.DelayOf(e.s)
	playing, w := p.playing()
	end := min(playing-int64(samples(capd+p.cfg.Delay, p.rate))+int64(p.lead), w)
	off := end - e.read
	switch {
	case !e.synced:
		e.off, e.synced = off, true
		p.cfg.Log.Debug("echo canceller aligned", "reference_behind_ms", (w-end)*1000/int64(p.rate),
			"microphone_samples", e.read, "speaker_samples", w)
	case off <= e.off+int64(samples(resyncMargin, p.rate)):
		e.off, e.away = min(e.off, off), 0
	case e.away == 0 || off < e.low:
		e.low = off
		fallthrough
	default:
		if e.away++; e.away < resyncAfter {
			return
		}
		moved := e.low - e.off
		e.off, e.away = e.low, 0
		if p.noteResync() {
			p.cfg.Log.Info("echo canceller re-aligned to the speaker", "moved_ms", moved*1000/int64(p.rate))
		}
	}
}

// noteResync reports whether a re-alignment may be logged now (at most
// once per logEvery).
func (p *Path) noteResync() bool {
	now := p.cfg.Clock.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.logged.IsZero() && now.Sub(p.logged) < logEvery {
		return false
	}
	p.logged = now
	return true
}

// Close closes the microphone.
func (e *echoSource) Close() error {
	e.mu.Lock()
	if e.c != nil {
		e.p.give(e.c)
		e.c = nil
	}
	e.mu.Unlock()
	return e.s.Close()
}

// Delay is the wrapped source's plus the canceller's latency.
func (e *echoSource) Delay() (time.Duration, error) {
	d, _ := audio.DelayOf(e.s)
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.c == nil {
		return d, nil
	}
	return d + time.Duration(e.c.Latency())*time.Second/time.Duration(e.p.rate), nil
}
