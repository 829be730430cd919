package g722

import (
	"math"
	"testing"

	"github.com/sipbell/sipbell/audio/g711"
)

func tone(n int, amp, freq float64) []int16 {
	s := make([]int16, n)
	for i := range s {
		s[i] = int16(amp * math.Sin(2*math.Pi*freq*float64(i)/16000))
	}
	return s
}

// roundTrip encodes and decodes pcm in 20 ms frames with fresh state.
func roundTrip(pcm []int16) []int16 {
	var e Encoder
	var d Decoder
	out := make([]int16, len(pcm))
	buf := make([]byte, 160)
	for i := 0; i+320 <= len(pcm); i += 320 {
		e.Encode(buf, pcm[i:i+320])
		d.Decode(out[i:i+320], buf)
	}
	return out
}

// level returns the amplitude of freq in s (Goertzel, rectangular window).
func level(s []int16, freq float64) float64 {
	w := 2 * math.Pi * freq / 16000
	var re, im float64
	for i, v := range s {
		re += float64(v) * math.Cos(w*float64(i))
		im -= float64(v) * math.Sin(w*float64(i))
	}
	return 2 * math.Hypot(re, im) / float64(len(s))
}

// Tones across the 7 kHz band, above G.711's 4 kHz ones included, come
// out at their frequency and level (after the codec's delay), and nothing
// much else does.
func TestWidebandTonesArrive(t *testing.T) {
	for _, f := range []float64{300, 1000, 3400, 5500, 6500, 7000} {
		out := roundTrip(tone(16000, 10000, f))[1600:] // skip adaptation
		got := level(out, f)
		if got < 8500 || got > 11500 {
			t.Errorf("%v Hz at 10000: decoded level %.0f", f, got)
		}
		var sum float64
		for _, v := range out {
			sum += float64(v) * float64(v)
		}
		rms := math.Sqrt(sum / float64(len(out)))
		// A pure tone's RMS is amplitude/sqrt2: the rest is distortion.
		if snr := 20 * math.Log10(got/math.Sqrt2/math.Sqrt(max(rms*rms-got*got/2, 1e-9))); snr < 20 {
			t.Errorf("%v Hz: signal to distortion %.1f dB", f, snr)
		}
	}
}

func TestSilenceStaysQuiet(t *testing.T) {
	for i, v := range roundTrip(make([]int16, 3200)) {
		if v < -8 || v > 8 {
			t.Fatalf("sample %d of silence decodes to %d", i, v)
		}
	}
}

