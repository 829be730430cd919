package selftest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/sipbell/sipbell/audio"
)

// Verdicts (Result.Verdict).
const (
	VerdictPass  = "pass"
	VerdictFault = "speaker or microphone fault"
)

// Signal and measurement constants, at audio.SampleRate.
const (
	toneLen     = 100 * time.Millisecond // each tone
	rampLen     = 5 * time.Millisecond   // raised-cosine edges
	toneAmp     = 8192                   // -12 dBFS
	baseline    = 300 * time.Millisecond // recorded before the signal: the room's noise
	tailMargin  = 600 * time.Millisecond // recorded after the signal's length: the devices' delay
	blockLen    = 40 * time.Millisecond  // analysis block
	blockStep   = 10 * time.Millisecond
	minSNR      = 10.0 // dB a tone must stand above the noise at its frequency
	defaultMinL = -40.0
)

// Tones are the test signal's frequencies in Hz, played one after the
// other across the telephone band.
var Tones = []float64{300, 500, 800, 1200, 1700, 2900, 3400}

// ErrBusy is returned when a test cannot run now (a call holds the
// audio, or another test runs).
var ErrBusy = errors.New("selftest: audio busy")

// Player plays a signal through the speaker: Play queues it and returns
// at once.
type Player interface {
	Play(ctx context.Context, signal []int16) error
}

// Options set up a test.
type Options struct {
	// MinLevelDB is the lowest level, in dB against the level played, at
	// which a tone counts as heard; zero means -40.
	MinLevelDB float64
	// Clock stamps the result; nil means the system clock.
	Clock audio.Clock
}

// Band is one tone's measure.
type Band struct {
	Hz         float64 `json:"hz"`
	ResponseDB float64 `json:"response_db"` // level at the microphone against the level played
	SNRDB      float64 `json:"snr_db"`      // over the room's noise at this frequency
	Heard      bool    `json:"heard"`
}

// Result is a test's outcome.
type Result struct {
	Time    time.Time `json:"time"`
	Pass    bool      `json:"pass"`
	Verdict string    `json:"verdict"` // VerdictPass or VerdictFault
	Detail  string    `json:"detail"`  // what was found, for people
	// LevelDB is the median tone level against the level played (the
	// speaker-to-microphone loss); -120 when nothing was measured.
	LevelDB float64 `json:"level_db"`
	// NoiseDBFS is the room's level before the signal, in dB full scale.
	NoiseDBFS float64 `json:"noise_dbfs"`
	Bands     []Band  `json:"bands,omitempty"`
}

// String is a one-line summary for logs and messages.
func (r Result) String() string {
	if r.Pass {
		return fmt.Sprintf("pass: level %.1f dB, %s", r.LevelDB, r.Detail)
	}
	return fmt.Sprintf("%s: %s", r.Verdict, r.Detail)
}

func samplesOf(d time.Duration) int { return int(d * audio.SampleRate / time.Second) }

// Signal returns the test signal: each of Tones for 100 ms at -12 dBFS
// with 5 ms raised-cosine edges.
func Signal() []int16 {
	n, ramp := samplesOf(toneLen), samplesOf(rampLen)
	out := make([]int16, 0, n*len(Tones))
	for _, f := range Tones {
		for i := range n {
			g := 1.0
			if k := min(i, n-1-i); k < ramp {
				g = 0.5 - 0.5*math.Cos(math.Pi*float64(k)/float64(ramp))
			}
			out = append(out, int16(math.Round(toneAmp*g*math.Sin(2*math.Pi*f*float64(i)/audio.SampleRate))))
		}
	}
	return out
}

// Frames returns how many 20 ms frames Run records before the signal and
// with it.
func Frames() (before, during int) {
	fr := samplesOf(audio.FrameDuration)
	during = (len(Tones)*samplesOf(toneLen) + samplesOf(tailMargin) + fr - 1) / fr
	return samplesOf(baseline) / fr, during
}

