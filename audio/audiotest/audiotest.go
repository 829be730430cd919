// Package audiotest provides memory fakes of audio.Source and audio.Sink and
// a virtual audio.Clock for tests.
//
// They stand beside the real devices (alsa.Open, wav.OpenSource and
// wav.CreateSink): code under test takes an audio.Source/audio.Sink and
// cannot tell them apart, except that these are fed and inspected from the
// test. Source optionally blocks on a tick channel, so a test can play the
// sound card's clock frame by frame; Sink records every frame and lets a
// test wait for a number of frames instead of sleeping.
package audiotest

import (
	"context"
	"io"
	"sync"

	"github.com/sipbell/sipbell/audio"
)

// Source is a memory audio.Source that yields the given samples in order.
type Source struct {
	// Ticks, when not nil, makes every Read wait for one value from it,
	// like a capture device waiting for the next period.
	Ticks <-chan struct{}
	// Loop repeats the samples forever instead of ending with io.EOF.
	Loop bool

	mu      sync.Mutex
	samples []int16
	pos     int
	reads   int
	closed  chan struct{}
	once    sync.Once
}

// NewSource returns a Source that yields samples (copied). A final partial
// frame is padded with zeros; after the samples it returns io.EOF.
func NewSource(samples []int16) *Source {
	return &Source{samples: append([]int16(nil), samples...), closed: make(chan struct{})}
}

// Read fills frame with the next samples.
func (s *Source) Read(ctx context.Context, frame []int16) error {
	if s.Ticks != nil {
		select {
		case <-s.Ticks:
		case <-ctx.Done():
			return ctx.Err()
		case <-s.closed:
			return audio.ErrClosed
		}
	}
	select {
	case <-s.closed:
		return audio.ErrClosed
	default:
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pos >= len(s.samples) && (!s.Loop || len(s.samples) == 0) {
		return io.EOF
	}
	for i := range frame {
		if s.pos >= len(s.samples) {
			if !s.Loop {
				clear(frame[i:])
				break
			}
			s.pos = 0
		}
		frame[i] = s.samples[s.pos]
		s.pos++
	}
	s.reads++
	return nil
}

// Reads returns how many frames were read successfully.
func (s *Source) Reads() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reads
}

// Close makes Read fail with audio.ErrClosed, waking a blocked Read.
func (s *Source) Close() error {
	s.once.Do(func() { close(s.closed) })
	return nil
}

// Sink is a memory audio.Sink that records every frame written.
type Sink struct {
	// Ticks, when not nil, makes every Write wait for one value from it,
	// like a playback device whose buffer is full.
	Ticks <-chan struct{}
	// Err, when not nil, is returned by every Write (the frame is not
	// recorded), to test error paths.
	Err error

	mu      sync.Mutex
	frames  [][]int16
	changed chan struct{} // closed and replaced on every write or close
	closed  bool
	done    chan struct{}
	once    sync.Once
}

// NewSink returns an empty Sink.
func NewSink() *Sink {
	return &Sink{changed: make(chan struct{}), done: make(chan struct{})}
}

// Write records a copy of frame.
func (s *Sink) Write(ctx context.Context, frame []int16) error {
	if s.Ticks != nil {
		select {
		case <-s.Ticks:
		case <-ctx.Done():
			return ctx.Err()
		case <-s.done:
			return audio.ErrClosed
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return audio.ErrClosed
	}
	if s.Err != nil {
		return s.Err
	}
	s.frames = append(s.frames, append([]int16(nil), frame...))
	close(s.changed)
	s.changed = make(chan struct{})
	return nil
}

// Close marks the sink closed; later Writes fail with audio.ErrClosed.
func (s *Sink) Close() error {
	s.once.Do(func() {
		s.mu.Lock()
		s.closed = true
		close(s.done)
		close(s.changed)
		s.changed = make(chan struct{})
		s.mu.Unlock()
	})
	return nil
}

// Closed reports whether Close was called.
func (s *Sink) Closed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// Frames returns copies of the frames written so far.
func (s *Sink) Frames() [][]int16 {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([][]int16, len(s.frames))
	for i, f := range s.frames {
		out[i] = append([]int16(nil), f...)
	}
	return out
}

// Samples returns all samples written so far, concatenated.
func (s *Sink) Samples() []int16 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []int16
	for _, f := range s.frames {
		out = append(out, f...)
	}
	return out
}

// WaitFrames blocks until at least n frames were written, the sink is
// closed, or ctx ends. It returns the number of frames written.
func (s *Sink) WaitFrames(ctx context.Context, n int) (int, error) {
	for {
		s.mu.Lock()
		got, closed, ch := len(s.frames), s.closed, s.changed
		s.mu.Unlock()
		if got >= n {
			return got, nil
		}
		if closed {
			return got, audio.ErrClosed
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return got, ctx.Err()
		}
	}
}
