package dtmf

import (
	"context"
	"io"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// synth returns n samples of a row+col pair at the given amplitudes
// (fractions of full scale) plus white noise of rms noise.
func synth(n int, row, col, ra, ca, noise float64, rng *rand.Rand) []int16 {
	s := make([]int16, n)
	for i := range s {
		t := float64(i) / rate
		v := ra*math.Sin(2*math.Pi*row*t) + ca*math.Sin(2*math.Pi*col*t)
		v = v*32767 + noise*32767*rng.NormFloat64()
		s[i] = int16(max(-32768, min(32767, v)))
	}
	return s
}

func silence(n int) []int16 { return make([]int16, n) }

// detect runs a fresh detector over s in 20 ms frames.
func detect(s []int16) string {
	d := NewDetector(DefaultThresholds())
	var out []byte
	for off := 0; off < len(s); off += 160 {
		out = d.Process(out, s[off:min(off+160, len(s))])
	}
	return string(out)
}

func cat(parts ...[]int16) []int16 {
	var s []int16
	for _, p := range parts {
		s = append(s, p...)
	}
	return s
}

func TestAllDigits(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	tests := []struct {
		name          string
		ra, ca, noise float64
		dur           int // samples of tone
		want          bool
	}{
		{"clean", 0.2, 0.2, 0, 400, true},
		{"quiet", 0.01, 0.01, 0, 400, true},
		{"noise 20 dB SNR", 0.2, 0.2, 0.02, 400, true},
		{"noise 10 dB SNR", 0.1, 0.1, 0.03, 400, true},
		{"normal twist 6 dB", 0.2, 0.1, 0, 400, true},
		{"reverse twist 4 dB", 0.126, 0.2, 0, 400, true},
		{"40 ms", 0.2, 0.2, 0, 320, true},
		{"too short (20 ms)", 0.2, 0.2, 0, 160, false},
		{"too quiet", 0.002, 0.002, 0, 400, false},
		{"normal twist 12 dB", 0.2, 0.05, 0, 400, false},
		{"reverse twist 10 dB", 0.063, 0.2, 0, 400, false},
		{"drowned in noise", 0.05, 0.05, 0.2, 400, false},
	}
	for _, tc := range tests {
		for i := range len(Digits) {
			digit := Digits[i]
			row, col, _ := Freqs(digit)
			for _, lead := range []int{0, 51, 123} { // tone start vs block grid
				s := cat(silence(lead), synth(tc.dur, row, col, tc.ra, tc.ca, tc.noise, rng), silence(800))
				got := detect(s)
				want := ""
				if tc.want {
					want = string(digit)
				}
				if got != want {
					t.Errorf("%s, digit %c, lead %d: detected %q, want %q", tc.name, digit, lead, got, want)
				}
			}
		}
	}
}

func TestGeneratedSequenceAndHeld(t *testing.T) {
	const seq = "0123456789*#ABCDd11"
	g, err := NewGenerator(seq, 40*time.Millisecond, 40*time.Millisecond, DefaultGain)
	if err != nil {
		t.Fatal(err)
	}
	d := NewDetector(DefaultThresholds())
	var got []byte
	f := make([]int16, 160)
	frames, held := 0, false
	for {
		if err := g.Read(context.Background(), f); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		frames++
		got = d.Process(got, f)
		held = held || d.Held() != 0
	}
	if string(got) != "0123456789*#ABCDD11" {
		t.Errorf("detected %q", got)
	}
	if frames != len(seq)*4 {
		t.Errorf("generator gave %d frames, want %d", frames, len(seq)*4)
	}
	if !held {
		t.Error("Held never reported a digit")
	}
}

func TestLongPressIsOneDigit(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	row, col, _ := Freqs('5')
	long := synth(16000, row, col, 0.2, 0.2, 0.01, rng) // 2 s
	if got := detect(long); got != "5" {
		t.Errorf("2 s press: %q, want one 5", got)
	}
	// A 10 ms dropout (a lost packet concealed by silence) inside a press.
	drop := cat(long[:4000], silence(80), long[4080:8000])
	if got := detect(drop); got != "5" {
		t.Errorf("press with 10 ms dropout: %q, want one 5", got)
	}
	// Two presses 40 ms apart are two digits.
	two := cat(long[:800], silence(320), long[:800])
	if got := detect(two); got != "55" {
		t.Errorf("two presses: %q, want 55", got)
	}
}

// Signals that are not DTMF must not yield digits.
func TestNoFalsePositives(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	var chirp []int16
	var ph float64
	for i := range 3 * rate { // 300 -> 3400 Hz over 3 s, then back
		f := 300 + 3100*float64(i)/(3*rate)
		ph += 2 * math.Pi * f / rate
		chirp = append(chirp, int16(12000*math.Sin(ph)))
	}
	for i := range chirp[:len(chirp)/2] {
		j := len(chirp) - 1 - i
		chirp[i], chirp[j] = chirp[j], chirp[i]
	}
	chirp = append(chirp, chirp...)
	signals := map[string][]int16{
		"chirp":   chirp,
		"speech":  speechLike(5*rate, rng),
		"noise":   synth(rate, 0, 0, 0, 0, 0.2, rng),
		"silence": silence(rate),
	}
	for _, f := range append(rowFreqs[:], colFreqs[:]...) {
		signals["single "+ftoa(f)] = synth(rate, f, 0, 0.3, 0, 0, rng)
	}
	signals["dial 350+440"] = synth(rate, 350, 440, 0.2, 0.2, 0, rng)
	signals["ringback 440+480"] = synth(rate, 440, 480, 0.2, 0.2, 0, rng)
	signals["1000+1400"] = synth(rate, 1000, 1400, 0.2, 0.2, 0, rng)
	signals["row+row 697+770"] = synth(rate, 697, 770, 0.2, 0.2, 0, rng)
	for name, s := range signals {
		if got := detect(s); got != "" {
			t.Errorf("%s: detected %q, want nothing", name, got)
		}
	}
}

// speechLike synthesises voiced speech: a glottal pulse train whose pitch
// glides between 90 and 250 Hz, shaped by two moving formant resonators,
// with syllable-rate amplitude modulation and some breath noise.
func speechLike(n int, rng *rand.Rand) []int16 {
	s := make([]int16, n)
	var ph, y1, y2, z1, z2 float64
	for i := range s {
		t := float64(i) / rate
		f0 := 170 + 80*math.Sin(2*math.Pi*0.7*t)
		ph += f0 / rate
		var exc float64
		if ph >= 1 {
			ph--
			exc = 1
		}
		exc += 0.05 * rng.NormFloat64()
		f1 := 500 + 300*math.Sin(2*math.Pi*1.3*t)
		f2 := 1500 + 700*math.Sin(2*math.Pi*0.9*t+1)
		y := resonate(exc, f1, &y1, &y2)
		z := resonate(y, f2, &z1, &z2)
		env := 0.5 + 0.5*math.Sin(2*math.Pi*4*t)
		s[i] = int16(max(-32768, min(32767, 3000*z*env)))
	}
	return s
}

func resonate(x, f float64, y1, y2 *float64) float64 {
	r := 0.97
	y := x + 2*r*math.Cos(2*math.Pi*f/rate)**y1 - r*r**y2
	*y2, *y1 = *y1, y
	return y * (1 - r)
}

func ftoa(f float64) string { return time.Duration(f).String() }

func TestGeneratorErrors(t *testing.T) {
	for _, c := range []struct {
		digits  string
		on, off time.Duration
		gain    float64
	}{
		{"12x", 50 * time.Millisecond, 50 * time.Millisecond, 0.2},
		{"1", time.Millisecond, 0, 0.2},
		{"1", 50 * time.Millisecond, -1, 0.2},
		{"1", 50 * time.Millisecond, 0, 0.9},
		{"1", 50 * time.Millisecond, 0, math.NaN()},
	} {
		if _, err := NewGenerator(c.digits, c.on, c.off, c.gain); err == nil {
			t.Errorf("NewGenerator(%q, %v, %v, %v) accepted", c.digits, c.on, c.off, c.gain)
		}
	}
	g, _ := NewGenerator("1", 50*time.Millisecond, 0, 0.2)
	g.Close()
	if err := g.Read(context.Background(), make([]int16, 160)); err != ErrClosed {
		t.Errorf("Read after Close = %v", err)
	}
}

func TestDetectorAllocFree(t *testing.T) {
	d := NewDetector(DefaultThresholds())
	row, col, _ := Freqs('7')
	s := synth(160, row, col, 0.2, 0.2, 0, rand.New(rand.NewPCG(1, 1)))
	buf := make([]byte, 0, 4)
	if a := testing.AllocsPerRun(100, func() { buf = d.Process(buf[:0], s) }); a != 0 {
		t.Errorf("%v allocs per frame", a)
	}
}

// BenchmarkDetect is the cost of analysing one 20 ms frame.
func BenchmarkDetect(b *testing.B) {
	row, col, _ := Freqs('7')
	s := synth(160*50, row, col, 0.2, 0.2, 0.01, rand.New(rand.NewPCG(1, 1)))
	d := NewDetector(DefaultThresholds())
	buf := make([]byte, 0, 8)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		buf = d.Process(buf[:0], s[i*160:(i+1)*160])
		i = (i + 1) % 50
	}
}
