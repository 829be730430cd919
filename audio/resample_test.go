package audio

import (
	"context"
	"errors"
	"math"
	"testing"
)

func sine(n, rate int, freq, amp float64) []int16 {
	s := make([]int16, n)
	for i := range s {
		s[i] = int16(amp * math.Sin(2*math.Pi*freq*float64(i)/float64(rate)))
	}
	return s
}

// rms returns the root mean square of s after skipping the first skip samples.
func rms(s []int16, skip int) float64 {
	var sum float64
	for _, v := range s[skip:] {
		sum += float64(v) * float64(v)
	}
	return math.Sqrt(sum / float64(len(s)-skip))
}

func db(a, b float64) float64 { return 20 * math.Log10(a/b) }

// run pushes 0.5 s of a tone through a resampler frame by frame.
func run(t *testing.T, from, to int, freq float64) (in, out []int16) {
	t.Helper()
	r, err := NewResampler(from, to)
	if err != nil {
		t.Fatal(err)
	}
	nin, nout := from/50, to/50 // 20 ms
	in = sine(25*nin, from, freq, 10000)
	out = make([]int16, 25*nout)
	for k := range 25 {
		if err := r.Frame(out[k*nout:(k+1)*nout], in[k*nin:(k+1)*nin]); err != nil {
			t.Fatal(err)
		}
	}
	return in, out
}

func TestResamplerPassesVoiceBand(t *testing.T) {
	for _, rates := range [][2]int{{48000, 8000}, {8000, 48000}, {44100, 8000}, {8000, 44100}, {16000, 8000}, {8000, 16000}, {8000, 8000}} {
		in, out := run(t, rates[0], rates[1], 1000)
		g := db(rms(out, len(out)/5), rms(in, 0))
		t.Logf("%d->%d Hz: 1 kHz gain %+.3f dB", rates[0], rates[1], g)
		if math.Abs(g) > 0.5 {
			t.Errorf("%d->%d Hz: 1 kHz gain %.2f dB, want within 0.5 dB", rates[0], rates[1], g)
		}
	}
}

func TestResamplerRejectsAliases(t *testing.T) {
	for _, c := range []struct {
		from, to int
		freq     float64
	}{{48000, 8000, 6000}, {44100, 8000, 6000}, {16000, 8000, 6000}, {48000, 8000, 4500}} {
		in, out := run(t, c.from, c.to, c.freq)
		g := db(rms(out, len(out)/5)+1e-9, rms(in, 0))
		t.Logf("%d->%d Hz: %.0f Hz tone at %.1f dB", c.from, c.to, c.freq, g)
		if g > -40 {
			t.Errorf("%d->%d Hz: %.0f Hz tone only %.1f dB down, want < -40 dB", c.from, c.to, c.freq, g)
		}
	}
	// Going up, the images of a 1 kHz tone (7 kHz, 9 kHz...) must be gone:
	// low-pass the 48 kHz output by resampling it back and compare.
	_, up := run(t, 8000, 48000, 1000)
	var img float64 // correlate with the 7 kHz image
	var re, im float64
	for i, v := range up[len(up)/5:] {
		w := 2 * math.Pi * 7000 * float64(i) / 48000
		re += float64(v) * math.Cos(w)
		im += float64(v) * math.Sin(w)
	}
	img = 2 * math.Hypot(re, im) / float64(len(up)-len(up)/5) / math.Sqrt2
	g := db(img+1e-9, rms(up, len(up)/5))
	t.Logf("8k->48k: 7 kHz image at %.1f dB", g)
	if g > -40 {
		t.Errorf("8k->48k: 7 kHz image at %.1f dB, want < -40 dB", g)
	}
}

func TestResamplerStreamingMatchesFrames(t *testing.T) {
	in := sine(4410, 44100, 440, 8000)
	a, _ := NewResampler(44100, 8000)
	b, _ := NewResampler(44100, 8000)
	want := make([]int16, 800)
	if err := a.Frame(want, in); err != nil {
		t.Fatal(err)
	}
	got := make([]int16, 800)
	w := 0
	for off := 0; off < len(in); off += 37 { // odd block sizes
		n, c := b.Process(got[w:], in[off:min(off+37, len(in))])
		if c != min(37, len(in)-off) {
			t.Fatalf("consumed %d", c)
		}
		w += n
	}
	if w != 800 {
		t.Fatalf("streamed %d samples, want 800", w)
	}
	for i := range want {
		if want[i] != got[i] {
			t.Fatalf("sample %d: block %d stream %d", i, want[i], got[i])
		}
	}
}

