//go:build linux && !(mips || mipsle || mips64 || mips64le || ppc64 || ppc64le || sparc64 || s390x)

package alsa

import (
	"fmt"
	"unsafe"
)

// preferredRates are tried, in order of distance from the asked rate, when
// the codec does not offer the asked rate.
var preferredRates = []uint32{48000, 44100, 16000, 8000}

// negotiate configures an open PCM for interleaved S16_LE with want's
// channels, rate, period and buffer, taking the nearest values the device
// allows (HW_REFINE narrows the ranges step by step, as alsa-lib's
// snd_pcm_hw_params_set_*_near do), then installs software parameters.
func negotiate(s sys, fd int, stream Stream, want Params) (Params, error) {
	var hw hwParams
	hw.any()
	hw.setMask(paramAccess, accessRWInterleaved)
	hw.setMask(paramFormat, formatS16LE)
	hw.setMask(paramSubformat, subformatStd)
	if err := refine(s, fd, &hw); err != nil {
		return Params{}, fmt.Errorf("%w: interleaved S16_LE refused: %v", ErrFormat, err)
	}
	ch, err := pickChannels(s, fd, &hw, want.Channels)
	if err != nil {
		return Params{}, err
	}
	rate, err := pick(s, fd, &hw, paramRate, nearestRate(hw.iv(paramRate), uint32(want.Rate)))
	if err != nil {
		return Params{}, fmt.Errorf("%w: rate: %v", ErrFormat, err)
	}
	// Keep the period's duration when the rate moved.
	period := uint32(want.PeriodFrames) * rate / uint32(want.Rate)
	if period, err = pickNear(s, fd, &hw, paramPeriodSize, period); err != nil {
		return Params{}, fmt.Errorf("%w: period size: %v", ErrFormat, err)
	}
	periods, err := pickNear(s, fd, &hw, paramPeriods, uint32(want.Periods))
	if err != nil {
		return Params{}, fmt.Errorf("%w: periods: %v", ErrFormat, err)
	}
	if err := s.ioctl(fd, ioctlHWParams, unsafe.Pointer(&hw)); err != nil {
		return Params{}, fmt.Errorf("hw params (%d ch, %d Hz, period %d x %d): %w", ch, rate, period, periods, err)
	}
	got := Params{
		Channels:     int(hw.iv(paramChannels).min),
		Rate:         int(hw.iv(paramRate).min),
		PeriodFrames: int(hw.iv(paramPeriodSize).min),
		Periods:      int(hw.iv(paramPeriods).min),
	}
	if got.Channels < 1 || got.Channels > 2 || got.Rate <= 0 || got.PeriodFrames <= 0 {
		return Params{}, fmt.Errorf("%w: device granted %+v", ErrFormat, got)
	}
	buffer := uint(hw.iv(paramBufferSize).min)
	if buffer == 0 {
		buffer = uint(got.PeriodFrames * max(got.Periods, 1))
	}
	if err := setSW(s, fd, stream, uint(got.PeriodFrames), buffer); err != nil {
		return Params{}, err
	}
	return got, nil
}

func refine(s sys, fd int, hw *hwParams) error {
	hw.rmask = ^uint32(0)
	return s.ioctl(fd, ioctlHWRefine, unsafe.Pointer(hw))
}

// pick fixes interval param at v and refines; on failure it restores hw.
func pick(s sys, fd int, hw *hwParams, param int, v uint32) (uint32, error) {
	saved := *hw
	hw.set(param, v, v)
	if err := refine(s, fd, hw); err != nil {
		*hw = saved
		return 0, fmt.Errorf("%d refused: %v", v, err)
	}
	return v, nil
}

// pickNear fixes interval param at the allowed value nearest to v: v
// itself, else the smallest allowed value above v, else the largest below
// (devices often allow only some period sizes, such as multiples of 32).
func pickNear(s sys, fd int, hw *hwParams, param int, v uint32) (uint32, error) {
	v = clampIv(hw.iv(param), v)
	if got, err := pick(s, fd, hw, param, v); err == nil {
		return got, nil
	}
	lo, hi, _ := hw.iv(param).bounds()
	for _, r := range [][2]uint32{{v, hi}, {lo, v}} {
		trial := *hw
		trial.set(param, r[0], r[1])
		if refine(s, fd, &trial) != nil {
			continue
		}
		tl, th, ok := trial.iv(param).bounds()
		if !ok {
			continue
		}
		c := tl // nearest to v from above
		if r[0] == lo {
			c = th // nearest to v from below
		}
		if got, err := pick(s, fd, hw, param, c); err == nil {
			return got, nil
		}
	}
	return 0, fmt.Errorf("no value near %d in %d..%d accepted", v, lo, hi)
}

// pickChannels asks for want channels, falling back to the other of 1 and 2.
func pickChannels(s sys, fd int, hw *hwParams, want int) (uint32, error) {
	for _, c := range []uint32{uint32(want), uint32(3 - want)} {
		if lo, hi, ok := hw.iv(paramChannels).bounds(); ok && c >= lo && c <= hi {
			if _, err := pick(s, fd, hw, paramChannels, c); err == nil {
				return c, nil
			}
		}
	}
	lo, hi, _ := hw.iv(paramChannels).bounds()
	return 0, fmt.Errorf("%w: device has %d..%d channels, need 1 or 2", ErrFormat, lo, hi)
}

// nearestRate returns want if iv allows it, else the preferred rate
// nearest to want within iv, else want clamped into iv.
func nearestRate(iv *interval, want uint32) uint32 {
	lo, hi, ok := iv.bounds()
	if !ok || (want >= lo && want <= hi) {
		return want
	}
	best, bestD := uint32(0), uint32(1<<31)
	for _, r := range preferredRates {
		d := max(r, want) - min(r, want)
		if r >= lo && r <= hi && d < bestD {
			best, bestD = r, d
		}
	}
	if best != 0 {
		return best
	}
	return clampIv(iv, want)
}

func clampIv(iv *interval, v uint32) uint32 {
	lo, hi, ok := iv.bounds()
	if !ok {
		return v
	}
	return max(lo, min(hi, v))
}

// setSW installs software parameters: wake up every period, start capture
// on the first read and playback once half the buffer is queued, stop (and
// report an xrun) when the buffer over- or underflows.
func setSW(s sys, fd int, stream Stream, period, buffer uint) error {
	sw := swParams{
		periodStep:     1,
		availMin:       period,
		xferAlign:      1,
		startThreshold: 1,
		stopThreshold:  buffer,
		proto:          protoVersion,
	}
	if stream == Playback {
		sw.startThreshold = max(period, buffer/2)
	}
	// boundary: the largest buffer*2^k that fits in a signed long.
	const maxLong = ^uint(0) >> 1
	sw.boundary = buffer
	for sw.boundary*2 <= maxLong-buffer {
		sw.boundary *= 2
	}
	if err := s.ioctl(fd, ioctlSWParams, unsafe.Pointer(&sw)); err != nil {
		return fmt.Errorf("sw params: %w", err)
	}
	return nil
}
