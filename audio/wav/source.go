package wav

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/sipbell/sipbell/audio"
)

// Source yields a WAV stream as call-format audio (8 kHz mono), resampling
// and mixing down as needed. It is not paced: reads return as fast as the
// file can be read. The last frame is padded with silence; after it, Read
// returns io.EOF.
type Source struct {
	rd      *Reader
	closer  io.Closer
	rs      *audio.Resampler // nil when the file is already at the output rate
	in      []int16
	inN     int // unconsumed samples in in[inOff:inN]
	inOff   int
	tail    int // zeros still to feed to flush the filter after EOF
	skip    int // leading output samples still to drop (filter delay)
	eof     bool
	mu      sync.Mutex
	closed  bool
	flushed bool
}

// NewSource reads a WAV stream from r as 8 kHz call audio. If r is an
// io.Closer, Close closes it.
func NewSource(r io.Reader) (*Source, error) { return NewSourceRate(r, audio.SampleRate) }

// NewSourceRate is NewSource delivering samples at out Hz (16000 for a
// wideband call), resampled from the file's rate.
func NewSourceRate(r io.Reader, out int) (*Source, error) {
	rd, err := NewReader(r)
	if err != nil {
		return nil, err
	}
	s := &Source{rd: rd, in: make([]int16, 1024)}
	if c, ok := r.(io.Closer); ok {
		s.closer = c
	}
	if rate := rd.Format().Rate; rate != out {
		if s.rs, err = audio.NewResampler(rate, out); err != nil {
			return nil, fmt.Errorf("wav: %w", err)
		}
		s.skip = s.rs.Delay()
		s.tail = s.rs.Delay()*rate/out + 1
	}
	return s, nil
}

// Open opens the WAV file at path as an unpaced 8 kHz Source.
func Open(path string) (*Source, error) { return OpenRate(path, audio.SampleRate) }

// A file source reads a file of up to maxInMemory bytes into memory at
// once, and a longer one (or a pipe) in streamChunk reads: a microphone
// stand-in read every frame makes no system call per frame, one per
// second at 8 kHz (issue 16), and holds no more than one chunk of it (a
// whole 60 s file would be ~1 MB of the process's anonymous memory; a
// 64 KB chunk was 48 KB more of it than one read a second needs).
const (
	maxInMemory = 64 << 10 // about 4 s at 8 kHz
	streamChunk = 16 << 10
)

// OpenRate opens the WAV file at path as an unpaced Source at rate Hz.
func OpenRate(path string, rate int) (*Source, error) {
	r, err := openFile(path)
	if err != nil {
		return nil, err
	}
	s, err := NewSourceRate(r, rate)
	if err != nil {
		r.Close()
		return nil, fmt.Errorf("wav: %s: %w", path, err)
	}
	return s, nil
}

// openFile opens path whole in memory when it is a regular file of at
// most maxInMemory bytes, else buffered in streamChunk reads.
func openFile(path string) (io.ReadCloser, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("wav: %w", err)
	}
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() && st.Size() <= maxInMemory {
		b, err := io.ReadAll(io.LimitReader(f, maxInMemory))
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("wav: reading %s: %w", path, err)
		}
		return io.NopCloser(bytes.NewReader(b)), nil
	}
	return chunkedFile{bufio.NewReaderSize(f, streamChunk), f}, nil
}

// chunkedFile reads a file through a large buffer and closes it.
type chunkedFile struct {
	r *bufio.Reader
	f *os.File
}

func (c chunkedFile) Read(p []byte) (int, error) { return c.r.Read(p) }
func (c chunkedFile) Close() error               { return c.f.Close() }

// OpenSource opens the WAV file at path as a Source paced at one frame per
// audio.FrameDuration on clock, like a microphone: the simulated board's
// capture device.
func OpenSource(path string, clock audio.Clock) (audio.Source, error) {
	return OpenSourceRate(path, clock, audio.SampleRate)
}

// OpenSourceRate is OpenSource at rate Hz (16000: a wideband call's
// microphone).
func OpenSourceRate(path string, clock audio.Clock, rate int) (audio.Source, error) {
	s, err := OpenRate(path, rate)
	if err != nil {
		return nil, err
	}
	return audio.NewPacedSource(s, clock, audio.FrameDuration), nil
}

// Format returns the file's own format.
func (s *Source) Format() Format { return s.rd.Format() }

// Read fills frame with the next call-format samples.
func (s *Source) Read(ctx context.Context, frame []int16) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return audio.ErrClosed
	}
	if s.flushed {
		return io.EOF
	}
	w := 0
	for w < len(frame) {
		if err := ctx.Err(); err != nil {
			return err
		}
		if s.inOff == s.inN {
			if err := s.fill(); err == io.EOF {
				clear(frame[w:])
				s.flushed = true
				if w == 0 {
					return io.EOF
				}
				return nil
			} else if err != nil {
				return err
			}
		}
		if s.rs == nil {
			n := copy(frame[w:], s.in[s.inOff:s.inN])
			w, s.inOff = w+n, s.inOff+n
			continue
		}
		if s.skip > 0 { // drop the filter's delay so the output lines up
			n, c := s.rs.Process(frame[w:w+min(s.skip, len(frame)-w)], s.in[s.inOff:s.inN])
			s.skip, s.inOff = s.skip-n, s.inOff+c
			continue
		}
		n, c := s.rs.Process(frame[w:], s.in[s.inOff:s.inN])
		w, s.inOff = w+n, s.inOff+c
	}
	return nil
}

// fill refills s.in from the file, then with the zeros that flush the
// resampler's filter; io.EOF when both are used up.
func (s *Source) fill() error {
	s.inOff, s.inN = 0, 0
	if !s.eof {
		n, err := s.rd.Read(s.in)
		if err == nil {
			s.inN = n
			return nil
		}
		if err != io.EOF {
			return err
		}
		s.eof = true
	}
	if s.tail == 0 {
		return io.EOF
	}
	s.inN = min(s.tail, len(s.in))
	clear(s.in[:s.inN])
	s.tail -= s.inN
	return nil
}

// Close closes the underlying file.
func (s *Source) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	if s.closer != nil {
		return s.closer.Close()
	}
	return nil
}

// Play copies src into dst frame by frame until src ends (io.EOF, which is
// not an error) or ctx ends. It closes neither. The sink sets the pace (a
// playback device blocks while its buffer is full).
func Play(ctx context.Context, dst audio.Sink, src audio.Source) error {
	frame := audio.NewFrame()
	for {
		if err := src.Read(ctx, frame); err == io.EOF {
			return nil
		} else if err != nil {
			return fmt.Errorf("wav: play: read: %w", err)
		}
		if err := dst.Write(ctx, frame); err != nil {
			return fmt.Errorf("wav: play: write: %w", err)
		}
	}
}

// PlayFile plays the WAV prompt at path into dst once.
func PlayFile(ctx context.Context, dst audio.Sink, path string) error {
	src, err := Open(path)
	if err != nil {
		return err
	}
	defer src.Close()
	return Play(ctx, dst, src)
}