func TestResamplerErrors(t *testing.T) {
	for _, r := range [][2]int{{0, 8000}, {8000, -1}, {44101, 8000}, {1000000, 8000}} {
		if _, err := NewResampler(r[0], r[1]); !errors.Is(err, ErrRate) {
			t.Errorf("NewResampler(%d, %d) = %v, want ErrRate", r[0], r[1], err)
		}
	}
	r, _ := NewResampler(48000, 8000)
	if err := r.Frame(make([]int16, 160), make([]int16, 900)); err == nil {
		t.Error("Frame with a wrong ratio must fail")
	}
}

func TestResamplerAllocFree(t *testing.T) {
	r, _ := NewResampler(48000, 8000)
	in, out := sine(960, 48000, 1000, 8000), make([]int16, 160)
	if a := testing.AllocsPerRun(50, func() { _ = r.Frame(out, in) }); a != 0 {
		t.Errorf("%v allocs per frame", a)
	}
}

type fixedSource struct{ s []int16 }

func (f *fixedSource) Read(_ context.Context, p []int16) error { copy(p, f.s); return nil }
func (f *fixedSource) Close() error                            { return nil }

type lastSink struct{ got []int16 }

func (l *lastSink) Write(_ context.Context, p []int16) error {
	l.got = append(l.got[:0], p...)
	return nil
}
func (l *lastSink) Close() error { return nil }

func TestResampleDecorators(t *testing.T) {
	ctx := context.Background()
	src, err := NewResampleSource(&fixedSource{s: make([]int16, 882)}, 44100, SampleRate)
	if err != nil {
		t.Fatal(err)
	}
	if err := src.Read(ctx, NewFrame()); err != nil {
		t.Fatal(err)
	}
	if err := src.Read(ctx, make([]int16, 7)); err == nil {
		t.Error("a read that is not a whole number of 44.1 kHz samples must fail")
	}
	var ls lastSink
	sink, err := NewResampleSink(&ls, SampleRate, 16000)
	if err != nil {
		t.Fatal(err)
	}
	if err := sink.Write(ctx, NewFrame()); err != nil || len(ls.got) != 320 {
		t.Fatalf("Write: %v, wrote %d samples, want 320", err, len(ls.got))
	}
	if _, err := NewResampleSink(&ls, SampleRate, 44101); err == nil {
		t.Error("an impossible rate must fail")
	}
}

func BenchmarkResample(b *testing.B) {
	for _, r := range [][2]int{{48000, 8000}, {8000, 48000}, {44100, 8000}, {8000, 44100}, {16000, 8000}, {8000, 16000}} {
		b.Run(fmt8(r), func(b *testing.B) {
			rs, _ := NewResampler(r[0], r[1])
			in, out := sine(r[0]/50, r[0], 1000, 8000), make([]int16, r[1]/50)
			b.ReportAllocs()
			for b.Loop() {
				_ = rs.Frame(out, in)
			}
		})
	}
}

func fmt8(r [2]int) string { return itoa(r[0]/1000) + "k-" + itoa(r[1]/1000) + "k" }

func itoa(v int) string {
	if v < 10 {
		return string(rune('0' + v))
	}
	return itoa(v/10) + string(rune('0'+v%10))
}

// response returns the gain in dB of the resampler's prototype filter at
// freq Hz, relative to DC, computed from its coefficients.
func response(r *Resampler, freq float64) float64 {
	high := float64(r.from) * float64(r.l)
	var re, im, dc float64
	for p := range r.l {
		for k := range r.taps {
			h := float64(r.coef[p*r.taps+r.taps-1-k])
			n := float64(p + k*r.l)
			w := 2 * math.Pi * freq / high * n
			re += h * math.Cos(w)
			im -= h * math.Sin(w)
			dc += h
		}
	}
	return db(math.Hypot(re, im), dc)
}

// The filter itself, measured from its coefficients (the tone tests above
// round to 16 bits, where the stop band is below one LSB).
func TestResamplerFilterResponse(t *testing.T) {
	for _, rates := range [][2]int{{48000, 8000}, {44100, 8000}, {16000, 8000}, {8000, 48000}, {8000, 44100}} {
		r, err := NewResampler(rates[0], rates[1])
		if err != nil {
			t.Fatal(err)
		}
		pass, edge := response(r, 1000), response(r, 3400)
		stop := math.Inf(-1)
		for f := 4200.0; f < min(24000, float64(rates[0]*r.l)/2); f += 100 { // up to the prototype's Nyquist
			stop = max(stop, response(r, f))
		}
		t.Logf("%d->%d Hz (%d taps/phase): 1 kHz %+.3f dB, 3.4 kHz %+.2f dB, worst above 4.2 kHz %.1f dB, 6 kHz %.1f dB",
			rates[0], rates[1], r.taps, pass, edge, stop, response(r, 6000))
		if math.Abs(pass) > 0.1 || edge < -3 || stop > -60 || response(r, 6000) > -40 {
			t.Errorf("%d->%d Hz: response out of spec", rates[0], rates[1])
		}
	}
}
