package aec

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/sipbell/sipbell/audio"
	"github.com/sipbell/sipbell/audio/aec/internal/room"
	"github.com/sipbell/sipbell/audio/audiotest"
)

// stoppedClock is a clock that never moves: the test decides the order
// of speaker writes and microphone reads.
type stoppedClock struct{ t time.Time }

func (c stoppedClock) Now() time.Time                                   { return c.t }
func (c stoppedClock) WaitUntil(ctx context.Context, _ time.Time) error { return ctx.Err() }

// reporting wraps a fake device with the delay it reports.
type reportingSink struct {
	audio.Sink
	d time.Duration
}

func (r reportingSink) Delay() (time.Duration, error) { return r.d, nil }

type reportingSource struct {
	audio.Source
	d time.Duration
}

func (r reportingSource) Delay() (time.Duration, error) { return r.d, nil }

// TestPathAlignsByReportedDelays: the speaker holds ahead frames (and
// reports them), the microphone hands its samples over capture late (and
// reports it); the path lines the reference up by those delays and the
// echo is cancelled. Left unreported, the reference comes too late for
// the echo (it cannot be cancelled) unless PathConfig.Delay says it.
func TestPathAlignsByReportedDelays(t *testing.T) {
	const rate = 8000
	sc := room.Build(room.Spec{Rate: rate, Seconds: 6, T60: 0.2, DRR: 8, FarRMS: 3000,
		EchoGain: 0.7, NoiseRMS: 8, Seed: 7})
	for _, tc := range []struct {
		name       string
		ahead      int           // frames the speaker is written ahead of the microphone
		capture    int           // samples the microphone is late
		report     bool          // the devices report their delays
		configured time.Duration // PathConfig.Delay
		min, max   float64       // ERLE bounds, dB
	}{
		{"no delays", 0, 0, true, 0, 25, math.Inf(1)},
		{"speaker 60 ms ahead, reported", 3, 0, true, 0, 25, math.Inf(1)},
		{"speaker 160 ms, capture 15 ms, reported", 8, 120, true, 0, 25, math.Inf(1)},
		{"speaker 160 ms, capture 15 ms, unreported", 8, 120, false, 0, 0, 10},
		{"speaker 160 ms, capture 15 ms, configured", 8, 120, false, 175 * time.Millisecond, 25, math.Inf(1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			erle := runPath(t, sc, tc.ahead, tc.capture, tc.report, tc.configured)
			t.Logf("ERLE %.1f dB", erle)
			if erle < tc.min || erle > tc.max {
				t.Errorf("ERLE %.1f dB, want %.0f to %.0f", erle, tc.min, tc.max)
			}
		})
	}
}

// runPath plays sc.Far through the path's speaker and reads the path's
// microphone (sc.Mic, late by capture samples); it returns the ERLE over
// 3 to 6 s (far end alone).
func runPath(t *testing.T, sc room.Scene, ahead, capture int, report bool, delay time.Duration) float64 {
	t.Helper()
	const frame = 160
	mic := make([]int16, capture, len(sc.Mic)+capture)
	mic = append(mic, room.PCM(sc.Mic)...)
	far := append(room.PCM(sc.Far), make([]int16, (ahead+1)*frame)...) // the speaker goes on
	p, err := NewPath(PathConfig{Canceller: Config{SampleRate: sc.Rate}, Delay: delay, Clock: stoppedClock{time.Unix(0, 0)}})
	if err != nil {
		t.Fatal(err)
	}
	var spk audio.Sink = audiotest.NewSink()
	var src audio.Source = audiotest.NewSource(mic)
	if report {
		spk = reportingSink{spk, time.Duration(ahead*frame) * time.Second / time.Duration(sc.Rate)}
		src = reportingSource{src, time.Duration(capture) * time.Second / time.Duration(sc.Rate)}
	}
	sink, in := p.Sink(spk), p.Source(src)
	defer in.Close()
	ctx := context.Background()
	out := make([]int16, 0, len(mic))
	buf := make([]int16, frame)
	for k := 0; (k+1)*frame <= len(mic); k++ {
		if k == 0 { // the speaker is ahead frames in front
			for j := range ahead + 1 {
				if err := sink.Write(ctx, far[j*frame:(j+1)*frame]); err != nil {
					t.Fatal(err)
				}
			}
		} else if j := k + ahead; (j+1)*frame <= len(far) {
			if err := sink.Write(ctx, far[j*frame:(j+1)*frame]); err != nil {
				t.Fatal(err)
			}
		}
		if err := in.Read(ctx, buf); err != nil {
			t.Fatal(err)
		}
		out = append(out, buf...)
	}
	var em, eo float64
	for i := 3 * sc.Rate; i < 6*sc.Rate-frame && i < len(out); i++ {
		em += float64(mic[i]) * float64(mic[i])
		eo += float64(out[i]) * float64(out[i])
	}
	return 10 * math.Log10(em/max(eo, 1))
}

