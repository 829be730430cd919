// Package audio is sipbell's sound layer: PCM frames and the small role
// interfaces every sound device, file and generator implements.
//
// PCM in sipbell is mono, signed 16-bit, native-endian []int16. Calls run at
// 8 kHz in 20 ms frames of 160 samples (FrameSamples). Devices whose native
// rate differs (an I2S codec at 48 kHz) are wrapped in decorators
// (NewResampleSource, NewResampleSink) instead of growing the interfaces;
// pacing from a clock is a decorator too (NewPacedSource).
//
// Implementations live in subpackages: g711 (codec), wav (files), tone
// (call-progress tones), dtmf (in-band detection and generation), alsa (the
// Linux sound device) and audiotest (memory fakes for tests). The package
// knows samples, not SIP.
package audio

import (
	"context"
	"errors"
	"time"
)

// Call-format constants.
const (
	// SampleRate is the rate, in Hz, of all PCM exchanged with calls.
	SampleRate = 8000
	// FrameDuration is the length of one frame of call audio.
	FrameDuration = 20 * time.Millisecond
	// FrameSamples is the number of samples in one call frame (160).
	FrameSamples = SampleRate * int(FrameDuration/time.Millisecond) / 1000
	// FrameBytes is the size of one call frame as 16-bit PCM (320).
	FrameBytes = 2 * FrameSamples
)

// ErrClosed is returned by Read or Write after Close.
var ErrClosed = errors.New("audio: closed")

// Source produces PCM frames: a microphone, a file, a tone generator.
//
// Read fills frame with the next len(frame) samples (normally FrameSamples)
// and blocks until they are there: a capture device blocks until the
// hardware has a frame, so the device clocks its caller. It returns io.EOF
// when the source has ended, ErrClosed after Close, or ctx's error if ctx
// ends first. On error the content of frame is undefined.
type Source interface {
	Read(ctx context.Context, frame []int16) error
	Close() error
}

// Sink consumes PCM frames: a speaker, a file, a recorder.
//
// Write takes the len(frame) samples of frame (normally FrameSamples); it
// may block while a device's buffer is full. The sink does not keep frame
// after Write returns.
type Sink interface {
	Write(ctx context.Context, frame []int16) error
	Close() error
}

// NewFrame returns a zeroed buffer of FrameSamples samples.
func NewFrame() []int16 { return make([]int16, FrameSamples) }
