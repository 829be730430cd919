package board

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
)

// countingClock counts the timers made: each is a WaitForEdge of a sim
// pin, or the scheduler's.
type countingClock struct {
	*clockwork.FakeClock
	timers atomic.Int64
}

func (c *countingClock) NewTimer(d time.Duration) clockwork.Timer {
	c.timers.Add(1)
	return c.FakeClock.NewTimer(d)
}

// TestIdleInputsDoNotWake: the readers of an idle sim board (every input
// wired) wait without waking up for a minute of the fake clock (they woke
// once a second each to notice a stop), and Close still ends every one of
// them at once, the clock never moving (no goroutine left). Not parallel:
// it counts this package's goroutines.
func TestIdleInputsDoNotWake(t *testing.T) {
	cc := &countingClock{FakeClock: clockwork.NewFakeClock()}
	b, err := Open(DefaultConfig(), discard(), WithClock(cc))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	waiters := len(b.ins) + 1 // the readers and the output scheduler
	if err := cc.BlockUntilContext(ctx, waiters); err != nil {
		t.Fatalf("%d timers never armed: %v", waiters, err)
	}
	before := cc.timers.Load()
	for range 60 {
		cc.Advance(time.Second)
		if err := cc.BlockUntilContext(ctx, waiters); err != nil {
			t.Fatal(err)
		}
	}
	woke := cc.timers.Load() - before
	t.Logf("an idle minute: %d wake-ups of %d input readers", woke, len(b.ins))
	if woke != 0 {
		t.Errorf("%d wake-ups in an idle minute, want none", woke)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for left := readers(); len(left) > 0; left = readers() {
		if time.Now().After(deadline) {
			t.Fatalf("goroutines left after Close:\n%s", left)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// readers are the board's goroutines other than this test's.
func readers() []string {
	var out []string
	for _, g := range boardGoroutines() {
		if !strings.Contains(g, "TestIdleInputsDoNotWake") {
			out = append(out, g)
		}
	}
	return out
}
