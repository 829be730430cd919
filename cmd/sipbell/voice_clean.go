package main

import (
	"context"
	"log/slog"

	"github.com/sipbell/sipbell/audio"
	"github.com/sipbell/sipbell/audio/aec"
)

// voiceChain is a call's noise suppressor and AGC for one direction; nil
// parts are off.
type voiceChain struct {
	ns  *aec.NoiseSuppressor
	agc *aec.AGC
}

// newVoiceChain returns the chain audio.noise_suppression and audio.agc
// ask for in one direction (mic: the microphone, else the speaker) at
// rate, or nil when both are off there.
func newVoiceChain(cfg audio.Config, mic bool, rate int, log *slog.Logger) *voiceChain {
	ns, agc := cfg.NoiseSuppression.Speaker, cfg.AGC.Speaker
	if mic {
		ns, agc = cfg.NoiseSuppression.Microphone, cfg.AGC.Microphone
	}
	var c voiceChain
	var err error
	if ns {
		if c.ns, err = aec.NewNoiseSuppressor(aec.NoiseConfig{SampleRate: rate, MaxAttenuationDB: cfg.NoiseSuppression.MaxAttenuationDB}); err != nil {
			log.Error("noise suppression unavailable", "err", err) // Validate bounds every field
		}
	}
	if agc {
		if c.agc, err = aec.NewAGC(aec.AGCConfig{TargetDBFS: cfg.AGC.TargetDBFS, MaxGainDB: cfg.AGC.MaxGainDB}); err != nil {
			log.Error("automatic gain control unavailable", "err", err)
		}
	}
	if c.ns == nil && c.agc == nil {
		return nil
	}
	return &c
}

// process cleans frame in place.
func (c *voiceChain) process(frame []int16) {
	if c.ns != nil {
		c.ns.Process(frame)
	}
	if c.agc != nil {
		c.agc.Process(frame)
	}
}

// cleanSource runs a chain on a call's microphone frames.
type cleanSource struct {
	audio.Source
	c *voiceChain
}

func (s cleanSource) Read(ctx context.Context, frame []int16) error {
	if err := s.Source.Read(ctx, frame); err != nil {
		return err
	}
	s.c.process(frame)
	return nil
}

// CanTryRead reports whether the microphone can be read without waiting
// (audio.MaybeTryReader).
func (s cleanSource) CanTryRead() bool { _, ok := audio.TryReaderOf(s.Source); return ok }

// TryRead takes the microphone's next frame without waiting, when it has
// one, and runs the chain on it (the call's media loop, issue 16).
func (s cleanSource) TryRead(frame []int16) (bool, error) {
	ok, err := audio.TryReadFrom(s.Source, frame)
	if ok && err == nil {
		s.c.process(frame)
	}
	return ok, err
}

// cleanSink runs a chain on a call's received frames before the speaker.
type cleanSink struct {
	audio.Sink
	c   *voiceChain
	buf []int16
}

func (s *cleanSink) Write(ctx context.Context, frame []int16) error {
	if cap(s.buf) < len(frame) {
		s.buf = make([]int16, len(frame))
	}
	b := s.buf[:len(frame)]
	copy(b, frame)
	s.c.process(b)
	return s.Sink.Write(ctx, b)
}

// cleanCall wraps a call's microphone and speaker in the chains the
// configuration turns on.
func (a *callAudio) cleanCall(src audio.Source, sink audio.Sink) (audio.Source, audio.Sink) {
	if c := newVoiceChain(a.cfg, true, a.rate, a.log); c != nil {
		src = cleanSource{src, c}
	}
	if c := newVoiceChain(a.cfg, false, a.rate, a.log); c != nil {
		sink = &cleanSink{Sink: sink, c: c}
	}
	return src, sink
}
