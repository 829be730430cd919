package media

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"sync"
	"time"

	"github.com/pion/rtp"
	"github.com/sipbell/sipbell/audio"
	"github.com/sipbell/sipbell/audio/dtmf"
)

// loopBuffers are Run's receive buffers, kept in the session so that a
// frame costs no allocation, and the hand-over of the RTCP timer: while
// Run's loop receives (Options.LoopReceives) it also sends the RTCP
// reports and watches for RTP inactivity on its frames, and the control
// goroutine waits until the loop has ended.
type loopBuffers struct {
	buf, plain [1500]byte
	h          rtp.Header

	mu        sync.Mutex
	ended     chan struct{} // closed when Run's loop has ended; made on first use
	endClosed bool
}

// endCh returns the channel closed when the loop ends.
func (l *loopBuffers) endCh() chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ended == nil {
		l.ended = make(chan struct{})
	}
	return l.ended
}

// awaitEnd waits until the loop has ended (true) or ctx ends (false).
func (l *loopBuffers) awaitEnd(ctx context.Context) bool {
	select {
	case <-l.endCh():
		return true
	case <-ctx.Done():
		return false
	}
}

// end marks the loop ended; it is idempotent.
func (l *loopBuffers) end() {
	ch := l.endCh()
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.endClosed {
		l.endClosed = true
		close(ch)
	}
}

// maxDrain bounds the datagrams one frame takes from the RTP socket, so
// that a flood cannot hold the loop past its frame; the rest wait in the
// socket's buffer (and the kernel drops what does not fit).
const maxDrain = 32

// maxCatchUp bounds the capture frames one playout frame sends after a
// stall of the capture side's schedule (the rest go with the next frames).
const maxCatchUp = 5

// Run streams a call's audio until ctx ends, in one loop per call woken
// once per frame by the playback side (issue 16). Each wake-up takes the
// capture frames that are due from src and sends them (when src is an
// audio.TryReader), takes the RTP that arrived since the last frame into
// the jitter buffer without waiting (Options.LoopReceives), and plays one
// frame, concealed where missing.
//
// When sink is an audio.Driver the loop runs on the device's own
// goroutine (Run only waits); otherwise Run writes to sink, whose
// blocking Write paces the loop. Playout is thus paced by the playback
// device and cannot run ahead of it. A src that cannot be read without
// waiting (a shared microphone, a pipe; see audio.TryReaderOf) gets a
// goroutine of its own, paced by its Read. When src ends (io.EOF)
// sending stops and playout goes on. Run returns nil when ctx ends, or
// the first error of src, sink or the session; it returns only after
// every goroutine it started has ended and its feed is detached.
func (s *Session) Run(ctx context.Context, src audio.Source, sink audio.Sink) error {
	defer s.afterRun()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	f := s.newFeeder(src)
	var wg sync.WaitGroup
	if f.try == nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.sendLoop(ctx, src); err != nil {
				f.fail(err)
			}
		}()
	}
	err := f.play(ctx, sink)
	cancel()
	wg.Wait()
	if err == nil {
		select {
		case err = <-f.errc:
		default:
		}
	}
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// feeder is one call's per-frame work, called by the loop's pacer.
type feeder struct {
	s       *Session
	try     audio.TryReader // nil: sendLoop reads the source
	sending bool            // the source has not ended
	capture []int16
	det     *dtmf.Detector
	digits  []byte
	errc    chan error // the first error; the loop ends
	rtcpDue time.Time  // the next RTCP report, when the loop sends them
}

func (s *Session) newFeeder(src audio.Source) *feeder {
	f := &feeder{s: s, capture: make([]int16, s.audioFrame()), digits: make([]byte, 0, 8), errc: make(chan error, 1)}
	f.try, _ = audio.TryReaderOf(src)
	f.sending = f.try != nil
	if s.cfg.InbandDTMF {
		f.det, _ = dtmf.NewDetectorRate(dtmf.DefaultThresholds(), s.audioRate)
	}
	return f
}

// fail reports the loop's first error; later ones are dropped.
func (f *feeder) fail(err error) {
	select {
	case f.errc <- err:
	default:
	}
}

// play runs the loop until ctx ends or fails: attached to a Driver sink,
// or writing to sink.
func (f *feeder) play(ctx context.Context, sink audio.Sink) error {
	if d, ok := sink.(audio.Driver); ok {
		detach, err := d.Attach(f.feed)
		if err != nil {
			return fmt.Errorf("attach call audio: %w", err)
		}
		defer detach()
		select {
		case <-ctx.Done():
			return nil
		case err := <-f.errc:
			return err
		}
	}
	out := make([]int16, f.s.audioFrame())
	for {
		f.feed(out)
		if err := sink.Write(ctx, out); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		select {
		case err := <-f.errc:
			return err
		default:
		}
	}
}

// feed is one wake-up of the loop: send what the microphone has, take
// what the network brought, and fill out with the frame to play.
func (f *feeder) feed(out []int16) {
	s := f.s
	if f.sending {
		f.sendDue()
	}
	if s.raw != nil {
		s.drainRTP()
	}
	s.ReadFrame(out)
	if f.det != nil {
		if f.digits = f.det.Process(f.digits[:0], out); len(f.digits) > 0 {
			s.inbandDigits(f.digits)
		}
	}
	if s.raw != nil { // the loop has the control goroutine's work
		now := s.clock.Now()
		if f.rtcpDue.IsZero() {
			f.rtcpDue = now.Add(jittered())
		}
		f.rtcpDue = s.controlAt(now, f.rtcpDue)
	}
}

// sendDue sends the capture frames that are due.
func (f *feeder) sendDue() {
	for range maxCatchUp {
		ok, err := f.try.TryRead(f.capture)
		if err != nil {
			f.sending = false
			if !errors.Is(err, io.EOF) {
				f.fail(err)
			}
			return
		}
		if !ok {
			return
		}
		if err := f.s.WriteFrame(f.capture); err != nil {
			if errors.Is(err, ErrClosed) {
				f.sending = false
				f.fail(err)
				return
			}
			f.s.log.Debug("RTP send failed; going on", "err", err)
		}
	}
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

// afterRun hands the receiving to the reader goroutine, and the RTCP
// reports and timeout to the control goroutine, when Run received RTP
// and returned before the session closed (a device failed): the call's
// DTMF and timeout keep working.
func (s *Session) afterRun() {
	if s.raw == nil {
		return
	}
	s.loop.end()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.startReaderLocked()
}

// sendRTP sends an RTP datagram to dst from the session's sender: with a
// raw system call when the loop has the socket (no scheduler round trip,
// see rawReceiver), else through the socket.
func (s *Session) sendRTP(pkt []byte, dst netip.AddrPort) error {
	if s.raw != nil {
		return s.raw.send(pkt, dst)
	}
	if _, err := s.rtp.WriteToUDPAddrPort(pkt, dst); err != nil {
		return fmt.Errorf("send RTP to %v: %w", dst, err)
	}
	return nil
}
