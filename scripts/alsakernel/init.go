//go:build linux

package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"strings"
	"time"

	"github.com/sipbell/sipbell/audio"
	"github.com/sipbell/sipbell/audio/alsa"
	"github.com/sipbell/sipbell/internal/vminit"
)

// runInit is PID 1 of the test VM: set up /proc, /sys and /dev, load the
// sound modules (the loopback card with one substream per PCM, so that a
// second open is busy, as on a real codec), run the checks, power off.
func runInit() {
	vminit.Setup()
	c := &vminit.Checks{Name: "alsakernel"}
	err := vminit.LoadModules("/modules", func(name string) string {
		if strings.Contains(name, "snd-aloop") {
			return "pcm_substreams=1"
		}
		return ""
	})
	if err != nil {
		c.Report("load modules", err, "")
	} else if err := waitFor("/dev/snd/pcmC0D0p", 10*time.Second); err != nil {
		c.Report("card appears", err, "")
	} else {
		checks(c.Report)
		tryChecks(c.Report)
		mixerChecks(c.Report)
	}
	c.Done()
}

func waitFor(path string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		if _, err := os.Stat(path); err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no %s after %v", path, limit)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// tone fills frame k of a 1 kHz sine.
func tone(frame []int16, k int) {
	for i := range frame {
		n := k*len(frame) + i
		frame[i] = int16(10000 * math.Sin(2*math.Pi*1000*float64(n)/audio.SampleRate))
	}
}

// checks drive snd-aloop's card "Loopback": what is played on hw:0,0 is
// captured on hw:0,1, so the samples make the whole way through the
// kernel and back.
func checks(report func(string, error, string)) {
	ctx := context.Background()
	clock := audio.SystemClock()
	frame := make([]int16, audio.FrameSamples)

	play, err := alsa.OpenPlayback(ctx, alsa.Options{Device: "hw:0,0", Rate: 48000}, clock)
	if err != nil {
		report("open playback hw:0,0", err, "")
		return
	}
	p := play.Params()
	report("open playback hw:0,0", nil, fmt.Sprintf("rate=%d channels=%d period=%d periods=%d",
		p.Rate, p.Channels, p.PeriodFrames, p.Periods))

	// Capture the loopback while playing a 1 kHz tone into it.
	captured := make(chan []int16, 1)
	capErr := make(chan error, 1)
	capt, err := alsa.OpenCapture(ctx, alsa.Options{Device: "hw:0,1", Rate: 48000}, clock)
	if err != nil {
		report("open capture hw:0,1", err, "")
		play.Close()
		return
	}
	c := capt.Params()
	report("open capture hw:0,1", nil, fmt.Sprintf("rate=%d channels=%d", c.Rate, c.Channels))
	go func() {
		var all []int16
		buf := make([]int16, audio.FrameSamples)
		for k := 0; k < 100; k++ {
			if err := capt.Read(ctx, buf); err != nil {
				capErr <- fmt.Errorf("read frame %d: %w", k, err)
				return
			}
			all = append(all, buf...)
		}
		captured <- all
	}()
	start := time.Now()
	var werr error
	stopLooking := pollerCheck(report)
	for k := 0; k < 150 && werr == nil; k++ {
		tone(frame, k)
		werr = play.Write(ctx, frame)
	}
	took := time.Since(start)
	stopLooking()
	allocCheck(ctx, play, frame, report)
	if werr == nil && took < 2*time.Second {
		werr = fmt.Errorf("3 s of audio written in %v: the device does not clock the writer", took)
	}
	report("write 3 s (device-paced)", werr, fmt.Sprintf("took=%dms", took.Milliseconds()))
	select {
	case all := <-captured:
		share := toneShare(all[len(all)/4:], 1000)
		var err error
		if share < 0.8 {
			err = fmt.Errorf("the captured loopback is %.2f 1 kHz, want > 0.8", share)
		}
		report("played tone captured back", err, fmt.Sprintf("samples=%d share_1kHz=%.3f", len(all), share))
	case err := <-capErr:
		report("played tone captured back", err, "")
	}
	report("close capture", capt.Close(), "")

	bctx, cancel := context.WithTimeout(ctx, time.Second)
	second, err := alsa.OpenPlayback(bctx, alsa.Options{Device: "hw:0,0"}, clock)
	cancel()
	if err == nil {
		second.Close()
		err = errors.New("a second open of a busy device succeeded")
	} else if errors.Is(err, alsa.ErrBusy) {
		err = nil
	}
	report("busy device gives ErrBusy", err, "")

	time.Sleep(400 * time.Millisecond) // the 80 ms ring runs dry: an underrun
	tone(frame, 0)
	werr = play.Write(ctx, frame)
	if werr == nil {
		werr = play.Write(ctx, frame)
	}
	if werr == nil && play.XRuns() == 0 {
		werr = errors.New("no xrun counted after the writer stalled")
	}
	report("recover from an underrun", werr, fmt.Sprintf("xruns=%d", play.XRuns()))
	report("close playback", play.Close(), "")

	byID, err := alsa.OpenPlayback(ctx, alsa.Options{Device: "hw:CARD=Loopback,DEV=0", Rate: 8000, Channels: 1}, clock)
	if err == nil {
		q := byID.Params()
		if q.Channels != 1 || q.Rate != 8000 {
			err = fmt.Errorf("asked 8 kHz mono, got %d Hz %d channels", q.Rate, q.Channels)
		}
		report("open by card id, 8 kHz mono", err, fmt.Sprintf("rate=%d channels=%d", q.Rate, q.Channels))
		byID.Close()
	} else {
		report("open by card id, 8 kHz mono", err, "")
	}
}

// toneShare is the share of x's energy at freq Hz (8 kHz), by Goertzel.
func toneShare(x []int16, freq float64) float64 {
	k := 2 * math.Cos(2*math.Pi*freq/audio.SampleRate)
	var s1, s2, e float64
	for _, v := range x {
		s0 := float64(v) + k*s1 - s2
		s2, s1 = s1, s0
		e += float64(v) * float64(v)
	}
	if e == 0 {
		return 0
	}
	return (s1*s1 + s2*s2 - k*s1*s2) * 2 / (float64(len(x)) * e)
}
