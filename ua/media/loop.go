package media

import (
	"context"
	"errors"
	"io"

	"github.com/sipbell/sipbell/audio"
	"github.com/sipbell/sipbell/audio/dtmf"
)

// Run streams a call's audio until ctx ends: one goroutine reads frames
// from src (the capture device's clock paces it; a file source must be
// wrapped in audio.NewPacedSource) and sends them, the other pulls
// received audio from the jitter buffer into sink (whose blocking Write
// paces playout). When src ends (io.EOF) sending stops and playout goes
// on. Run returns nil when ctx ends, or the first error of src, sink or
// the session; it returns only after both goroutines have ended.
func (s *Session) Run(ctx context.Context, src audio.Source, sink audio.Sink) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 2)
	go func() { errc <- s.sendLoop(ctx, src) }()
	go func() { errc <- s.playLoop(ctx, sink) }()
	var first error
	for i := 0; i < 2; i++ {
		if err := <-errc; err != nil && first == nil {
			first = err
			cancel()
		}
	}
	if first != nil && errors.Is(first, context.Canceled) && ctx.Err() != nil {
		return nil
	}
	return first
}

// sendLoop sends frames read from src until ctx ends or src ends.
func (s *Session) sendLoop(ctx context.Context, src audio.Source) error {
	frame := make([]int16, frameLen)
	for {
		if err := src.Read(ctx, frame); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		if err := s.WriteFrame(frame); err != nil {
			if errors.Is(err, ErrClosed) {
				return err
			}
			s.log.Debug("RTP send failed; going on", "err", err) // e.g. a route flapping
		}
	}
}

// playLoop writes received audio to sink, one frame per Write, and runs
// the in-band DTMF detector on it when configured.
func (s *Session) playLoop(ctx context.Context, sink audio.Sink) error {
	frame := make([]int16, frameLen)
	var det *dtmf.Detector
	if s.cfg.InbandDTMF {
		det = dtmf.NewDetector(dtmf.DefaultThresholds())
	}
	digits := make([]byte, 0, 8)
	for {
		s.ReadFrame(frame)
		if det != nil {
			if digits = det.Process(digits[:0], frame); len(digits) > 0 {
				s.mu.Lock()
				for _, d := range digits {
					s.digit(DTMFInband, rune(d), s.clock.Now())
				}
				s.mu.Unlock()
			}
		}
		if err := sink.Write(ctx, frame); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
	}
}
