package audiotest

import (
	"context"
	"sync"
	"time"
)

// Clock is a virtual audio.Clock. WaitUntil does not sleep: it moves the
// clock forward to the requested time (never backwards) and records the
// wait, so an hour of paced audio runs in milliseconds. Advance simulates
// time spent working between frames.
type Clock struct {
	mu    sync.Mutex
	now   time.Time
	waits []time.Time
}

// NewClock returns a Clock set to start.
func NewClock(start time.Time) *Clock { return &Clock{now: start} }

// Now returns the virtual time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// WaitUntil records t and advances the clock to it if it lies ahead.
func (c *Clock) WaitUntil(ctx context.Context, t time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.waits = append(c.waits, t)
	if t.After(c.now) {
		c.now = t
	}
	return nil
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Waits returns the deadlines passed to WaitUntil, in order.
func (c *Clock) Waits() []time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Time(nil), c.waits...)
}
