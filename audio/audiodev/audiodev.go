// Package audiodev opens the microphone and speaker an audio.Config names:
// an ALSA sound card, a WAV file, or the silent/discarding devices of the
// simulated board. It is the one place that maps configuration to the
// concrete audio.Source and audio.Sink implementations.
package audiodev

import (
	"context"
	"fmt"
	"strings"

	"github.com/sipbell/sipbell/audio"
	"github.com/sipbell/sipbell/audio/alsa"
	"github.com/sipbell/sipbell/audio/tone"
	"github.com/sipbell/sipbell/audio/wav"
)

// OpenCapture opens cfg.Capture as a call-format (8 kHz mono) source that
// is paced in real time on clock: a sound card clocks itself, a WAV file
// or "silence" is paced by clock. A WAV capture ends with io.EOF.
func OpenCapture(ctx context.Context, cfg audio.Config, clock audio.Clock) (audio.Source, error) {
	return OpenCaptureRate(ctx, cfg, clock, audio.SampleRate)
}

// OpenCaptureRate is OpenCapture giving samples at rate Hz (8000, or 16000
// for wideband calls): a sound card or WAV file is resampled to it.
func OpenCaptureRate(ctx context.Context, cfg audio.Config, clock audio.Clock, rate int) (audio.Source, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("audiodev: invalid config: %w", err)
	}
	var src audio.Source
	switch name := cfg.Capture; {
	case name == audio.DeviceSilence:
		src = audio.NewPacedSource(&audio.Silence{}, clock, audio.FrameDuration)
	case isWAV(name):
		s, err := wav.OpenSourceRate(name, clock, rate)
		if err != nil {
			return nil, fmt.Errorf("audiodev: capture: %w", err)
		}
		src = s
	default:
		d, err := alsa.OpenCapture(ctx, options(cfg, name, rate), clock)
		if err != nil {
			return nil, fmt.Errorf("audiodev: capture: %w", err)
		}
		src = d
	}
	if cfg.CaptureGainDB != 0 {
		src = audio.NewGainSource(src, cfg.CaptureGainDB)
	}
	return src, nil
}

// OpenPlayback opens cfg.Playback as a call-format sink that accepts
// frames in real time: a sound card blocks while its buffer is full, a WAV
// recording or "discard" is paced by clock.
func OpenPlayback(ctx context.Context, cfg audio.Config, clock audio.Clock) (audio.Sink, error) {
	return OpenPlaybackRate(ctx, cfg, clock, audio.SampleRate)
}

// OpenPlaybackRate is OpenPlayback taking samples at rate Hz (8000, or
// 16000 for wideband calls); a WAV recording is written at that rate.
func OpenPlaybackRate(ctx context.Context, cfg audio.Config, clock audio.Clock, rate int) (audio.Sink, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("audiodev: invalid config: %w", err)
	}
	var sink audio.Sink
	switch name := cfg.Playback; {
	case name == audio.DeviceDiscard:
		sink = audio.NewPacedSink(&audio.Discard{}, clock, audio.FrameDuration)
	case isWAV(name):
		s, err := wav.CreateSinkRate(name, rate)
		if err != nil {
			return nil, fmt.Errorf("audiodev: playback: %w", err)
		}
		sink = audio.NewPacedSink(s, clock, audio.FrameDuration)
	default:
		d, err := alsa.OpenPlayback(ctx, options(cfg, name, rate), clock)
		if err != nil {
			return nil, fmt.Errorf("audiodev: playback: %w", err)
		}
		sink = d
	}
	if cfg.PlaybackGainDB != 0 {
		sink = audio.NewGainSink(sink, cfg.PlaybackGainDB)
	}
	return sink, nil
}

// Tone returns the configured country's tone of the given kind (not
// paced: play it into a playback sink, which sets the pace).
func Tone(cfg audio.Config, kind tone.Kind) (*tone.Generator, error) {
	return tone.NewTone(cfg.ToneCountry, kind)
}

func isWAV(name string) bool { return strings.HasSuffix(strings.ToLower(name), ".wav") }

func options(cfg audio.Config, device string, rate int) alsa.Options {
	return alsa.Options{Device: device, Rate: cfg.NativeRate, Period: cfg.Period, Periods: cfg.Periods, CallRate: rate}
}
