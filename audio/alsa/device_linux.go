//go:build linux && !(mips || mipsle || mips64 || mips64le || ppc64 || ppc64le || sparc64 || s390x)

package alsa

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sipbell/sipbell/audio"
)

// Busy-device retry backoff: first wait and cap.
const (
	busyBackoff    = 50 * time.Millisecond
	busyBackoffMax = 2 * time.Second
)

// CaptureDevice is an ALSA capture stream delivering call-format audio
// (8 kHz mono frames), resampled from the codec's native rate. It is an
// audio.Source clocked by the sound card.
type CaptureDevice struct {
	pcm *PCM
	src *audio.ResampleSource
}

// PlaybackDevice is an ALSA playback stream taking call-format audio,
// resampled to the codec's native rate. It is an audio.Sink that blocks
// while the card's buffer is full.
type PlaybackDevice struct {
	pcm  *PCM
	sink *audio.ResampleSink
}

// OpenCapture opens o.Device for capture. If another process holds the
// device it retries with backoff on clock until ctx ends, then returns an
// error matching both ErrBusy and ctx's error.
func OpenCapture(ctx context.Context, o Options, clock audio.Clock) (*CaptureDevice, error) {
	return openCapture(ctx, kernel{}, o, clock)
}

// OpenPlayback opens o.Device for playback; see OpenCapture.
func OpenPlayback(ctx context.Context, o Options, clock audio.Clock) (*PlaybackDevice, error) {
	return openPlayback(ctx, kernel{}, o, clock)
}

func openCapture(ctx context.Context, s sys, o Options, clock audio.Clock) (*CaptureDevice, error) {
	pcm, err := openRetry(ctx, s, o, Capture, clock)
	if err != nil {
		return nil, err
	}
	src, err := audio.NewResampleSource(pcm, pcm.Params().Rate, o.callRate())
	if err != nil {
		pcm.Close()
		return nil, fmt.Errorf("alsa: %s: %w", pcm.path, err)
	}
	return &CaptureDevice{pcm: pcm, src: src}, nil
}

func openPlayback(ctx context.Context, s sys, o Options, clock audio.Clock) (*PlaybackDevice, error) {
	pcm, err := openRetry(ctx, s, o, Playback, clock)
	if err != nil {
		return nil, err
	}
	sink, err := audio.NewResampleSink(pcm, o.callRate(), pcm.Params().Rate)
	if err != nil {
		pcm.Close()
		return nil, fmt.Errorf("alsa: %s: %w", pcm.path, err)
	}
	return &PlaybackDevice{pcm: pcm, sink: sink}, nil
}

// callRate returns CallRate, or audio.SampleRate when it is 0.
func (o Options) callRate() int {
	if o.CallRate == 0 {
		return audio.SampleRate
	}
	return o.CallRate
}

// withDefaults fills in the documented defaults of Options.
func (o Options) withDefaults() Options {
	if o.Rate == 0 {
		o.Rate = 48000
	}
	if o.Channels == 0 {
		o.Channels = 1
	}
	if o.Period == 0 {
		o.Period = 20 * time.Millisecond
	}
	if o.Periods == 0 {
		o.Periods = 4
	}
	return o
}

// openRetry opens the PCM, retrying while it is busy.
func openRetry(ctx context.Context, s sys, o Options, stream Stream, clock audio.Clock) (*PCM, error) {
	o = o.withDefaults()
	path, err := DevicePath(o.Device, stream)
	if err != nil {
		return nil, err
	}
	if o.Rate <= 0 || o.Channels < 1 || o.Channels > 2 || o.Period <= 0 || o.Periods < 2 {
		return nil, fmt.Errorf("alsa: %s: bad options %+v", o.Device, o)
	}
	want := Params{Rate: o.Rate, Channels: o.Channels, Periods: o.Periods,
		PeriodFrames: int(int64(o.Rate) * int64(o.Period) / int64(time.Second))}
	if want.PeriodFrames < 16 {
		return nil, fmt.Errorf("alsa: %s: period %v too short", o.Device, o.Period)
	}
	backoff := busyBackoff
	for {
		pcm, err := openPCM(s, path, stream, want)
		if !errors.Is(err, ErrBusy) {
			return pcm, err
		}
		if werr := clock.WaitUntil(ctx, clock.Now().Add(backoff)); werr != nil {
			return nil, fmt.Errorf("%w; gave up: %w", err, werr)
		}
		backoff = min(2*backoff, busyBackoffMax)
	}
}

// Read captures one call-format frame.
func (d *CaptureDevice) Read(ctx context.Context, frame []int16) error { return d.src.Read(ctx, frame) }

// Close closes the device.
func (d *CaptureDevice) Close() error { return d.pcm.Close() }

// Delay is how long ago the oldest captured sample not yet read was
// captured, the resampler's delay included.
func (d *CaptureDevice) Delay() (time.Duration, error) {
	if _, err := d.pcm.Delay(); err != nil {
		return 0, err
	}
	return d.src.Delay() // the PCM's and the resampler's
}

// Params returns the parameters the hardware granted.
func (d *CaptureDevice) Params() Params { return d.pcm.Params() }

// XRuns returns how many overruns were recovered from.
func (d *CaptureDevice) XRuns() int { return d.pcm.XRuns() }

// Write plays one call-format frame.
func (d *PlaybackDevice) Write(ctx context.Context, frame []int16) error {
	return d.sink.Write(ctx, frame)
}

// Close stops playback at once and closes the device.
func (d *PlaybackDevice) Close() error { return d.pcm.Close() }

// Delay is how long until a frame written now is played, the
// resampler's delay included.
func (d *PlaybackDevice) Delay() (time.Duration, error) {
	if _, err := d.pcm.Delay(); err != nil {
		return 0, err
	}
	return d.sink.Delay() // the PCM's and the resampler's
}

// Params returns the parameters the hardware granted.
func (d *PlaybackDevice) Params() Params { return d.pcm.Params() }

// XRuns returns how many underruns were recovered from.
func (d *PlaybackDevice) XRuns() int { return d.pcm.XRuns() }
