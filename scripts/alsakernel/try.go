//go:build linux

package main

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/sipbell/sipbell/audio"
	"github.com/sipbell/sipbell/audio/alsa"
)

// tryChecks take a capture's frames without waiting (CaptureDevice.TryRead,
// issue 16: a call's media loop, woken by the speaker, takes the
// microphone's frames itself) while a tone plays into the loopback: an
// empty device gives no frame and no error at once (a TryRead that waited
// would have returned the frame it waited for), the frames captured while
// the player wrote come out in order, the tone, and a TryRead allocates
// nothing.
func tryChecks(report func(string, error, string)) {
	ctx := context.Background()
	clock := audio.SystemClock()
	play, err := alsa.OpenPlayback(ctx, alsa.Options{Device: "hw:0,0", Rate: 48000}, clock)
	if err != nil {
		report("try-read: open playback hw:0,0", err, "")
		return
	}
	defer play.Close()
	capt, err := alsa.OpenCapture(ctx, alsa.Options{Device: "hw:0,1", Rate: 48000}, clock)
	if err != nil {
		report("try-read: open capture hw:0,1", err, "")
		return
	}
	defer capt.Close()
	frame := make([]int16, audio.FrameSamples)
	ok, err := capt.TryRead(frame) // starts the capture: nothing captured yet
	if err == nil && ok {
		err = errors.New("a frame came from a capture that had just started: TryRead waited for it")
	}
	report("try-read of an empty capture: no frame, no error, no wait", err, fmt.Sprintf("frame=%v", ok))

	var all []int16
	got := make([]int16, audio.FrameSamples)
	most, empties := 0, 0
	for k := 0; k < 100 && err == nil; k++ {
		tone(frame, k)
		if err = play.Write(ctx, frame); err != nil {
			break
		}
		n := 0
		for ; n < 10; n++ { // the ring holds 4
			ok, err = capt.TryRead(got)
			if err != nil || !ok {
				break
			}
			all = append(all, got...)
		}
		if n == 0 {
			empties++
		}
		most = max(most, n)
	}
	share := 0.0
	if err == nil {
		share = toneShare(all[len(all)/4:], 1000)
	}
	if err == nil && (len(all) < 50*audio.FrameSamples || share < 0.8) {
		err = fmt.Errorf("%d frames taken over 2 s played, %.2f of them 1 kHz: want >= 50 and > 0.8", len(all)/audio.FrameSamples, share)
	}
	report("try-read takes the captured frames", err, fmt.Sprintf("frames=%d most_at_once=%d empty_wakes=%d share_1kHz=%.3f xruns=%d",
		len(all)/audio.FrameSamples, most, empties, share, capt.XRuns()))

	var terr error
	allocs := testing.AllocsPerRun(25, func() {
		if err := play.Write(ctx, frame); err != nil && terr == nil {
			terr = err
		}
		if _, err := capt.TryRead(frame); err != nil && terr == nil {
			terr = err
		}
	})
	if terr == nil && allocs > 0 {
		terr = fmt.Errorf("%.1f allocations per frame written and try-read, want 0", allocs)
	}
	report("a frame's TryRead allocates nothing", terr, fmt.Sprintf("allocs=%.1f", allocs))
}
