package audio

import "errors"

// ErrCannotTry is wrapped by the TryRead of a decorator whose wrapped
// source cannot be read without waiting (see TryReaderOf).
var ErrCannotTry = errors.New("audio: source cannot be read without waiting")

// MaybeTryReader is a decorator (gain, resampling, echo cancelling) whose
// TryRead works only when the source it wraps can be read without waiting.
type MaybeTryReader interface {
	TryReader
	// CanTryRead reports whether TryRead works.
	CanTryRead() bool
}

// TryReaderOf returns src's TryRead when src can be read without waiting:
// it is a TryReader, and a MaybeTryReader only when its CanTryRead says so.
// A call's media loop takes its microphone's frames this way (issue 16).
func TryReaderOf(src Source) (TryReader, bool) {
	t, ok := src.(TryReader)
	if !ok {
		return nil, false
	}
	if m, ok := src.(MaybeTryReader); ok && !m.CanTryRead() {
		return nil, false
	}
	return t, true
}

// tryInner is TryRead on a decorator's wrapped source: ErrCannotTry when
// that cannot be read without waiting.
func tryInner(src Source, frame []int16) (bool, error) {
	t, ok := TryReaderOf(src)
	if !ok {
		return false, ErrCannotTry
	}
	return t.TryRead(frame)
}

// TryReadFrom is TryRead on src for decorators outside this package: src's
// TryRead when TryReaderOf allows it, else ErrCannotTry.
func TryReadFrom(src Source, frame []int16) (bool, error) { return tryInner(src, frame) }

// CanTryRead reports whether the wrapped source can be read without
// waiting.
func (g *GainSource) CanTryRead() bool { _, ok := TryReaderOf(g.src); return ok }

// TryRead reads the wrapped source's next frame without waiting, when it
// has one, and scales it.
func (g *GainSource) TryRead(frame []int16) (bool, error) {
	ok, err := tryInner(g.src, frame)
	if ok && err == nil {
		applyGain(frame, frame, g.q)
	}
	return ok, err
}

// CanTryRead reports whether the wrapped source can be read without
// waiting.
func (s *ResampleSource) CanTryRead() bool { _, ok := TryReaderOf(s.src); return ok }

// TryRead reads the input for one resampled frame from the wrapped source
// without waiting, when it has it, and resamples it.
func (s *ResampleSource) TryRead(frame []int16) (bool, error) {
	in, err := s.input(len(frame))
	if err != nil {
		return false, err
	}
	ok, err := tryInner(s.src, in)
	if !ok || err != nil {
		return ok, err
	}
	return true, s.r.Frame(frame, in)
}