// The zero values, NewXxx-free, behave as Reset ones; Reset restarts the
// stream exactly.
func TestZeroValueAndReset(t *testing.T) {
	pcm := tone(640, 9000, 1234)
	var e1, e2 Encoder
	a, b := make([]byte, 320), make([]byte, 320)
	e1.Encode(a, pcm)
	e2.Reset()
	e2.Encode(b, pcm)
	if string(a) != string(b) {
		t.Fatal("zero Encoder differs from a Reset one")
	}
	e1.Encode(b, pcm) // state moves on
	if string(a) == string(b) {
		t.Fatal("encoder kept no state")
	}
	e1.Reset()
	e1.Encode(b, pcm)
	if string(a) != string(b) {
		t.Fatal("Reset encoder does not start the stream anew")
	}

	d1 := Decoder{}
	d2 := Decoder{Mode: Mode1}
	o1, o2 := make([]int16, 640), make([]int16, 640)
	d1.Decode(o1, a)
	d2.Decode(o2, a)
	if !equal(o1, o2) {
		t.Fatal("zero Decoder differs from a Mode1 one")
	}
	d1.Decode(o2, a)
	d1.Reset()
	d1.Decode(o2, a)
	if !equal(o1, o2) || d1.Mode != 0 {
		t.Fatal("Reset decoder does not start anew, or lost its Mode")
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

func TestShortBuffers(t *testing.T) {
	var e Encoder
	pcm := tone(11, 1000, 500)
	if n := e.Encode(make([]byte, 10), pcm); n != 5 {
		t.Errorf("Encode of 11 samples = %d bytes, want 5 (odd sample left)", n)
	}
	if n := e.Encode(make([]byte, 2), pcm); n != 2 {
		t.Errorf("Encode into 2 bytes = %d", n)
	}
	var d Decoder
	if n := d.Decode(make([]int16, 5), make([]byte, 4)); n != 4 {
		t.Errorf("Decode into 5 samples = %d, want 4", n)
	}
	if n := d.Decode(make([]int16, 100), make([]byte, 3)); n != 6 {
		t.Errorf("Decode of 3 bytes = %d, want 6", n)
	}
	if e.Encode(nil, pcm) != 0 || d.Decode(nil, []byte{1}) != 0 {
		t.Error("empty buffers must write nothing")
	}
}

func TestModeString(t *testing.T) {
	for m, want := range map[Mode]string{0: "64kbit/s", Mode1: "64kbit/s", Mode2: "56kbit/s", Mode3: "48kbit/s", 9: "g722.Mode(9)"} {
		if got := m.String(); got != want {
			t.Errorf("Mode(%d).String() = %q, want %q", m, got, want)
		}
	}
}

func TestEncodeDecodeAllocFree(t *testing.T) {
	pcm := tone(320, 8000, 1000)
	enc := make([]byte, 160)
	out := make([]int16, 320)
	var e Encoder
	var d Decoder
	if a := testing.AllocsPerRun(100, func() { e.Encode(enc, pcm); d.Decode(out, enc) }); a != 0 {
		t.Errorf("%v allocs per frame, want 0", a)
	}
}

// FuzzDecode: any bytes in any mode decode without panic, to exactly two
// samples per byte, with the state staying in the Recommendation's ranges.
func FuzzDecode(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 0xff, 0xfe, 0x80, 0x7f}, uint8(1))
	f.Add(make([]byte, 64), uint8(3))
	f.Fuzz(func(t *testing.T, data []byte, mode uint8) {
		d := Decoder{Mode: Mode(mode)}
		out := make([]int16, 2*len(data)+1)
		if n := d.Decode(out, data); n != 2*len(data) {
			t.Fatalf("%d samples from %d bytes", n, len(data))
		}
		checkBand(t, &d.low, 18432)
		checkBand(t, &d.high, 22528)
		// And the encoder never panics on the decoded PCM either.
		var e Encoder
		e.Encode(data, out[:2*len(data)])
		checkBand(t, &e.low, 18432)
		checkBand(t, &e.high, 22528)
	})
}

func checkBand(t *testing.T, b *band, nbMax int32) {
	t.Helper()
	lim := 15360 - b.a[2]
	if b.nb < 0 || b.nb > nbMax || b.a[2] < -12288 || b.a[2] > 12288 || b.a[1] < -lim || b.a[1] > lim {
		t.Fatalf("state out of range: %+v", *b)
	}
}

// BenchmarkFrame encodes and decodes one 20 ms frame: G722 320 samples
// (160 bytes); G711 160 samples of PCMU, the narrowband codec it is
// compared with, measured in the same run (the ratio is what counts on a
// shared machine).
func BenchmarkFrame(b *testing.B) {
	b.Run("G722", func(b *testing.B) {
		pcm := tone(320, 8000, 1000)
		enc := make([]byte, 160)
		out := make([]int16, 320)
		var e Encoder
		var d Decoder
		b.ReportAllocs()
		for b.Loop() {
			e.Encode(enc, pcm)
			d.Decode(out, enc)
		}
	})
	b.Run("G711", func(b *testing.B) {
		pcm := make([]int16, 160)
		for i := range pcm {
			pcm[i] = int16(8000 * math.Sin(2*math.Pi*1000*float64(i)/8000))
		}
		enc := make([]byte, 160)
		out := make([]int16, 160)
		b.ReportAllocs()
		for b.Loop() {
			g711.Ulaw.Encode(enc, pcm)
			g711.Ulaw.Decode(out, enc)
		}
	})
}
