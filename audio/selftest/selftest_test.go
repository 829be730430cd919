package selftest

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// loop is a synthetic room: what is played comes back into the
// microphone after delay samples at gain, over Gaussian noise.
type loop struct {
	gain, noise float64
	delay       int
	dead        bool // the microphone delivers zeros
	failAt      int  // the microphone fails at this sample (0: never)
	clip        bool // the speaker clips at a quarter of full scale
	sig         []int16
	start, n    int
	rng         *rand.Rand
}

func (l *loop) Play(_ context.Context, s []int16) error {
	l.sig, l.start = s, l.n+l.delay
	return nil
}

func (l *loop) Read(_ context.Context, f []int16) error {
	if l.failAt > 0 && l.n >= l.failAt {
		return errors.New("input/output error")
	}
	for i := range f {
		var v float64
		if k := l.n - l.start; l.sig != nil && k >= 0 && k < len(l.sig) {
			s := float64(l.sig[k])
			if l.clip {
				s = 8192 * math.Tanh(s/4096)
			}
			v = l.gain * s
		}
		v += l.noise * l.rng.NormFloat64()
		if l.dead {
			v = 0
		}
		f[i] = int16(max(-32768, min(32767, math.Round(v))))
		l.n++
	}
	return nil
}

func (l *loop) Close() error { return nil }

func TestRunOnSyntheticLoops(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		l      loop
		pass   bool
		detail string
		level  [2]float64 // LevelDB range
	}{
		{"joined", loop{gain: 0.1, noise: 50, delay: 400}, true, "7 of 7 tones heard", [2]float64{-21, -19}},
		{"joined, long delay", loop{gain: 0.1, noise: 50, delay: 4000}, true, "tones heard", [2]float64{-21, -19}},
		{"joined, clipping speaker", loop{gain: 0.05, noise: 50, delay: 160, clip: true}, true, "tones heard", [2]float64{-40, -15}},
		{"joined, quiet room", loop{gain: 0.015, noise: 5, delay: 160}, true, "tones heard", [2]float64{-37.5, -35.5}},
		{"speaker disconnected", loop{gain: 0, noise: 50}, false, "hears the room", [2]float64{-120, -40}},
		{"speaker far too quiet", loop{gain: 0.001, noise: 1, delay: 160}, false, "hears the room", [2]float64{-61, -59}},
		{"street drowns the speaker", loop{gain: 0.01, noise: 3000, delay: 160}, false, "hears the room", [2]float64{-120, 0}},
		{"microphone dead", loop{gain: 0.1, dead: true}, false, "digital silence", [2]float64{-120, -120}},
		{"microphone fails", loop{gain: 0.1, noise: 50, failAt: 4000}, false, "microphone failed after", [2]float64{-120, -120}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			l := tc.l
			l.rng = rand.New(rand.NewPCG(18, 1))
			r, err := Run(context.Background(), &l, &l, Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: %v; bands %+v", tc.name, r, r.Bands)
			if r.Pass != tc.pass || !strings.Contains(r.Detail, tc.detail) {
				t.Errorf("got pass=%v %q, want pass=%v and %q", r.Pass, r.Detail, tc.pass, tc.detail)
			}
			if want := map[bool]string{true: VerdictPass, false: VerdictFault}[tc.pass]; r.Verdict != want {
				t.Errorf("verdict %q, want %q", r.Verdict, want)
			}
			if r.LevelDB < tc.level[0] || r.LevelDB > tc.level[1] {
				t.Errorf("level %.1f dB, want %.0f to %.0f", r.LevelDB, tc.level[0], tc.level[1])
			}
		})
	}
}

// TestFrequencyResponse: a speaker that has lost its treble shows it in
// the bands.
func TestFrequencyResponse(t *testing.T) {
	t.Parallel()
	sig := Signal()
	// One-pole low-pass at about 500 Hz, gain 0.1 below.
	a := math.Exp(-2 * math.Pi * 500 / 8000)
	var y float64
	room := make([]int16, 2400)
	rec := make([]int16, len(sig)+4800)
	for i, v := range sig {
		y = a*y + (1-a)*0.1*float64(v)
		rec[1000+i] = int16(y)
	}
	r := Analyse(room, rec, 0)
	t.Logf("%v %+v", r, r.Bands)
	first, last := r.Bands[0].ResponseDB, r.Bands[len(r.Bands)-1].ResponseDB
	if first-last < 12 {
		t.Errorf("response %.1f dB at %.0f Hz and %.1f dB at %.0f Hz: want the low-pass to show", first, Tones[0], last, Tones[len(Tones)-1])
	}
}

func TestRunCancelled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	l := &loop{rng: rand.New(rand.NewPCG(1, 2)), failAt: 1}
	if _, err := Run(ctx, l, l, Options{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
}
