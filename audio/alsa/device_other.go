//go:build !linux || mips || mipsle || mips64 || mips64le || ppc64 || ppc64le || sparc64 || s390x

package alsa

import (
	"context"

	"github.com/sipbell/sipbell/audio"
)

// CaptureDevice is unavailable on this platform.
type CaptureDevice struct{ audio.Silence }

// PlaybackDevice is unavailable on this platform.
type PlaybackDevice struct{ audio.Discard }

// OpenCapture fails with ErrUnsupported on this platform.
func OpenCapture(context.Context, Options, audio.Clock) (*CaptureDevice, error) {
	return nil, ErrUnsupported
}

// OpenPlayback fails with ErrUnsupported on this platform.
func OpenPlayback(context.Context, Options, audio.Clock) (*PlaybackDevice, error) {
	return nil, ErrUnsupported
}
