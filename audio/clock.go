package audio

import (
	"context"
	"sync"
	"time"
)

// Clock is the time a paced source runs on. It is injected so tests can run
// an hour of audio in milliseconds (see audiotest.Clock).
type Clock interface {
	// Now returns the current time, with a monotonic reading.
	Now() time.Time
	// WaitUntil blocks until t or until ctx ends (returning ctx's error).
	WaitUntil(ctx context.Context, t time.Time) error
}

// SystemClock returns the real clock. Its times carry Go's monotonic
// reading, so wall-clock steps (NTP, a user setting the date) do not move
// the schedule.
func SystemClock() Clock { return systemClock{} }

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

// timers keeps stopped timers for WaitUntil: a paced source or sink
// waits every frame, and a new timer each time was nearly all of a
// call's allocations (issue 16). Since Go 1.23 a stopped or reset timer
// never delivers a stale tick, so a pooled one is as good as new.
var timers = sync.Pool{New: func() any {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return t
}}

func (systemClock) WaitUntil(ctx context.Context, t time.Time) error {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err()
	}
	tm := timers.Get().(*time.Timer)
	tm.Reset(d)
	defer func() {
		tm.Stop()
		timers.Put(tm)
	}()
	select {
	case <-tm.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
