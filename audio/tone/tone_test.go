package tone

import (
	"context"
	"errors"
	"io"
	"math"
	"testing"
	"time"
)

// goertzel returns the amplitude of freq in s (8 kHz).
func goertzel(s []int16, freq float64) float64 {
	w := 2 * math.Pi * freq / rate
	c := 2 * math.Cos(w)
	var s1, s2 float64
	for _, v := range s {
		s0 := float64(v) + c*s1 - s2
		s2, s1 = s1, s0
	}
	p := s1*s1 + s2*s2 - c*s1*s2
	return 2 * math.Sqrt(p) / float64(len(s))
}

func gen(t *testing.T, country string, kind Kind, d time.Duration) []int16 {
	t.Helper()
	g, err := NewTone(country, kind)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]int16, int(d/time.Millisecond)*8)
	for off := 0; off < len(out); off += 160 {
		err := g.Read(context.Background(), out[off:min(off+160, len(out))])
		if err == io.EOF {
			break // a Once tone ended: the rest stays silent
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// runs returns the lengths in ms of alternating on/off runs, starting with
// on, judged per 1 ms block (a block is on if any sample is not zero).
func runs(s []int16) []int {
	var r []int
	on, n := true, 0
	for b := 0; b+8 <= len(s); b += 8 {
		blk := false
		for _, v := range s[b : b+8] {
			if v != 0 {
				blk = true
			}
		}
		if blk != on {
			r = append(r, n)
			on, n = blk, 0
		}
		n++
	}
	return append(r, n)
}

func TestFrequencies(t *testing.T) {
	for _, cc := range Countries() {
		for _, kind := range []Kind{Dial, Ringback, Busy, Congestion, Beep, Warning} {
			p, _ := Lookup(cc, kind)
			// 1600 samples (5 Hz Goertzel bins, every tone frequency on a
			// bin) inside the first "on" (at least 240 ms), past the ramp.
			s := gen(t, cc, kind, 300*time.Millisecond)[16 : 16+1600]
			for _, f := range p.Freqs {
				if a := goertzel(s, f); math.Abs(a-DefaultGain*32767) > 0.05*DefaultGain*32767 {
					t.Errorf("%s %v: %g Hz amplitude %.0f, want %.0f", cc, kind, f, a, DefaultGain*32767)
				}
			}
			for _, f := range []float64{300, 600, 900, 1200} { // nothing else
				if a := goertzel(s, f); a > 0.05*DefaultGain*32767 {
					t.Errorf("%s %v: stray %g Hz at %.0f", cc, kind, f, a)
				}
			}
		}
	}
}

func TestCadences(t *testing.T) {
	tests := []struct {
		cc   string
		kind Kind
		want []int // ms, on/off alternating, covering whole cycles
	}{
		{"US", Dial, []int{3000}},
		{"US", Ringback, []int{2000, 4000, 2000, 4000}},
		{"US", Busy, []int{500, 500, 500, 500}},
		{"US", Congestion, []int{250, 250, 250, 250}},
		{"UK", Ringback, []int{400, 200, 400, 2000, 400, 200, 400, 2000}},
		{"GB", Busy, []int{375, 375, 375, 375}},
		{"UK", Congestion, []int{400, 350, 225, 525}},
		{"DE", Dial, []int{3000}},
		{"DE", Ringback, []int{1000, 4000, 1000, 4000}},
		{"DE", Busy, []int{480, 480, 480, 480}},
		{"DE", Congestion, []int{240, 240}},
		{"FR", Ringback, []int{1500, 3500}},
		{"FR", Busy, []int{500, 500}},
		{"NL", Ringback, []int{1000, 4000}},
		{"NL", Busy, []int{500, 500}},
		{"NL", Congestion, []int{250, 250}},
		{"us", Warning, []int{500, 15000}},
	}
	for _, tc := range tests {
		total := 0
		for _, v := range tc.want {
			total += v
		}
		got := runs(gen(t, tc.cc, tc.kind, time.Duration(total)*time.Millisecond))
		if len(got) != len(tc.want) {
			t.Errorf("%s %v: runs %v, want %v", tc.cc, tc.kind, got, tc.want)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("%s %v: runs %v, want %v", tc.cc, tc.kind, got, tc.want)
				break
			}
		}
	}
}

// Counted in whole 20 ms frames, US ringback is 100 frames on, 200 off.
func TestUSRingbackFrames(t *testing.T) {
	g, _ := NewTone("US", Ringback)
	var pattern []bool
	f := make([]int16, 160)
	for range 600 {
		_ = g.Read(context.Background(), f)
		on := goertzel(f, 440) > 1000 && goertzel(f, 480) > 1000
		pattern = append(pattern, on)
	}
	for i, on := range pattern {
		if want := i%300 < 100; on != want {
			t.Fatalf("frame %d on=%v, want %v", i, on, want)
		}
	}
}

func TestBeepEnds(t *testing.T) {
	g, _ := NewTone("DE", Beep)
	f := make([]int16, 160)
	n := 0
	for {
		err := g.Read(context.Background(), f)
		if err == io.EOF {
			break
		}
		if err != nil || n > 100 {
			t.Fatalf("beep: %v after %d frames", err, n)
		}
		n++
	}
	if n != 10 {
		t.Errorf("beep lasted %d frames, want 10 (200 ms)", n)
	}
}

func TestErrors(t *testing.T) {
	if _, err := Lookup("XX", Dial); err == nil {
		t.Error("unknown country accepted")
	}
	if _, err := Lookup("US", Kind(42)); err == nil || Kind(42).String() != "tone.Kind(42)" {
		t.Error("unknown kind accepted")
	}
	for _, p := range []Plan{{}, {Freqs: []float64{5000}}, {Freqs: []float64{math.NaN()}}, {Freqs: []float64{400}, Cadence: ms(-1)}} {
		if _, err := New(p, DefaultGain); err == nil {
			t.Errorf("New(%+v) accepted", p)
		}
	}
	for _, g := range []float64{0.6, 0, math.NaN()} {
		if _, err := New(Plan{Freqs: []float64{400, 500}}, g); err == nil {
			t.Errorf("gain %v accepted", g)
		}
	}
	g, _ := NewTone("FR", Dial)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := g.Read(ctx, make([]int16, 10)); !errors.Is(err, context.Canceled) {
		t.Errorf("Read with cancelled ctx = %v", err)
	}
	g.Close()
	if err := g.Read(context.Background(), make([]int16, 10)); !errors.Is(err, ErrClosed) {
		t.Errorf("Read after Close = %v", err)
	}
	if Busy.String() != "busy" {
		t.Error(Busy.String())
	}
}
