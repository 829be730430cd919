package main

import (
	"context"
	"math"
	"slices"
	"strings"

	"github.com/sipbell/sipbell/audio"
	"github.com/sipbell/sipbell/device"
	"github.com/sipbell/sipbell/provisioning"
	"github.com/sipbell/sipbell/ua/media"
)

// wideRate is the rate of wideband (G.722) call audio.
const wideRate = 16000

// deviceRate returns the rate the door station's speaker, microphone and
// echo canceller run at: 16 kHz when media.codecs lists G722, so that a
// wideband call keeps its 4-7 kHz (G.711 calls are resampled to and from
// 8 kHz by their media session), else 8 kHz. The analog phone (mode ata)
// stays at 8 kHz: a telephone line is narrowband.
func deviceRate(cfg provisioning.File) int {
	if cfg.Device.Mode == device.ModeATA {
		return audio.SampleRate
	}
	if slices.ContainsFunc(cfg.Media.Codecs, func(c string) bool { return strings.EqualFold(c, media.G722) }) {
		return wideRate
	}
	return audio.SampleRate
}

// ratedSink is the speaker's device together with the rate its Write
// takes samples at (see speakerRate).
type ratedSink struct {
	audio.Sink
	rate int
}

// Restart passes a restart on to the device (audio.Restarter).
func (r ratedSink) Restart() {
	if x, ok := r.Sink.(audio.Restarter); ok {
		x.Restart()
	}
}

// speakerRate returns the rate of the speaker's device: a ratedSink's, else
// audio.SampleRate.
func speakerRate(sink audio.Sink) int {
	if r, ok := sink.(ratedSink); ok && r.rate > 0 {
		return r.rate
	}
	return audio.SampleRate
}

// wideCues plays the door station's cues (made at 8 kHz) on a 16 kHz
// speaker: each frame of them is upsampled before it is mixed in.
type wideCues struct {
	up           *audio.Resampler
	narrow, wide []int16
	idle         bool // the last frame had no cue: the filter was reset
}

// newWideCues returns the upsampler for a speaker at rate Hz, nil at 8 kHz.
func newWideCues(rate int) *wideCues {
	if rate == audio.SampleRate {
		return nil
	}
	up, err := audio.NewResampler(audio.SampleRate, rate)
	if err != nil { // 8 kHz to 16 kHz always resamples
		return nil
	}
	return &wideCues{up: up, narrow: make([]int16, audio.FrameSamples), wide: make([]int16, rate/50)}
}

// mixCues adds the next frame of the current cue into out.
func (s *speaker) mixCues(ctx context.Context, out []int16) error {
	w := s.wide
	if w == nil || len(out) != len(w.wide) {
		return s.cues.Mix(ctx, out)
	}
	if !s.cues.Active() {
		if !w.idle {
			w.up.Reset()
			w.idle = true
		}
		return nil
	}
	w.idle = false
	clear(w.narrow)
	if err := s.cues.Mix(ctx, w.narrow); err != nil {
		return err
	}
	if err := w.up.Frame(w.wide, w.narrow); err != nil {
		return err
	}
	for i, v := range w.wide {
		out[i] = int16(max(math.MinInt16, min(math.MaxInt16, int32(out[i])+int32(v))))
	}
	return nil
}
