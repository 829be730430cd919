package interop

import "math"

// ToneShare is the share of x's energy at freq Hz (8 kHz samples), by a
// Goertzel filter over the whole of x: 1 for a pure tone at freq, near 0
// when freq is absent.
func ToneShare(x []int16, freq float64) float64 {
	c := 2 * math.Cos(2*math.Pi*freq/8000)
	var s1, s2, e float64
	for _, v := range x {
		s0 := float64(v) + c*s1 - s2
		s2, s1 = s1, s0
		e += float64(v) * float64(v)
	}
	if e == 0 {
		return 0
	}
	return (s1*s1 + s2*s2 - c*s1*s2) * 2 / (float64(len(x)) * e)
}

// toneWindow is the length of the windows ToneShareWindowed judges
// separately (50 ms at 8 kHz).
const toneWindow = 400

// ToneShareWindowed is ToneShare judged in 50 ms windows: a phase jump
// where a receiver concealed or dropped a late frame (a peer's jitter on a
// loaded machine) costs one window, not the whole recording, while a
// wrong tone or another sound still lowers it in proportion. The windows
// tell apart tones at least 50 Hz apart; for closer ones use ToneShare
// over a steady stretch. A tail shorter than a window counts with the
// last whole window.
func ToneShareWindowed(x []int16, freq float64) float64 {
	c := 2 * math.Cos(2*math.Pi*freq/8000)
	var tone, energy float64
	for len(x) > 0 {
		n := toneWindow
		if len(x) < 2*toneWindow {
			n = len(x) // the last window takes the tail
		}
		var s1, s2, e float64
		for _, v := range x[:n] {
			s0 := float64(v) + c*s1 - s2
			s2, s1 = s1, s0
			e += float64(v) * float64(v)
		}
		tone += (s1*s1 + s2*s2 - c*s1*s2) * 2 / float64(n)
		energy += e
		x = x[n:]
	}
	if energy == 0 {
		return 0
	}
	return tone / energy
}
