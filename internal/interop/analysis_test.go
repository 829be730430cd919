package interop

import (
	"math"
	"testing"
)

func TestToneShare(t *testing.T) {
	x := make([]int16, 8000)
	for i := range x {
		x[i] = int16(8000 * math.Sin(2*math.Pi*440*float64(i)/8000))
	}
	if s := ToneShare(x, 440); s < 0.99 || s > 1.01 {
		t.Errorf("share of 440 Hz in a 440 Hz tone = %.3f, want 1", s)
	}
	if s := ToneShare(x, 1000); s > 0.01 {
		t.Errorf("share of 1000 Hz in a 440 Hz tone = %.3f, want 0", s)
	}
	if s := ToneShare(make([]int16, 100), 440); s != 0 {
		t.Errorf("silence: %v", s)
	}
}
