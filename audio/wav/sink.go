package wav

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sipbell/sipbell/audio"
)

// A Sink's Write, called once per frame by the speaker, only encodes the
// frame into memory; a writer goroutine of its own writes what gathered
// to the file every sinkFlushEvery while there is something (issue 16: no
// blocking system call in the per-frame path, and a disk that stalls does
// not stall the speaker). The buffer is bounded: while the writer is
// stuck, frames that do not fit are dropped and counted. Each of its two
// buffers starts with room for one flush interval at 16 kHz and grows
// towards the bound only while the writer falls behind: a call's
// recording holds 16 KB, not the 128 KB a stalled disk may take.
const (
	sinkBufBytes   = 64 << 10 // 2 s at 16 kHz, 4 s at 8 kHz
	sinkStartBytes = 8 << 10  // one sinkFlushEvery at 16 kHz (8000 bytes)
	sinkFlushEvery = 250 * time.Millisecond
)

// Sink records call audio (8 kHz mono, or 16 kHz: CreateSinkRate) into a
// WAV file, written in chunks a few times a second by its own goroutine;
// into a named pipe (a test's simulated room, whose reader takes each
// frame in real time), frame by frame.
type Sink struct {
	c      io.Closer // the file
	wr     *Writer
	direct bool // a pipe: Write writes the frame itself

	mu      sync.Mutex
	pending []byte // encoded samples not yet handed to the writer
	spare   []byte // the writer's other buffer, nil while it writes it
	queued  int64  // bytes handed over or pending, for the 4 GiB limit
	werr    error  // the writer's first error
	closed  bool
	dropped atomic.Int64

	kick chan struct{} // pending went from empty to not
	stop chan struct{} // closed by Close
	done chan struct{} // closed when the writer has ended
}

// CreateSink creates (or truncates) the WAV file at path for 8 kHz audio.
func CreateSink(path string) (*Sink, error) { return CreateSinkRate(path, audio.SampleRate) }

// CreateSinkRate creates (or truncates) the WAV file at path for audio at
// rate Hz.
func CreateSinkRate(path string, rate int) (*Sink, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("wav: %w", err)
	}
	direct := false // a pipe's reader takes each frame in real time
	if st, err := f.Stat(); err == nil && !st.Mode().IsRegular() {
		direct = true
	}
	s, err := newSink(f, f, rate, direct)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("wav: %s: %w", path, err)
	}
	return s, nil
}

// newSink records into w, closing c at Close; its writer goroutine runs
// until then. A direct sink writes each frame in Write instead, with no
// goroutine.
func newSink(w io.WriteSeeker, c io.Closer, rate int, direct bool) (*Sink, error) {
	wr, err := NewWriter(w, rate)
	if err != nil {
		return nil, err
	}
	s := &Sink{c: c, wr: wr, direct: direct, kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	if direct {
		close(s.done)
		return s, nil
	}
	s.pending, s.spare = make([]byte, 0, sinkStartBytes), make([]byte, 0, sinkStartBytes)
	go s.writer()
	return s, nil
}

// Write appends frame to what the writer goroutine writes next. It never
// waits for the disk: when the buffer is full (the disk stalled for
// seconds) the frame is dropped and counted (Dropped).
func (s *Sink) Write(ctx context.Context, frame []int16) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closed:
		return audio.ErrClosed
	case s.werr != nil:
		return s.werr
	case s.queued+2*int64(len(frame)) > 0xffffffff-headerSize:
		return ErrTooLong
	case s.direct:
		return s.wr.Write(frame)
	case len(s.pending)+2*len(frame) > sinkBufBytes:
		s.dropped.Add(1)
		return nil
	case len(s.pending)+2*len(frame) > cap(s.pending):
		s.pending = growSink(s.pending, 2*len(frame))
	}
	if len(s.pending) == 0 {
		select {
		case s.kick <- struct{}{}:
		default:
		}
	}
	for _, v := range frame {
		s.pending = binary.LittleEndian.AppendUint16(s.pending, uint16(v))
	}
	s.queued += 2 * int64(len(frame))
	return nil
}

// growSink returns b with room for n more bytes: twice its capacity, at
// most sinkBufBytes (Write has checked that n fits under it).
func growSink(b []byte, n int) []byte {
	g := make([]byte, len(b), min(max(2*cap(b), len(b)+n), sinkBufBytes))
	copy(g, b)
	return g
}

// Dropped returns how many frames were dropped because the writer fell
// seconds behind.
func (s *Sink) Dropped() int64 { return s.dropped.Load() }

// writer writes the pending samples sinkFlushEvery after they start to
// gather, until Close.
func (s *Sink) writer() {
	defer close(s.done)
	t := time.NewTimer(sinkFlushEvery)
	t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-s.kick:
		}
		t.Reset(sinkFlushEvery)
		select {
		case <-s.stop:
			t.Stop()
			return
		case <-t.C:
		}
		s.flush()
	}
}

// flush swaps the pending samples out under the lock and writes them
// without it.
func (s *Sink) flush() {
	s.mu.Lock()
	buf := s.pending
	s.pending, s.spare = s.spare[:0], nil
	s.mu.Unlock()
	var err error
	if len(buf) > 0 {
		err = s.wr.writeBytes(buf)
	}
	s.mu.Lock()
	s.spare = buf[:0]
	if err != nil && s.werr == nil {
		s.werr = err
	}
	s.mu.Unlock()
}

// Close writes what is pending, finishes the header and closes the file.
func (s *Sink) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	close(s.stop)
	<-s.done
	s.flush()
	err := s.werr
	if cerr := s.wr.Close(); err == nil {
		err = cerr
	}
	if cerr := s.c.Close(); err == nil {
		err = cerr
	}
	return err
}
