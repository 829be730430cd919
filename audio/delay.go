package audio

import "time"

// Delayer is a sound device, or a decorator around one, that can tell how
// much audio is in flight between its caller and the converter: for a
// playback sink the audio written but not yet played, for a capture source
// the audio already captured but not yet read. The echo canceller lines the
// speaker's signal up with the microphone's by it. Devices that cannot tell
// (files, paced stand-ins) do not implement it.
type Delayer interface {
	Delay() (time.Duration, error)
}

// DelayOf returns what x reports as a Delayer, or 0 and false when x is
// not one or cannot tell now.
func DelayOf(x any) (time.Duration, bool) {
	d, ok := x.(Delayer)
	if !ok {
		return 0, false
	}
	v, err := d.Delay()
	if err != nil {
		return 0, false
	}
	return v, true
}

// samplesDuration is the duration of n samples at rate Hz.
func samplesDuration(n, rate int) time.Duration {
	return time.Duration(n) * time.Second / time.Duration(rate)
}
