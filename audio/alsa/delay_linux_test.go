//go:build linux && !(mips || mipsle || mips64 || mips64le || ppc64 || ppc64le || sparc64 || s390x)

package alsa

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/sipbell/sipbell/audio"
)

// TestDeviceDelay: a device's Delay is the kernel's SNDRV_PCM_IOCTL_DELAY
// (frames at the native rate) plus the resampler's filter delay, for both
// directions, and fails after Close.
func TestDeviceDelay(t *testing.T) {
	for _, tc := range []struct {
		name string
		open func(card *fakeCard) (audio.Delayer, func() error, error)
	}{
		{"playback", func(card *fakeCard) (audio.Delayer, func() error, error) {
			d, err := openPlayback(context.Background(), card, Options{Device: "hw:0,0"}, clk())
			if err != nil {
				return nil, nil, err
			}
			return d, d.Close, nil
		}},
		{"capture", func(card *fakeCard) (audio.Delayer, func() error, error) {
			d, err := openCapture(context.Background(), card, Options{Device: "hw:0,0"}, clk())
			if err != nil {
				return nil, nil, err
			}
			return d, d.Close, nil
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			card := newCard()
			card.delay = 2400 // 50 ms at 48 kHz
			d, closeFn, err := tc.open(card)
			if err != nil {
				t.Fatal(err)
			}
			got, err := d.Delay()
			if err != nil {
				t.Fatal(err)
			}
			// The 48↔8 kHz filter adds a few milliseconds at most.
			if got < 50*time.Millisecond || got > 56*time.Millisecond {
				t.Errorf("Delay = %v, want 50 ms plus the resampler's few", got)
			}
			card.delay = 0
			if got0, _ := d.Delay(); got-got0 != 50*time.Millisecond {
				t.Errorf("the kernel's 2400 frames count as %v, want 50ms", got-got0)
			}
			if err := closeFn(); err != nil {
				t.Fatal(err)
			}
			if _, err := d.Delay(); !errors.Is(err, audio.ErrClosed) {
				t.Errorf("Delay after Close = %v, want ErrClosed", err)
			}
		})
	}
}
