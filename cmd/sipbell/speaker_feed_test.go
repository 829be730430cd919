package main

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/sipbell/sipbell/audio"
	"github.com/sipbell/sipbell/device"
)

// constFeed is a call loop that plays a constant and counts its periods.
func constFeed(v int16, calls chan<- struct{}) audio.Feed {
	return func(out []int16) {
		for i := range out {
			out[i] = v
		}
		if calls != nil {
			select {
			case calls <- struct{}{}:
			default:
			}
		}
	}
}

// TestSpeakerDrivesCallLoops (issue 16): the speaker runs the calls'
// attached loops once per period on its own goroutine and plays their
// frames mixed; it refuses more than maxFeeds; a detach waits for the
// feed's call in progress; with every call gone it rests again.
func TestSpeakerDrivesCallLoops(t *testing.T) {
	cues, err := device.NewCues("US", device.Prompts{})
	if err != nil {
		t.Fatal(err)
	}
	sink := &countSink{wrote: make(chan struct{}, 1)}
	s := newSpeaker(sink, cues)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	}()

	drv, ok := s.callSink().(audio.Driver)
	if !ok {
		t.Fatal("the call sink does not drive call loops (audio.Driver)")
	}
	detach1, err := drv.Attach(constFeed(1000, nil))
	if err != nil {
		t.Fatal(err)
	}
	detach2, err := drv.Attach(constFeed(2000, nil))
	if err != nil {
		t.Fatal(err)
	}
	n, _ := sink.count()
	waitWrites(t, sink, n+3)
	if got := lastFrame(sink)[0]; got != 3000 {
		t.Errorf("two calls' frames mixed to %d, want 3000", got)
	}
	var more []func()
	for range maxFeeds - 2 {
		d, err := drv.Attach(constFeed(0, nil))
		if err != nil {
			t.Fatal(err)
		}
		more = append(more, d)
	}
	if _, err := drv.Attach(constFeed(0, nil)); !errors.Is(err, audio.ErrDriverFull) {
		t.Errorf("attach beyond %d calls = %v, want ErrDriverFull", maxFeeds, err)
	}
	for _, d := range more {
		d()
	}
	detach2()
	n, _ = sink.count()
	waitWrites(t, sink, n+2)
	if got := lastFrame(sink)[0]; got != 1000 {
		t.Errorf("after one call detached the speaker plays %d, want 1000", got)
	}

	// A detach returns only once the feed's call in progress has ended.
	entered, release := make(chan struct{}, 1), make(chan struct{})
	detach3, err := drv.Attach(func(out []int16) {
		select {
		case entered <- struct{}{}:
		default:
		}
		<-release
	})
	if err != nil {
		t.Fatal(err)
	}
	<-entered
	detached := make(chan struct{})
	go func() { detach3(); close(detached) }()
	select {
	case <-detached:
		t.Fatal("detach returned while the feed was running")
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	<-detached
	detach1()
	detach1() // idempotent
	// The frames in progress when the last detach came may still land.
	for range 20 {
		before, _ := sink.count()
		time.Sleep(2 * audio.FrameDuration)
		if after, _ := sink.count(); after == before {
			break
		}
	}
	assertResting(t, sink, "after every call detached")
}

func lastFrame(c *countSink) []int16 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.frames[len(c.frames)-1]
}
