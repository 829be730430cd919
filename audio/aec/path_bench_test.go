package aec

import (
	"context"
	"testing"
	"time"

	"github.com/sipbell/sipbell/audio"
	"github.com/sipbell/sipbell/audio/aec/internal/room"
)

// BenchmarkPath is the product's chain for one 20 ms frame: the speaker
// write kept as reference, the microphone read, aligned and cancelled with
// comfort noise (128 ms tail), on a converged room echo.
func BenchmarkPath(b *testing.B) {
	for _, rate := range []int{8000, 16000} {
		b.Run(map[int]string{8000: "8kHz", 16000: "16kHz"}[rate], func(b *testing.B) {
			sc := room.Build(room.Spec{Rate: rate, Seconds: 4, T60: 0.3, DRR: 8, FarRMS: 3000,
				EchoGain: 0.7, NoiseRMS: 8, Seed: 3})
			far, mic := room.PCM(sc.Far), room.PCM(sc.Mic)
			p, err := NewPath(PathConfig{Canceller: Config{SampleRate: rate, ComfortNoise: true},
				Clock: stoppedClock{time.Unix(0, 0)}})
			if err != nil {
				b.Fatal(err)
			}
			frame := rate / 50
			frames := len(mic) / frame
			src := &loopSource{x: mic}
			sink, in := p.Sink(&audio.Discard{}), p.Source(src)
			ctx := context.Background()
			buf := make([]int16, frame)
			measure(b, func(i int) {
				off := (i % frames) * frame
				if err := sink.Write(ctx, far[off:off+frame]); err != nil {
					b.Fatal(err)
				}
				if err := in.Read(ctx, buf); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}

// loopSource plays x over and over.
type loopSource struct {
	x   []int16
	pos int
}

func (l *loopSource) Read(_ context.Context, frame []int16) error {
	for i := range frame {
		frame[i] = l.x[l.pos]
		l.pos = (l.pos + 1) % len(l.x)
	}
	return nil
}

func (l *loopSource) Close() error { return nil }
