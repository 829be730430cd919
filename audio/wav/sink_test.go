package wav

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/sipbell/sipbell/audio"
)

// stallFile is an in-memory WriteSeeker whose writes of samples wait
// while stalled (a disk that stopped answering).
type stallFile struct {
	mu      sync.Mutex
	buf     []byte
	pos     int
	stalled chan struct{} // closed to let the stalled writes through
	writes  int
}

func (f *stallFile) Write(p []byte) (int, error) {
	f.mu.Lock()
	stall := f.writes > 0 // the header goes through
	f.writes++
	f.mu.Unlock()
	if stall {
		<-f.stalled
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if end := f.pos + len(p); end > len(f.buf) {
		f.buf = append(f.buf, make([]byte, end-len(f.buf))...)
	}
	copy(f.buf[f.pos:], p)
	f.pos += len(p)
	return len(p), nil
}

func (f *stallFile) Seek(off int64, whence int) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch whence {
	case io.SeekStart:
		f.pos = int(off)
	case io.SeekEnd:
		f.pos = len(f.buf) + int(off)
	default:
		return 0, errors.New("seek: whence not supported")
	}
	return int64(f.pos), nil
}

func (f *stallFile) Close() error { return nil }

// TestSinkDiskStall (issue 16): the speaker's Write, called once per
// frame, never waits for the disk. With the disk stalled, frames gather
// in the bounded buffer, then are dropped and counted; when the disk
// answers again, Close writes the frames kept, in order, with a header
// that counts them.
func TestSinkDiskStall(t *testing.T) {
	f := &stallFile{stalled: make(chan struct{})}
	s, err := newSink(f, f, audio.SampleRate, false)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	frame := make([]int16, audio.FrameSamples)
	fit := sinkBufBytes / (2 * len(frame))
	total := 2*fit + 10 // more than the buffer and the one stuck in the writer
	for i := range total {
		for j := range frame {
			frame[j] = int16(i)
		}
		if err := s.Write(ctx, frame); err != nil { // without the writer goroutine: blocks here
			t.Fatalf("frame %d: %v", i, err)
		}
	}
	if s.Dropped() == 0 {
		t.Errorf("%d frames written to a stalled disk, none dropped (buffer of %d frames)", total, fit)
	}
	close(f.stalled)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	src, err := NewSource(bytes.NewReader(f.buf))
	if err != nil {
		t.Fatal(err)
	}
	got := readAll(t, src)
	kept := total - int(s.Dropped())
	if len(got) != kept*len(frame) {
		t.Fatalf("file holds %d samples, want the %d frames kept (%d dropped)", len(got), kept, s.Dropped())
	}
	for k := range kept { // the first frames, in order, none torn
		if got[k*len(frame)] != int16(k) || got[(k+1)*len(frame)-1] != int16(k) {
			t.Fatalf("frame %d of the file is %d..%d", k, got[k*len(frame)], got[(k+1)*len(frame)-1])
		}
	}
	t.Logf("%d frames, %d kept, %d dropped", total, kept, s.Dropped())
}

// TestSinkWritesWithoutClose: what the speaker played reaches the file
// a moment later without Close (tests and people read a recording while
// it grows), and Write does not allocate.
func TestSinkWritesWithoutClose(t *testing.T) {
	path := filepath.Join(t.TempDir(), "speaker.wav")
	s, err := CreateSink(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	frame := make([]int16, audio.FrameSamples)
	ctx := context.Background()
	allocs := testing.AllocsPerRun(10, func() {
		if err := s.Write(ctx, frame); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("Write allocates %.1f times per frame, want 0", allocs)
	}
	want := int64(headerSize + 11*2*len(frame))
	tick := time.NewTicker(10 * time.Millisecond) // polls the file as a reader would
	defer tick.Stop()
	limit := time.After(30 * time.Second)
	for {
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if st.Size() >= want {
			return
		}
		select {
		case <-tick.C:
		case <-limit:
			t.Fatalf("the file has %d bytes 30 s after 11 frames, want %d", st.Size(), want)
		}
	}
}

// TestSourceFileInMemory (issue 16): a microphone stand-in of a few
// megabytes is read whole when opened, so its per-frame reads make no
// system call: the file can change under it (here: truncated to its
// header) without the call's audio changing. A longer file is streamed.
func TestSourceFileInMemory(t *testing.T) {
	for _, tc := range []struct {
		name    string
		samples int
		whole   bool
	}{
		{"short", 2 * 8000, true},
		{"longer than maxInMemory", maxInMemory/2 + 8000, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "mic.wav")
			f, err := os.Create(path)
			if err != nil {
				t.Fatal(err)
			}
			w, err := NewWriter(f, audio.SampleRate)
			if err != nil {
				t.Fatal(err)
			}
			in := make([]int16, tc.samples)
			for i := range in {
				in[i] = int16(i%200 + 1)
			}
			if err := w.Write(in); err != nil {
				t.Fatal(err)
			}
			if err := errors.Join(w.Close(), f.Close()); err != nil {
				t.Fatal(err)
			}
			src, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			if err := os.Truncate(path, headerSize); err != nil {
				t.Fatal(err)
			}
			got := readAll(t, src)
			t.Logf("%d samples in the file, %d read after truncating it", tc.samples, len(got))
			if whole := len(got) >= tc.samples && got[tc.samples-1] == in[tc.samples-1]; whole != tc.whole {
				t.Errorf("read %d of %d samples after the file was truncated: read whole at open %v, want %v",
					len(got), tc.samples, whole, tc.whole)
			}
		})
	}
}

// TestSinkBuffersSizedToTheCall (issue 16): a new recording holds two
// buffers of one flush interval, not two of the stall bound (128 KB of a
// call's anonymous memory); while the disk stalls the one gathering
// frames grows to the bound and no further, and frames past it are
// dropped as before.
func TestSinkBuffersSizedToTheCall(t *testing.T) {
	f := &stallFile{stalled: make(chan struct{})}
	s, err := newSink(f, f, 16000, false)
	if err != nil {
		t.Fatal(err)
	}
	held := func() (pending, spare int) {
		s.mu.Lock()
		defer s.mu.Unlock()
		return cap(s.pending), cap(s.spare)
	}
	if p, sp := held(); p+sp > 2*sinkStartBytes {
		t.Errorf("a new sink holds %d+%d bytes of buffer, want at most 2x%d", p, sp, sinkStartBytes)
	}
	frame := make([]int16, 2*audio.FrameSamples) // 20 ms at 16 kHz
	for i := range 2 * sinkBufBytes / (2 * len(frame)) {
		if err := s.Write(context.Background(), frame); err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if p, _ := held(); p > sinkBufBytes {
			t.Fatalf("frame %d: the buffer grew to %d bytes, past the bound %d", i, p, sinkBufBytes)
		}
	}
	if s.Dropped() == 0 {
		t.Error("no frame dropped past the bound")
	}
	close(f.stalled)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestSourceStreamChunk (issue 16): a long microphone file is read
// through a buffer of one second at 8 kHz, not four.
func TestSourceStreamChunk(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mic.wav")
	if err := os.WriteFile(path, make([]byte, 2*maxInMemory), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := openFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	c, ok := r.(chunkedFile)
	if !ok {
		t.Fatalf("a file of %d bytes opened as %T, want streamed", 2*maxInMemory, r)
	}
	if n := c.r.Size(); n > 16<<10 {
		t.Errorf("streamed through a %d-byte buffer, want at most 16 KB", n)
	}
}
