package main

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/sipbell/sipbell/audio"
	"github.com/sipbell/sipbell/device"
)

// countSink records what the speaker writes, paced like a device, and
// counts Restart calls.
type countSink struct {
	mu       sync.Mutex
	frames   [][]int16
	restarts int
	wrote    chan struct{}
}

func (c *countSink) Write(ctx context.Context, f []int16) error {
	time.Sleep(time.Millisecond)
	c.mu.Lock()
	c.frames = append(c.frames, append([]int16(nil), f...))
	c.mu.Unlock()
	select {
	case c.wrote <- struct{}{}:
	default:
	}
	return nil
}
func (c *countSink) Close() error { return nil }
func (c *countSink) Restart()     { c.mu.Lock(); c.restarts++; c.mu.Unlock() }
func (c *countSink) count() (int, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.frames), c.restarts
}

func waitWrites(t *testing.T, c *countSink, n int) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		if got, _ := c.count(); got >= n {
			return
		}
		select {
		case <-c.wrote:
		case <-deadline:
			got, _ := c.count()
			t.Fatalf("speaker wrote %d frames, want %d", got, n)
		}
	}
}

// assertResting checks the speaker writes nothing more for a while.
func assertResting(t *testing.T, c *countSink, what string) {
	t.Helper()
	before, _ := c.count()
	time.Sleep(150 * time.Millisecond)
	if after, _ := c.count(); after != before {
		t.Fatalf("%s: speaker wrote %d frames while it had nothing to play", what, after-before)
	}
}

func TestSpeakerRestsWhenSilentAndMixes(t *testing.T) {
	cues, err := device.NewCues("US", device.Prompts{})
	if err != nil {
		t.Fatal(err)
	}
	sink := &countSink{wrote: make(chan struct{}, 1)}
	s := newSpeaker(sink, cues)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.run(ctx) }()

	assertResting(t, sink, "at start")

	// A call frame wakes it; it plays that frame and rests again.
	frame := make([]int16, audio.FrameSamples)
	for i := range frame {
		frame[i] = 1000
	}
	if err := s.callSink().Write(ctx, frame); err != nil {
		t.Fatal(err)
	}
	waitWrites(t, sink, 1)
	assertResting(t, sink, "after one call frame")
	if sink.frames[0][0] != 1000 {
		t.Fatalf("call audio not played: %v", sink.frames[0][:4])
	}

	// A cue wakes it and plays until stopped; the pacing restarts each time.
	snd := sounds{s}
	if err := snd.Play(device.CueRingback); err != nil {
		t.Fatal(err)
	}
	waitWrites(t, sink, 20)
	if err := snd.Stop(); err != nil {
		t.Fatal(err)
	}
	// At most the frame being written when Stop came may still land.
	n, _ := sink.count()
	time.Sleep(50 * time.Millisecond)
	if m, _ := sink.count(); m > n+1 {
		t.Fatalf("speaker went on writing after the cue stopped: %d frames", m-n)
	}
	n, restarts := sink.count()
	assertResting(t, sink, "after the cue stopped")
	if restarts < 2 {
		t.Errorf("sink restarted %d times after resting, want 2", restarts)
	}
	var loud bool
	for _, f := range sink.frames[1:n] {
		for _, v := range f {
			loud = loud || v > 1000 || v < -1000
		}
	}
	if !loud {
		t.Error("the ringback cue was not mixed into what the speaker played")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
}
