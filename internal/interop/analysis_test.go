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

// A tone whose phase jumps now and then (a receiver concealing a late
// frame) is still that tone for ToneShareWindowed (not for ToneShare); a
// recording made of two tones is not.
func TestToneShareWindowedPhaseBreaks(t *testing.T) {
	x := make([]int16, 16000)
	phase := 0.0
	for i := range x {
		if i%1600 == 800 {
			phase += math.Pi * 0.9 // a break every 200 ms
		}
		x[i] = int16(8000 * math.Sin(2*math.Pi*440*float64(i)/8000+phase))
	}
	if s := ToneShareWindowed(x, 440); s < 0.85 {
		t.Errorf("windowed share of 440 Hz in a 440 Hz tone with phase breaks = %.3f, want > 0.85", s)
	}
	if s := ToneShare(x, 440); s > 0.5 {
		t.Errorf("whole-recording share with phase breaks = %.3f: the test signal does not break phase", s)
	}
	for i := range x[8000:] {
		x[8000+i] = int16(8000 * math.Sin(2*math.Pi*1000*float64(i)/8000))
	}
	if s := ToneShareWindowed(x, 440); s < 0.4 || s > 0.6 {
		t.Errorf("windowed share of 440 Hz in half 440, half 1000 Hz = %.3f, want about 0.5", s)
	}
	if s := ToneShareWindowed(make([]int16, 100), 440); s != 0 {
		t.Errorf("silence: %v", s)
	}
}
