package audio_test

import (
	"context"
	"testing"
	"time"

	"github.com/sipbell/sipbell/audio"
	"github.com/sipbell/sipbell/audio/audiotest"
)

// An hour of frames, with jittery work between reads, must end exactly one
// hour after the start: frame k is due at start+k*20ms.
func TestPacedSourceDoesNotDrift(t *testing.T) {
	t0 := time.Unix(1700000000, 0)
	clk := audiotest.NewClock(t0)
	src := audiotest.NewSource([]int16{1})
	src.Loop = true
	p := audio.NewPacedSource(src, clk, audio.FrameDuration)
	frame := audio.NewFrame()
	const frames = 3600 * 50
	for k := range frames {
		if err := p.Read(context.Background(), frame); err != nil {
			t.Fatal(err)
		}
		clk.Advance(time.Duration(k%7) * time.Millisecond) // 0..6 ms of work
	}
	waits := clk.Waits()
	if len(waits) != frames {
		t.Fatalf("%d waits, want %d", len(waits), frames)
	}
	for _, k := range []int{0, 1, 1000, frames - 1} {
		if want := t0.Add(time.Duration(k) * audio.FrameDuration); !waits[k].Equal(want) {
			t.Errorf("frame %d due at %v, want %v", k, waits[k].Sub(t0), want.Sub(t0))
		}
	}
}

// A consumer that falls behind gets the missed frames at once, never skips.
func TestPacedSourceCatchesUp(t *testing.T) {
	t0 := time.Unix(0, 0)
	clk := audiotest.NewClock(t0)
	src := audiotest.NewSource(make([]int16, 10*audio.FrameSamples))
	p := audio.NewPacedSource(src, clk, audio.FrameDuration)
	f := audio.NewFrame()
	_ = p.Read(context.Background(), f)
	clk.Advance(100 * time.Millisecond) // stalled for 5 frames
	for range 5 {
		_ = p.Read(context.Background(), f)
	}
	if got := clk.Now().Sub(t0); got != 100*time.Millisecond {
		t.Errorf("clock moved to %v while catching up, want 100ms", got)
	}
	if src.Reads() != 6 {
		t.Errorf("%d frames read, want 6", src.Reads())
	}
}

func TestPacedSourceRealClockHonoursContext(t *testing.T) {
	p := audio.NewPacedSource(&audio.Silence{}, audio.SystemClock(), time.Hour)
	f := audio.NewFrame()
	if err := p.Read(context.Background(), f); err != nil { // frame 0 is due now
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := p.Read(ctx, f); err != context.Canceled {
		t.Fatalf("Read of a frame due in an hour with a cancelled ctx = %v", err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
}
