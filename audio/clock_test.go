//go:build !race

// (The race detector makes sync.Pool drop items on purpose.)

package audio_test

import (
	"context"
	"testing"
	"time"

	"github.com/sipbell/sipbell/audio"
)

// The real clock waits every frame of every paced source and sink: the
// wait must not allocate (a timer per frame was 96 % of a call's
// allocations), and it must never return before the time asked for.
func TestSystemClockWaitsWithoutAllocating(t *testing.T) {
	clk := audio.SystemClock()
	ctx := context.Background()
	var early int
	allocs := testing.AllocsPerRun(200, func() {
		due := clk.Now().Add(50 * time.Microsecond)
		if err := clk.WaitUntil(ctx, due); err != nil {
			t.Fatal(err)
		}
		if clk.Now().Before(due) {
			early++
		}
	})
	if allocs != 0 {
		t.Errorf("WaitUntil allocates %.1f times per wait, want 0", allocs)
	}
	if early > 0 {
		t.Errorf("WaitUntil returned before its time %d times in 200", early)
	}
}
