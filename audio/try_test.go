package audio_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/sipbell/sipbell/audio"
	"github.com/sipbell/sipbell/audio/audiotest"
)

// waiting is a source whose reads may wait (no TryRead).
type waiting struct{ audio.Silence }

// TestTryReaderOf: a decorator is read without waiting exactly when the
// source it wraps can be, and then gives that source's due frames,
// processed; over one that cannot, its TryRead fails with ErrCannotTry.
func TestTryReaderOf(t *testing.T) {
	clk := audiotest.NewClock(time.Unix(0, 0))
	paced := func() audio.Source {
		return audio.NewPacedSource(audio.NewGainSource(constSource(1000), 0), clk, audio.FrameDuration)
	}
	resampled := func(src audio.Source) audio.Source {
		r, err := audio.NewResampleSource(src, 8000, 8000)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	for _, tc := range []struct {
		name string
		src  audio.Source
		ok   bool
		want int16 // the first sample of the frame read
	}{
		{"paced", paced(), true, 1000},
		{"gain over paced", audio.NewGainSource(paced(), 6.0206), true, 2000},
		{"resampled paced", resampled(paced()), true, 1000},
		{"waiting", &waiting{}, false, 0},
		{"gain over waiting", audio.NewGainSource(&waiting{}, 0), false, 0},
		{"resampled waiting", resampled(&waiting{}), false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr, ok := audio.TryReaderOf(tc.src)
			if ok != tc.ok {
				t.Fatalf("TryReaderOf: %v, want %v", ok, tc.ok)
			}
			frame := make([]int16, audio.FrameSamples)
			got, err := audio.TryReadFrom(tc.src, frame)
			if !tc.ok {
				if !errors.Is(err, audio.ErrCannotTry) || got {
					t.Fatalf("TryReadFrom: %v %v, want ErrCannotTry", got, err)
				}
				return
			}
			if err != nil || !got || frame[0] != tc.want {
				t.Fatalf("first TryRead: %v %v sample %d, want a frame at %d", got, err, frame[0], tc.want)
			}
			if got, err := tr.TryRead(frame); got || err != nil {
				t.Fatalf("second TryRead at once: %v %v, want no frame (not due)", got, err)
			}
		})
	}
}

// constSource is an unclocked source of one sample value.
type constSource int16

func (c constSource) Read(_ context.Context, frame []int16) error {
	for i := range frame {
		frame[i] = int16(c)
	}
	return nil
}

func (constSource) Close() error { return nil }
