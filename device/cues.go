package device

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"sync"
	"time"

	"github.com/sipbell/sipbell/audio"
	"github.com/sipbell/sipbell/audio/tone"
	"github.com/sipbell/sipbell/audio/wav"
)

// Prompts are optional WAV files played instead of tones (any PCM WAV;
// it is converted to 8 kHz mono).
type Prompts struct {
	NoAnswer   string `yaml:"no_answer"`   // nobody answered (default: 3 s congestion tone)
	Busy       string `yaml:"busy"`        // every target busy (default: 3 s busy tone)
	DoorOpened string `yaml:"door_opened"` // the door opens (default: a 200 ms beep)
}

// toneCueSamples is how long a tone standing in for a prompt plays.
const toneCueSamples = 3 * audio.SampleRate

// warningPlan is two short 1400 Hz beeps, once.
var warningPlan = tone.Plan{Freqs: []float64{1400}, Once: true,
	Cadence: []time.Duration{250 * time.Millisecond, 150 * time.Millisecond, 250 * time.Millisecond, 0}}

// Cues is the real Sounds: it renders cues as an audio.Source of 8 kHz
// frames (ringback until stopped, prompts and beeps once, silence in
// between) that whoever owns the visitor's speaker reads from and mixes
// with the call audio. Play and Stop only swap what Read returns next, so
// they never block the device. Its methods are safe for concurrent use.
type Cues struct {
	country string
	prompts Prompts

	mixMu  sync.Mutex
	mixBuf []int16

	mu     sync.Mutex
	cur    audio.Source
	left   int // samples left of cur when limited, -1 when not
	closed bool
}

// NewCues returns cues with the call-progress tones of country (see
// tone.Countries) and the given prompts, which must be readable WAVs.
func NewCues(country string, p Prompts) (*Cues, error) {
	if _, err := tone.Lookup(country, tone.Ringback); err != nil {
		return nil, fmt.Errorf("device: new cues: %w", err)
	}
	for _, f := range []string{p.NoAnswer, p.Busy, p.DoorOpened} {
		if f == "" {
			continue
		}
		s, err := wav.Open(f)
		if err != nil {
			return nil, fmt.Errorf("device: new cues: prompt %s: %w", f, err)
		}
		s.Close()
	}
	return &Cues{country: country, prompts: p, left: -1}, nil
}

// source opens what cue c plays and how many samples of it (-1: all).
func (q *Cues) source(c Cue) (audio.Source, int, error) {
	switch c {
	case CueRingback:
		return q.tone(tone.Ringback, -1)
	case CueBusy:
		return q.prompt(q.prompts.Busy, tone.Busy)
	case CueNoAnswer:
		return q.prompt(q.prompts.NoAnswer, tone.Congestion)
	case CueDoorOpened:
		return q.prompt(q.prompts.DoorOpened, tone.Beep)
	case CueExtended:
		return q.tone(tone.Beep, -1)
	case CueWarning:
		g, err := tone.New(warningPlan, tone.DefaultGain)
		if err != nil {
			return nil, 0, err
		}
		return g, -1, nil
	}
	return nil, 0, fmt.Errorf("unknown cue %d", int(c))
}

// prompt plays the WAV at path, or else tone k (cut to toneCueSamples
// unless it ends by itself).
func (q *Cues) prompt(path string, k tone.Kind) (audio.Source, int, error) {
	if path == "" {
		if k == tone.Beep {
			return q.tone(k, -1)
		}
		return q.tone(k, toneCueSamples)
	}
	s, err := wav.Open(path)
	if err != nil {
		return nil, 0, err
	}
	return s, -1, nil
}

func (q *Cues) tone(k tone.Kind, limit int) (audio.Source, int, error) {
	g, err := tone.NewTone(q.country, k)
	if err != nil {
		return nil, 0, err
	}
	return g, limit, nil
}

// Play implements Sounds: c replaces whatever plays.
func (q *Cues) Play(c Cue) error {
	src, limit, err := q.source(c)
	if err != nil {
		return fmt.Errorf("device: play %s: %w", c, err)
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		src.Close()
		return fmt.Errorf("device: play %s: %w", c, audio.ErrClosed)
	}
	q.swap(src, limit)
	return nil
}

// Stop implements Sounds: silence from the next frame on.
func (q *Cues) Stop() error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.swap(nil, -1)
	return nil
}

func (q *Cues) swap(src audio.Source, limit int) {
	if q.cur != nil {
		q.cur.Close()
	}
	q.cur, q.left = src, limit
}

// Read implements audio.Source: the next frame of the current cue, or
// silence. It never blocks (the reader sets the pace) and never ends
// before Close.
func (q *Cues) Read(ctx context.Context, frame []int16) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return audio.ErrClosed
	}
	clear(frame)
	if q.cur == nil {
		return nil
	}
	err := q.cur.Read(ctx, frame)
	switch {
	case errors.Is(err, io.EOF):
		clear(frame)
		q.swap(nil, -1)
		return nil
	case err != nil:
		q.swap(nil, -1)
		return fmt.Errorf("device: cue: %w", err)
	}
	if q.left >= 0 {
		if q.left < len(frame) {
			clear(frame[q.left:])
			q.swap(nil, -1)
			return nil
		}
		q.left -= len(frame)
	}
	return nil
}

// Mix adds the next frame of the current cue into frame, saturating, for
// a speaker that also carries call audio: call it once for every frame
// written to the speaker. It does not allocate once warmed up.
func (q *Cues) Mix(ctx context.Context, frame []int16) error {
	q.mixMu.Lock()
	defer q.mixMu.Unlock()
	if cap(q.mixBuf) < len(frame) {
		q.mixBuf = make([]int16, len(frame))
	}
	buf := q.mixBuf[:len(frame)]
	if err := q.Read(ctx, buf); err != nil {
		return err
	}
	for i, v := range buf {
		frame[i] = int16(max(math.MinInt16, min(math.MaxInt16, int32(frame[i])+int32(v))))
	}
	return nil
}

// Active reports whether a cue is playing: while it is not, Read and Mix
// give silence, so a speaker may rest.
func (q *Cues) Active() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.cur != nil
}

// Close ends the cues; Read and Play fail afterwards.
func (q *Cues) Close() error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.swap(nil, -1)
	q.closed = true
	return nil
}
