package wav

import (
	"context"
	"math"
	"path/filepath"
	"testing"
)

// level is the amplitude of freq in x at rate (Goertzel).
func level(x []int16, freq float64, rate int) float64 {
	c := 2 * math.Cos(2*math.Pi*freq/float64(rate))
	var s1, s2 float64
	for _, v := range x {
		s1, s2 = float64(v)+c*s1-s2, s1
	}
	return 2 * math.Sqrt(max(s1*s1+s2*s2-c*s1*s2, 0)) / float64(len(x))
}

// TestRates: a 16 kHz recording (CreateSinkRate) read at 16 kHz keeps a
// 6 kHz tone; read at 8 kHz (the narrowband call
// format) the tone is filtered out; an 8 kHz file read at 16 kHz keeps
// its 1 kHz tone.
func TestRates(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	write := func(name string, rate int, freq float64) string {
		path := filepath.Join(dir, name)
		s, err := CreateSinkRate(path, rate)
		if err != nil {
			t.Fatal(err)
		}
		frame := make([]int16, rate/50)
		for k := range 50 {
			for i := range frame {
				frame[i] = int16(8000 * math.Sin(2*math.Pi*freq*float64(k*len(frame)+i)/float64(rate)))
			}
			if err := s.Write(ctx, frame); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		return path
	}
	read := func(path string, rate int) []int16 {
		s, err := OpenRate(path, rate)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		var out []int16
		frame := make([]int16, rate/50)
		for s.Read(ctx, frame) == nil {
			out = append(out, frame...)
		}
		return out
	}
	wide, narrow := write("wide.wav", 16000, 6000), write("narrow.wav", 8000, 1000)
	for _, tc := range []struct {
		path       string
		rate       int
		freq       float64
		min, max   float64
		formatRate int
	}{
		{wide, 16000, 6000, 7900, 8100, 16000},
		{wide, 8000, 2000, 0, 100, 16000}, // where 6 kHz would fold to without the filter: nothing
		{narrow, 16000, 1000, 7000, 8100, 8000},
	} {
		x := read(tc.path, tc.rate)
		if len(x) < tc.rate/2 {
			t.Fatalf("%s at %d Hz: %d samples", filepath.Base(tc.path), tc.rate, len(x))
		}
		if l := level(x[len(x)/4:3*len(x)/4], tc.freq, tc.rate); l < tc.min || l > tc.max {
			t.Errorf("%s read at %d Hz: %.0f Hz at %.0f, want %.0f-%.0f", filepath.Base(tc.path), tc.rate, tc.freq, l, tc.min, tc.max)
		}
		s, _ := Open(tc.path)
		if s.Format().Rate != tc.formatRate {
			t.Errorf("%s: written at %d Hz, want %d", filepath.Base(tc.path), s.Format().Rate, tc.formatRate)
		}
		s.Close()
	}
}
