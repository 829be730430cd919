package interop

import (
	"math"
	"testing"
)

// WriteToneWAV writes seconds of a sine tone at freq Hz as an 8 kHz mono
// 16-bit PCM WAV file (what baresip's aufile source plays).
func WriteToneWAV(t testing.TB, path string, freq float64, seconds int) {
	t.Helper()
	const rate = 8000
	x := make([]int16, rate*seconds)
	for i := range x {
		x[i] = int16(8000 * math.Sin(2*math.Pi*freq*float64(i)/rate))
	}
	WriteWAV(t, path, x)
}