// Run tests spk and mic: it records the room, plays Signal, records it,
// and analyses both. A microphone that fails to deliver is a fault in the
// result, not an error; the error is ctx's or the player's.
func Run(ctx context.Context, spk Player, mic audio.Source, opt Options) (Result, error) {
	if opt.Clock == nil {
		opt.Clock = audio.SystemClock()
	}
	before, during := Frames()
	fr := samplesOf(audio.FrameDuration)
	rec := make([]int16, (before+during)*fr)
	now := opt.Clock.Now()
	for i := range before + during {
		if i == before {
			if err := spk.Play(ctx, Signal()); err != nil {
				return Result{}, fmt.Errorf("selftest: play: %w", err)
			}
		}
		if err := mic.Read(ctx, rec[i*fr:(i+1)*fr]); err != nil {
			if ctx.Err() != nil {
				return Result{}, ctx.Err()
			}
			r := fault(fmt.Sprintf("the microphone failed after %d ms: %v", i*20, err))
			r.Time = now
			return r, nil
		}
	}
	r := Analyse(rec[:before*fr], rec[before*fr:], opt.MinLevelDB)
	r.Time = now
	return r, nil
}

func fault(detail string) Result {
	return Result{Verdict: VerdictFault, Detail: detail, LevelDB: -120, NoiseDBFS: -120}
}

// Analyse measures the signal's tones in rec against the room's noise
// recorded in room (both at audio.SampleRate). minLevel is
// Options.MinLevelDB.
func Analyse(room, rec []int16, minLevel float64) Result {
	if minLevel == 0 {
		minLevel = defaultMinL
	}
	if flat(room) && flat(rec) {
		return fault("the microphone delivers no signal at all (digital silence): a dead or disconnected microphone")
	}
	r := Result{NoiseDBFS: dbfs(rms(room))}
	var heard int
	var levels []float64
	for _, f := range Tones {
		lvl, noise := peakLevel(rec, f), peakLevel(room, f)
		b := Band{Hz: f, ResponseDB: round1(db(lvl / toneAmp)), SNRDB: round1(db(lvl / max(noise, 1e-3)))}
		b.Heard = b.ResponseDB >= minLevel && b.SNRDB >= minSNR
		if b.Heard {
			heard++
		}
		levels = append(levels, b.ResponseDB)
		r.Bands = append(r.Bands, b)
	}
	slices.Sort(levels)
	r.LevelDB = levels[len(levels)/2]
	r.Pass = 2*heard > len(Tones)
	if r.Pass {
		r.Verdict = VerdictPass
		r.Detail = fmt.Sprintf("%d of %d tones heard", heard, len(Tones))
		return r
	}
	r.Verdict = VerdictFault
	r.Detail = fmt.Sprintf("the microphone hears the room (noise %.1f dBFS) but only %d of %d test tones (level %.1f dB): a silent speaker or a deaf microphone",
		r.NoiseDBFS, heard, len(Tones), r.LevelDB)
	return r
}

// flat reports whether every sample of x is the same (no signal at all).
func flat(x []int16) bool {
	for _, v := range x {
		if v != x[0] {
			return false
		}
	}
	return true
}

// peakLevel returns the largest amplitude of a tone at f found in any
// Hann-windowed block of x (Goertzel), in sample units.
func peakLevel(x []int16, f float64) float64 {
	n, step := samplesOf(blockLen), samplesOf(blockStep)
	coeff := 2 * math.Cos(2*math.Pi*f/audio.SampleRate)
	var wsum float64
	for i := range n {
		wsum += hann(i, n)
	}
	best := 0.0
	for off := 0; off+n <= len(x); off += step {
		var s1, s2 float64
		for i := range n {
			s := hann(i, n)*float64(x[off+i]) + coeff*s1 - s2
			s2, s1 = s1, s
		}
		p := s1*s1 + s2*s2 - coeff*s1*s2
		best = max(best, 2*math.Sqrt(max(p, 0))/wsum)
	}
	return best
}

func hann(i, n int) float64 { return 0.5 - 0.5*math.Cos(2*math.Pi*float64(i)/float64(n-1)) }

func rms(x []int16) float64 {
	var s float64
	for _, v := range x {
		s += float64(v) * float64(v)
	}
	return math.Sqrt(s / float64(max(len(x), 1)))
}

func db(ratio float64) float64 { return 20 * math.Log10(max(ratio, 1e-6)) }
func dbfs(v float64) float64   { return round1(db(v / 32768)) }
func round1(v float64) float64 { return math.Round(v*10) / 10 }
