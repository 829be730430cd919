package wav

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sipbell/sipbell/audio"
	"github.com/sipbell/sipbell/audio/audiotest"
)

var _ audio.Source = (*Source)(nil)
var _ audio.Sink = (*Sink)(nil)

// header builds a WAV header with the given fmt fields and data size.
func header(tag, channels uint16, rate uint32, bits uint16, data uint32) []byte {
	var b bytes.Buffer
	le := binary.LittleEndian
	b.WriteString("RIFF")
	binary.Write(&b, le, uint32(36+data))
	b.WriteString("WAVEfmt ")
	binary.Write(&b, le, uint32(16))
	binary.Write(&b, le, tag)
	binary.Write(&b, le, channels)
	binary.Write(&b, le, rate)
	binary.Write(&b, le, rate*uint32(channels)*uint32(bits/8))
	binary.Write(&b, le, channels*bits/8)
	binary.Write(&b, le, bits)
	b.WriteString("data")
	binary.Write(&b, le, data)
	return b.Bytes()
}

func readAll(t *testing.T, s audio.Source) []int16 {
	t.Helper()
	var out []int16
	f := audio.NewFrame()
	for {
		err := s.Read(context.Background(), f)
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, f...)
	}
}

// level1k returns the amplitude of the 1 kHz component of 8 kHz samples.
func level1k(s []int16) float64 {
	var re, im float64
	for i, v := range s {
		w := 2 * math.Pi * 1000 * float64(i) / 8000
		re += float64(v) * math.Cos(w)
		im += float64(v) * math.Sin(w)
	}
	return 2 * math.Hypot(re, im) / float64(len(s))
}

func TestReadSoxFilesToCallFormat(t *testing.T) {
	for _, c := range []struct {
		file string
		f    Format
	}{
		{"tone1k_44k_stereo.wav", Format{44100, 2}},
		{"tone1k_48k_mono.wav", Format{48000, 1}},
	} {
		t.Run(c.file, func(t *testing.T) {
			s, err := Open(filepath.Join("testdata", c.file))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if s.Format() != c.f {
				t.Fatalf("Format = %+v, want %+v", s.Format(), c.f)
			}
			got := readAll(t, s)
			if len(got) != 10*audio.FrameSamples { // 0.2 s, last frame padded
				t.Errorf("%d samples, want %d", len(got), 10*audio.FrameSamples)
			}
			// sox wrote amplitude 0.5 full scale.
			if a := level1k(got[400:1200]); math.Abs(a-16384) > 800 {
				t.Errorf("1 kHz amplitude %.0f, want about 16384", a)
			}
		})
	}
}

func TestReaderRejects(t *testing.T) {
	good := header(1, 1, 8000, 16, 4)
	ext := header(formatExtensible, 1, 8000, 16, 0)
	binary.LittleEndian.PutUint32(ext[16:], 40)
	ext = append(ext[:36], append(append(make([]byte, 8), 3, 0), make([]byte, 14)...)...) // cbSize.., subformat 3 (float)
	ext = append(ext, "data\x00\x00\x00\x00"...)
	bigFmt := header(1, 1, 8000, 16, 0)
	binary.LittleEndian.PutUint32(bigFmt[16:], 5000)
	bigList := append(append([]byte{}, good[:12]...), "LIST\xff\xff\xff\x7f"...)
	tests := []struct {
		name string
		data []byte
		want error
	}{
		{"empty", nil, ErrTruncated},
		{"short", good[:30], ErrTruncated},
		{"no data chunk", good[:36], ErrTruncated},
		{"not riff", []byte("RIFX\x00\x00\x00\x00WAVE"), ErrNotWAV},
		{"float", header(3, 1, 8000, 32, 0), ErrNotPCM},
		{"alaw", header(6, 1, 8000, 8, 0), ErrNotPCM},
		{"extensible float", ext, ErrNotPCM},
		{"8-bit", header(1, 1, 8000, 8, 0), ErrFormat},
		{"24-bit", header(1, 2, 48000, 24, 0), ErrFormat},
		{"6 channels", header(1, 6, 48000, 16, 0), ErrFormat},
		{"zero rate", header(1, 1, 0, 16, 0), ErrFormat},
		{"oversized fmt", bigFmt, ErrHeader},
		{"oversized chunk before data", bigList, ErrHeader},
		{"data before fmt", append(append([]byte{}, good[:12]...), "data\x00\x00\x00\x00"...), ErrHeader},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewReader(bytes.NewReader(tc.data))
			if !errors.Is(err, tc.want) {
				t.Fatalf("NewReader = %v, want %v", err, tc.want)
			}
			if !strings.HasPrefix(err.Error(), "wav: ") {
				t.Errorf("error %q does not name the package", err)
			}
		})
	}
	for _, f := range []string{"float.wav", "u8.wav"} {
		if _, err := Open(filepath.Join("testdata", f)); err == nil || !strings.Contains(err.Error(), f) {
			t.Errorf("Open(%s) = %v, want an error naming the file", f, err)
		}
	}
	if _, err := Open(filepath.Join(t.TempDir(), "missing.wav")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Open(missing) = %v", err)
	}
}

