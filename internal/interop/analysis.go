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
