package audiotest

import (
	"context"
	"errors"
	"io"
	"slices"
	"testing"
	"time"

	"github.com/sipbell/sipbell/audio"
)

var (
	_ audio.Source = (*Source)(nil)
	_ audio.Sink   = (*Sink)(nil)
	_ audio.Clock  = (*Clock)(nil)
)

func TestSourceFeedsThenEOF(t *testing.T) {
	ctx := context.Background()
	s := NewSource([]int16{1, 2, 3, 4, 5})
	f := make([]int16, 3)
	if err := s.Read(ctx, f); err != nil || !slices.Equal(f, []int16{1, 2, 3}) {
		t.Fatalf("first = %v %v", f, err)
	}
	if err := s.Read(ctx, f); err != nil || !slices.Equal(f, []int16{4, 5, 0}) {
		t.Fatalf("second (padded) = %v %v", f, err)
	}
	if err := s.Read(ctx, f); err != io.EOF {
		t.Fatalf("third = %v, want io.EOF", err)
	}
	if s.Reads() != 2 {
		t.Errorf("Reads = %d", s.Reads())
	}
}

func TestSourceLoopAndTicks(t *testing.T) {
	ticks := make(chan struct{})
	s := NewSource([]int16{7, 8})
	s.Loop, s.Ticks = true, ticks
	f := make([]int16, 3)
	done := make(chan error)
	go func() { done <- s.Read(context.Background(), f) }()
	ticks <- struct{}{}
	if err := <-done; err != nil || !slices.Equal(f, []int16{7, 8, 7}) {
		t.Fatalf("looped read = %v %v", f, err)
	}
	go func() { done <- s.Read(context.Background(), f) }()
	s.Close() // must wake the blocked Read
	if err := <-done; !errors.Is(err, audio.ErrClosed) {
		t.Fatalf("blocked Read after Close = %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s2 := NewSource(nil)
	s2.Ticks = ticks
	if err := s2.Read(ctx, f); !errors.Is(err, context.Canceled) {
		t.Errorf("Read with cancelled ctx = %v", err)
	}
}

func TestSinkRecordsAndWaits(t *testing.T) {
	ctx := context.Background()
	s := NewSink()
	go func() {
		for i := range 3 {
			_ = s.Write(ctx, []int16{int16(i), int16(i)})
		}
	}()
	n, err := s.WaitFrames(ctx, 3)
	if err != nil || n != 3 {
		t.Fatalf("WaitFrames = %d %v", n, err)
	}
	if got := s.Samples(); !slices.Equal(got, []int16{0, 0, 1, 1, 2, 2}) {
		t.Errorf("Samples = %v", got)
	}
	if len(s.Frames()) != 3 {
		t.Error("Frames")
	}
	s.Close()
	if _, err := s.WaitFrames(ctx, 5); !errors.Is(err, audio.ErrClosed) {
		t.Errorf("WaitFrames on closed sink = %v", err)
	}
	if err := s.Write(ctx, []int16{1}); !errors.Is(err, audio.ErrClosed) || !s.Closed() {
		t.Errorf("Write after Close = %v", err)
	}
	s2 := NewSink()
	s2.Err = errors.New("boom")
	if err := s2.Write(ctx, []int16{1}); err == nil || len(s2.Frames()) != 0 {
		t.Error("injected error not returned")
	}
}

func TestClockAdvancesOnWait(t *testing.T) {
	t0 := time.Unix(1000, 0)
	c := NewClock(t0)
	_ = c.WaitUntil(context.Background(), t0.Add(time.Second))
	c.Advance(time.Second)
	_ = c.WaitUntil(context.Background(), t0.Add(time.Second)) // in the past: no move
	if got := c.Now().Sub(t0); got != 2*time.Second {
		t.Errorf("clock at +%v, want +2s", got)
	}
	if len(c.Waits()) != 2 {
		t.Errorf("Waits = %v", c.Waits())
	}
}
