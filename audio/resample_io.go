package audio

import (
	"context"
	"fmt"
	"time"
)

// ResampleSource turns a Source running at a device's native rate into one
// that yields call-rate frames. Each Read of n samples reads n*native/rate
// samples from the wrapped source, so the wrapped device still clocks the
// caller.
type ResampleSource struct {
	src Source
	r   *Resampler
	in  []int16
}

// NewResampleSource wraps src, whose samples are at native Hz, to deliver
// samples at rate Hz (normally SampleRate).
func NewResampleSource(src Source, native, rate int) (*ResampleSource, error) {
	r, err := NewResampler(native, rate)
	if err != nil {
		return nil, err
	}
	return &ResampleSource{src: src, r: r, in: make([]int16, FrameSamples*native/rate+1)}, nil
}

// Read fills frame with resampled audio.
func (s *ResampleSource) Read(ctx context.Context, frame []int16) error {
	in, err := s.input(len(frame))
	if err != nil {
		return err
	}
	if err := s.src.Read(ctx, in); err != nil {
		return err
	}
	return s.r.Frame(frame, in)
}

// input returns the buffer for the wrapped source's samples of a frame of
// n resampled samples.
func (s *ResampleSource) input(n int) ([]int16, error) {
	from, to := s.r.Rates()
	if n*from%to != 0 {
		return nil, fmt.Errorf("audio: resampling read of %d samples from %d Hz to %d Hz: not a whole number of input samples", n, from, to)
	}
	m := n * from / to
	if cap(s.in) < m {
		s.in = make([]int16, m)
	}
	return s.in[:m], nil
}

// Close closes the wrapped source.
func (s *ResampleSource) Close() error { return s.src.Close() }

// Delay is the wrapped source's delay (when it reports one) plus the
// resampling filter's.
func (s *ResampleSource) Delay() (time.Duration, error) {
	_, to := s.r.Rates()
	d, _ := DelayOf(s.src)
	return d + samplesDuration(s.r.Delay(), to), nil
}

// ResampleSink turns a Sink running at a device's native rate into one that
// takes call-rate frames.
type ResampleSink struct {
	dst Sink
	r   *Resampler
	out []int16
}

// NewResampleSink wraps dst, which takes samples at native Hz, to accept
// samples at rate Hz (normally SampleRate).
func NewResampleSink(dst Sink, rate, native int) (*ResampleSink, error) {
	r, err := NewResampler(rate, native)
	if err != nil {
		return nil, err
	}
	return &ResampleSink{dst: dst, r: r, out: make([]int16, FrameSamples*native/rate+1)}, nil
}

// Write resamples frame and writes it to the wrapped sink.
func (s *ResampleSink) Write(ctx context.Context, frame []int16) error {
	from, to := s.r.Rates()
	if len(frame)*to%from != 0 {
		return fmt.Errorf("audio: resampling write of %d samples from %d Hz to %d Hz: not a whole number of output samples", len(frame), from, to)
	}
	n := len(frame) * to / from
	if cap(s.out) < n {
		s.out = make([]int16, n)
	}
	out := s.out[:n]
	if err := s.r.Frame(out, frame); err != nil {
		return err
	}
	return s.dst.Write(ctx, out)
}

// Close closes the wrapped sink.
func (s *ResampleSink) Close() error { return s.dst.Close() }

// Delay is the wrapped sink's delay (when it reports one) plus the
// resampling filter's.
func (s *ResampleSink) Delay() (time.Duration, error) {
	_, to := s.r.Rates()
	d, _ := DelayOf(s.dst)
	return d + samplesDuration(s.r.Delay(), to), nil
}
