package callerid

import (
	"math"
	"testing"
	"time"
)

// goertzel is the power of x at f.
func goertzel(x []int16, f float64) float64 {
	w := 2 * math.Pi * f / Rate
	c := 2 * math.Cos(w)
	var s1, s2 float64
	for _, v := range x {
		s1, s2 = float64(v)+c*s1-s2, s1
	}
	return s1*s1 + s2*s2 - c*s1*s2
}

func TestAlert(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		d     time.Duration
		level float64
		ok    bool
	}{
		{CASDuration, 0, true},
		{DTASDuration, -20, true},
		{10 * time.Millisecond, 0, false},
		{CASDuration, -3, false},
	} {
		x, err := Alert(tc.d, tc.level)
		if (err == nil) != tc.ok {
			t.Errorf("Alert(%v, %g): err %v, want ok %v", tc.d, tc.level, err, tc.ok)
			continue
		}
		if !tc.ok {
			continue
		}
		if got := time.Duration(len(x)) * time.Second / Rate; got != tc.d {
			t.Errorf("Alert(%v): %v of samples", tc.d, got)
		}
		lo, hi, off := goertzel(x, AlertLow), goertzel(x, AlertHigh), goertzel(x, 1000)
		if lo < 100*off || hi < 100*off || lo/hi > 1.5 || hi/lo > 1.5 {
			t.Errorf("Alert(%v): power at 2130 Hz %g, 2750 Hz %g, 1 kHz %g: want both tones, equal", tc.d, lo, hi, off)
		}
	}
}
