package aec

import (
	"context"
	"errors"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/sipbell/sipbell/audio/wav"
)

// espeak returns phrases spoken by Debian's espeak-ng in voice, at 8 kHz,
// with 600 ms of silence before each; it fails in CI and skips by hand
// when espeak-ng is missing.
func espeak(t *testing.T, rate int, voice string, phrases ...string) []int16 {
	t.Helper()
	bin, err := exec.LookPath("espeak-ng")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("espeak-ng not found: CI must install Debian package espeak-ng")
		}
		t.Skip("espeak-ng not found: apt-get install espeak-ng")
	}
	var out []int16
	for i, p := range phrases {
		f := filepath.Join(t.TempDir(), "speech.wav")
		if b, err := exec.Command(bin, "-v", voice, "-s", "150", "-w", f, p).CombinedOutput(); err != nil {
			t.Fatalf("espeak-ng phrase %d: %v: %s", i, err, b)
		}
		src, err := wav.OpenRate(f, rate)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, make([]int16, rate*6/10)...)
		buf := make([]int16, rate/50)
		for {
			err := src.Read(context.Background(), buf)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, buf...)
		}
		src.Close()
	}
	return out
}

// streetNoise is low-frequency-weighted Gaussian noise (traffic rumble and
// hiss) of the given RMS.
func streetNoise(n int, rms float64, seed uint64) []float64 {
	r := rand.New(rand.NewPCG(seed, 18))
	out := make([]float64, n)
	var lp, sum float64
	for i := range out {
		w := r.NormFloat64()
		lp = 0.9*lp + 0.1*w
		out[i] = 3*lp + 0.4*w
		sum += out[i] * out[i]
	}
	k := rms / math.Sqrt(sum/float64(n))
	for i := range out {
		out[i] *= k
	}
	return out
}

func scale(x []int16, rms float64) []float64 {
	var sum float64
	var n int
	for _, v := range x {
		if v != 0 {
			sum += float64(v) * float64(v)
			n++
		}
	}
	k := rms / math.Sqrt(sum/float64(max(n, 1)))
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = float64(v) * k
	}
	return out
}

func toPCM(x []float64) []int16 {
	out := make([]int16, len(x))
	for i, v := range x {
		out[i] = int16(max(-32768, min(32767, math.Round(v))))
	}
	return out
}

// speechNoiseRatio is the speech-to-noise ratio of y (dB) measured on the
// clean speech's 20 ms frames: the power in frames where it talks less
// that in frames where it is silent, over the latter. lag is y's delay.
func speechNoiseRatio(clean []float64, y []int16, lag, fr int) float64 {
	var sp, np float64
	var ns, nn int
	for off := 20 * fr; off+fr+lag <= len(y) && off+fr <= len(clean); off += fr { // after 400 ms of learning
		var c, p float64
		for i := range fr {
			c += clean[off+i] * clean[off+i]
			v := float64(y[off+lag+i])
			p += v * v
		}
		switch {
		case c/float64(fr) > 300*300:
			sp += p
			ns++
		case c == 0:
			np += p
			nn++
		}
	}
	s, n := sp/float64(max(ns, 1)), np/float64(max(nn, 1))
	return 10 * math.Log10(max(s-n, 1e-3)/max(n, 1e-3))
}

// TestNoiseSuppressorOnSpeech: espeak-ng speech in street noise at about
// 5 dB SNR; the suppressor raises the speech-to-noise ratio by at least
// 6 dB at 8 and 16 kHz. Off (the signal as it was) it does not.
func TestNoiseSuppressorOnSpeech(t *testing.T) {
	t.Parallel()
	for _, rate := range []int{8000, 16000} {
		speech := espeak(t, rate, "en-us", "Hello, this is the door station.", "Please come to the front door, the parcel is here.",
			"Thank you, goodbye.")
		clean := scale(speech, 3000)
		noise := streetNoise(len(clean), 1500, 1)
		mix := make([]float64, len(clean))
		for i := range mix {
			mix[i] = clean[i] + noise[i]
		}
		fr := rate / 50
		for _, tc := range []struct {
			name  string
			on    bool
			atten float64
			min   float64
			max   float64
		}{
			{"on, 15 dB", true, 0, 6, 40},
			{"on, 25 dB", true, 25, 8, 40},
			{"off", false, 0, -1, 1},
		} {
			in := toPCM(mix)
			before := speechNoiseRatio(clean, in, 0, fr)
			lag := 0
			if tc.on {
				ns, err := NewNoiseSuppressor(NoiseConfig{SampleRate: rate, MaxAttenuationDB: tc.atten})
				if err != nil {
					t.Fatal(err)
				}
				for off := 0; off+fr <= len(in); off += fr {
					ns.Process(in[off : off+fr])
				}
				lag = fr / 2
			}
			after := speechNoiseRatio(clean, in, lag, fr)
			t.Logf("%d Hz, %s: speech-to-noise %.1f dB before, %.1f dB after (%+.1f dB)", rate, tc.name, before, after, after-before)
			if d := after - before; d < tc.min || d > tc.max {
				t.Errorf("%d Hz, %s: improvement %.1f dB, want %.0f to %.0f", rate, tc.name, d, tc.min, tc.max)
			}
		}
	}
}

func TestNoiseSuppressorConfig(t *testing.T) {
	t.Parallel()
	for _, c := range []NoiseConfig{{SampleRate: 44100}, {SampleRate: 8000, MaxAttenuationDB: 40}, {SampleRate: 16000, MaxAttenuationDB: 3}} {
		if _, err := NewNoiseSuppressor(c); !errors.Is(err, ErrConfig) {
			t.Errorf("%+v: %v, want ErrConfig", c, err)
		}
	}
}
