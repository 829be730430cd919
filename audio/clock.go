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
//
// A wait of up to a frame or two (50 ms) sleeps on a timerfd without a
// runtime timer (Linux, clock_linux.go) and sees a cancelled context only
// when it ends; longer waits end as soon as the context does.
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
	if d <= 0 || ctx.Err() != nil {
		return ctx.Err()
	}
	if fdSleep(d) { // a frame's wait: no runtime timer (clock_linux.go)
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
