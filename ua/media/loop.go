package media

import (
	"context"
	"errors"
	"io"

	"github.com/pion/rtp"
	"github.com/sipbell/sipbell/audio"
	"github.com/sipbell/sipbell/audio/dtmf"
)

// loopBuffers are Run's receive buffers, kept in the session so that a
// frame costs no allocation.
type loopBuffers struct {
	buf, plain [1500]byte
	h          rtp.Header
}

// maxDrain bounds the datagrams one frame takes from the RTP socket, so
// that a flood cannot hold the loop past its frame; the rest wait in the
// socket's buffer (and the kernel drops what does not fit).
const maxDrain = 32

// Run streams a call's audio until ctx ends: one goroutine reads frames
// from src (the capture device's clock paces it; a file source must be
// wrapped in audio.NewPacedSource) and sends them; the other, woken once
// per frame by sink (whose blocking Write paces playout), takes the RTP
// that arrived since its last frame into the jitter buffer without
// waiting (with Options.LoopReceives; otherwise the reader goroutine
// has), and plays one frame, concealed where missing. When src ends
// (io.EOF) sending stops and playout goes on. Run returns nil when ctx
// ends, or the first error of src, sink or the session; it returns only
// after both goroutines have ended.
func (s *Session) Run(ctx context.Context, src audio.Source, sink audio.Sink) error {
	defer s.afterRun()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 2)
	go func() { errc <- s.sendLoop(ctx, src) }()
	go func() { errc <- s.playLoop(ctx, sink) }()
	var first error
	for range 2 {
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
	frame := make([]int16, s.audioFrame())
	for {
		if err := s.sendFrame(ctx, src, frame); err != nil {
			if errors.Is(err, io.EOF) || ctx.Err() != nil {
				return nil
			}
			return err
		}
	}
}

// playLoop takes the received RTP and writes one frame of received audio
// to sink per Write, running the in-band DTMF detector on it when
// configured.
func (s *Session) playLoop(ctx context.Context, sink audio.Sink) error {
	out := make([]int16, s.audioFrame())
	var det *dtmf.Detector
	if s.cfg.InbandDTMF {
		det, _ = dtmf.NewDetectorRate(dtmf.DefaultThresholds(), s.audioRate)
	}
	digits := make([]byte, 0, 8)
	for {
		if s.raw != nil {
			s.drainRTP()
		}
		s.ReadFrame(out)
		if det != nil {
			if digits = det.Process(digits[:0], out); len(digits) > 0 {
				s.inbandDigits(digits)
			}
		}
		if err := sink.Write(ctx, out); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
	}
}

// sendFrame reads one frame from src and sends it; a send that fails on
// the network is logged and the call goes on (a route flapping).
func (s *Session) sendFrame(ctx context.Context, src audio.Source, frame []int16) error {
	if err := src.Read(ctx, frame); err != nil {
		return err
	}
	if err := s.WriteFrame(frame); err != nil {
		if errors.Is(err, ErrClosed) {
			return err
		}
		s.log.Debug("RTP send failed; going on", "err", err)
	}
	return nil
}

// drainRTP takes the datagrams waiting on the RTP socket without waiting.
func (s *Session) drainRTP() {
	l := &s.loop
	for range maxDrain {
		n, src, ok := s.raw.recv(l.buf[:])
		if !ok {
			return
		}
		s.rxDatagram(l.buf[:n], l.plain[:], src, &l.h)
	}
}

// inbandDigits reports digits the in-band detector heard in the received
// audio.
func (s *Session) inbandDigits(digits []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	for _, d := range digits {
		s.digit(DTMFInband, rune(d), now)
	}
}

// afterRun hands the receiving to the reader goroutine when Run received
// RTP and returned before the session closed (a device failed): the
// call's DTMF and timeout keep working.
func (s *Session) afterRun() {
	if s.raw == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.startReaderLocked()
}