// TestPathAllocatesNothingPerFrame: a speaker write and a microphone read
// through the path allocate nothing.
func TestPathAllocatesNothingPerFrame(t *testing.T) {
	p, err := NewPath(PathConfig{Canceller: Config{SampleRate: 8000}})
	if err != nil {
		t.Fatal(err)
	}
	sink := p.Sink(reportingSink{&audio.Discard{}, 40 * time.Millisecond})
	src := p.Source(reportingSource{&audio.Silence{}, 5 * time.Millisecond})
	ctx := context.Background()
	frame := make([]int16, 160)
	for i := range frame {
		frame[i] = int16(1000 * math.Sin(float64(i)))
	}
	in := make([]int16, 160)
	if n := testing.AllocsPerRun(200, func() {
		if err := sink.Write(ctx, frame); err != nil {
			t.Fatal(err)
		}
		if err := src.Read(ctx, in); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("%v allocations per frame, want 0", n)
	}
}

// TestPathFollowsAJitteryUnreportedSpeaker: a speaker stand-in that
// reports no delay is written up to two frames ahead of the microphone, by
// turns (scheduling): the first measure finds it ahead, later ones do not.
// The path must follow the smallest measure: a reference locked to the
// first one would run past what was written (silence where the echo's
// source is) and leave the echo in.
func TestPathFollowsAJitteryUnreportedSpeaker(t *testing.T) {
	const rate, frame = 8000, 160
	sc := room.Build(room.Spec{Rate: rate, Seconds: 6, T60: 0.2, DRR: 8, FarRMS: 3000,
		EchoGain: 0.7, NoiseRMS: 8, Seed: 9})
	mic, far := room.PCM(sc.Mic), append(room.PCM(sc.Far), make([]int16, 3*frame)...)
	p, err := NewPath(PathConfig{Canceller: Config{SampleRate: rate}, Clock: stoppedClock{time.Unix(0, 0)}})
	if err != nil {
		t.Fatal(err)
	}
	sink, in := p.Sink(audiotest.NewSink()), p.Source(audiotest.NewSource(mic))
	defer in.Close()
	ctx := context.Background()
	out, buf := make([]int16, 0, len(mic)), make([]int16, frame)
	written := 0 // frames written to the speaker
	for k := 0; (k+1)*frame <= len(mic); k++ {
		ahead := []int{2, 0, 1, 0, 2, 1}[k%6] // frames the speaker runs ahead now
		for ; written <= k+ahead; written++ {
			if err := sink.Write(ctx, far[written*frame:(written+1)*frame]); err != nil {
				t.Fatal(err)
			}
		}
		if err := in.Read(ctx, buf); err != nil {
			t.Fatal(err)
		}
		out = append(out, buf...)
	}
	var em, eo float64
	for i := 3 * rate; i < 6*rate-frame; i++ {
		em += float64(mic[i]) * float64(mic[i])
		eo += float64(out[i]) * float64(out[i])
	}
	erle := 10 * math.Log10(em/max(eo, 1))
	t.Logf("ERLE %.1f dB", erle)
	if erle < 25 {
		t.Errorf("ERLE %.1f dB, want >= 25", erle)
	}
}
