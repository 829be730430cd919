package device

import (
	"context"
	"fmt"
	"io"

	"github.com/sipbell/sipbell/audio"
)

// PlaySignal plays samples (8 kHz) once through the cues, replacing
// whatever plays: the speaker and microphone self-test's signal.
func (q *Cues) PlaySignal(samples []int16) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return fmt.Errorf("device: play signal: %w", audio.ErrClosed)
	}
	q.swap(&signal{s: samples}, -1)
	return nil
}

// signal is an in-memory Source that ends with io.EOF.
type signal struct {
	s   []int16
	pos int
}

func (g *signal) Read(_ context.Context, frame []int16) error {
	if g.pos >= len(g.s) {
		return io.EOF
	}
	n := copy(frame, g.s[g.pos:])
	clear(frame[n:])
	g.pos += n
	return nil
}

func (g *signal) Close() error { return nil }
