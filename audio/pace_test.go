package audio_test

import (
	"context"
	"errors"
	"io"
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

// TryRead (issue 16) hands over the frames due, never waits: a reader
// woken by another clock takes one frame per period despite wake-up
// jitter of up to half a period, catches up after a stall, and gets
// nothing before a frame's slot.
func TestPacedSourceTryRead(t *testing.T) {
	t0 := time.Unix(1700000000, 0)
	ms := time.Millisecond
	tests := []struct {
		name   string
		wakes  []time.Duration // when the reader wakes, from the first read
		frames []int           // frames read at each wake-up (reading until none is due)
	}{
		{"on time", []time.Duration{0, 20 * ms, 40 * ms, 60 * ms}, []int{1, 1, 1, 1}},
		{"jittery wake-ups", []time.Duration{0, 29 * ms, 31 * ms, 52 * ms, 69 * ms}, []int{1, 1, 1, 1, 0}},
		{"stall", []time.Duration{0, 100 * ms, 120 * ms}, []int{1, 5, 1}},
		{"early", []time.Duration{0, 5 * ms, 9 * ms, 11 * ms}, []int{1, 0, 0, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := audiotest.NewClock(t0)
			src := audiotest.NewSource([]int16{7})
			src.Loop = true
			p := audio.NewPacedSource(src, clk, audio.FrameDuration)
			f := audio.NewFrame()
			for i, w := range tt.wakes {
				clk.Advance(t0.Add(w).Sub(clk.Now()))
				n := 0
				for {
					ok, err := p.TryRead(f)
					if err != nil {
						t.Fatal(err)
					}
					if !ok {
						break
					}
					n++
				}
				if n != tt.frames[i] {
					t.Errorf("wake-up %d at %v: %d frames, want %d", i, w, n, tt.frames[i])
				}
			}
			if len(clk.Waits()) != 0 {
				t.Errorf("TryRead waited on the clock %d times", len(clk.Waits()))
			}
		})
	}
}

// TryRead passes the wrapped source's end on.
func TestPacedSourceTryReadEnds(t *testing.T) {
	src := audiotest.NewSource(make([]int16, audio.FrameSamples))
	p := audio.NewPacedSource(src, audiotest.NewClock(time.Unix(0, 0)), audio.FrameDuration)
	f := audio.NewFrame()
	if ok, err := p.TryRead(f); !ok || err != nil {
		t.Fatalf("first TryRead = %v, %v", ok, err)
	}
	p2 := audio.NewPacedSource(src, audiotest.NewClock(time.Unix(0, 0)), audio.FrameDuration)
	if _, err := p2.TryRead(f); !errors.Is(err, io.EOF) {
		t.Fatalf("TryRead past the end = %v, want io.EOF", err)
	}
}