func TestWriterRoundTripAndTruncatedData(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rec.wav")
	sink, err := CreateSink(path)
	if err != nil {
		t.Fatal(err)
	}
	want := make([]int16, 3*audio.FrameSamples)
	for i := range want {
		want[i] = int16(i*97 - 20000)
	}
	ctx := context.Background()
	for k := range 3 {
		if err := sink.Write(ctx, want[k*audio.FrameSamples:(k+1)*audio.FrameSamples]); err != nil {
			t.Fatal(err)
		}
	}
	if err := sink.Close(); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(path)
	if len(raw) != headerSize+2*len(want) {
		t.Fatalf("file is %d bytes", len(raw))
	}
	s, err := NewSource(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, s); !equal(got, want) {
		t.Fatal("round trip changed the samples")
	}
	// Cut inside the data (and inside a sample): the reader returns what is
	// there, padded, then io.EOF.
	s, _ = NewSource(bytes.NewReader(raw[:headerSize+2*200+1]))
	if got := readAll(t, s); len(got) != 2*audio.FrameSamples || !equal(got[:200], want[:200]) || got[200] != 0 {
		t.Fatalf("truncated data: got %d samples", len(got))
	}
	if err := sink.Write(ctx, want[:10]); !errors.Is(err, audio.ErrClosed) {
		t.Errorf("Write after Close = %v", err)
	}
}

func equal(a, b []int16) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// sox is a real WAV implementation: what we write it must read.
func TestSoxReadsOurFiles(t *testing.T) {
	if _, err := exec.LookPath("soxi"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("soxi not found: CI must install Debian package sox")
		}
		t.Skip("soxi not found: install Debian package sox to run this test")
	}
	path := filepath.Join(t.TempDir(), "out.wav")
	sink, err := CreateSink(path)
	if err != nil {
		t.Fatal(err)
	}
	for range 50 {
		_ = sink.Write(context.Background(), audio.NewFrame())
	}
	sink.Close()
	out, err := exec.Command("soxi", "-r", path).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "8000" {
		t.Fatalf("soxi -r: %s %v", out, err)
	}
	out, err = exec.Command("soxi", "-s", path).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "8000" {
		t.Fatalf("soxi -s (samples): %s %v", out, err)
	}
}

func TestPlayFileAndPacedSource(t *testing.T) {
	ctx := context.Background()
	sink := audiotest.NewSink()
	if err := PlayFile(ctx, sink, filepath.Join("testdata", "tone1k_48k_mono.wav")); err != nil {
		t.Fatal(err)
	}
	if n := len(sink.Frames()); n != 10 {
		t.Errorf("played %d frames, want 10", n)
	}
	sink.Err = errors.New("device gone")
	if err := PlayFile(ctx, sink, filepath.Join("testdata", "tone1k_48k_mono.wav")); err == nil {
		t.Error("a failing sink must fail Play")
	}
	if err := PlayFile(ctx, sink, "testdata/float.wav"); !errors.Is(err, ErrNotPCM) {
		t.Errorf("PlayFile(float) = %v", err)
	}

	t0 := time.Unix(0, 0)
	clk := audiotest.NewClock(t0)
	src, err := OpenSource(filepath.Join("testdata", "tone1k_44k_stereo.wav"), clk)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if got := len(readAll(t, src)); got != 10*audio.FrameSamples {
		t.Errorf("paced source gave %d samples", got)
	}
	if got := clk.Now().Sub(t0); got != 10*audio.FrameDuration {
		t.Errorf("11 paced reads took %v, want 200ms", got)
	}
}

func TestSourceClose(t *testing.T) {
	s, err := Open(filepath.Join("testdata", "tone1k_48k_mono.wav"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Read(context.Background(), audio.NewFrame()); !errors.Is(err, audio.ErrClosed) {
		t.Errorf("Read after Close = %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
}
