package callerid

import (
	"context"
	"errors"
	"io"
	"sync/atomic"
)

// ErrClosed is returned by Source.Read after Close. (Like the tone and
// dtmf generators, this package does not import audio, so that audio's
// configuration may one day validate caller-ID settings.)
var ErrClosed = errors.New("callerid: closed")

// Source plays a caller-ID signal (from FSK or DTMF) as an audio.Source:
// the samples in order, the last frame padded with silence, then io.EOF.
// It is not paced; wrap it in audio.NewPacedSource to play it in real
// time. Read is for one goroutine; Close may be called from any.
type Source struct {
	pcm    []int16
	pos    int
	closed atomic.Bool
}

// NewSource returns a source that plays pcm (which it keeps; do not
// change it while playing).
func NewSource(pcm []int16) *Source { return &Source{pcm: pcm} }

// Read fills frame with the next samples.
func (s *Source) Read(ctx context.Context, frame []int16) error {
	if s.closed.Load() {
		return ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.pos >= len(s.pcm) {
		return io.EOF
	}
	n := copy(frame, s.pcm[s.pos:])
	clear(frame[n:])
	s.pos += n
	return nil
}

// Close makes later Reads fail with ErrClosed.
func (s *Source) Close() error { s.closed.Store(true); return nil }
