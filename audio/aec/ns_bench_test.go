package aec

import (
	"testing"
)

// BenchmarkNoiseAndGain is the noise suppressor and the AGC on one 20 ms
// frame of noisy sound, at 8 and 16 kHz; 0 allocations per frame.
func BenchmarkNoiseAndGain(b *testing.B) {
	for _, rate := range []int{8000, 16000} {
		fr := rate / 50
		x := toPCM(streetNoise(rate, 1000, 4))
		ns, err := NewNoiseSuppressor(NoiseConfig{SampleRate: rate})
		if err != nil {
			b.Fatal(err)
		}
		agc, err := NewAGC(AGCConfig{})
		if err != nil {
			b.Fatal(err)
		}
		frame := make([]int16, fr)
		b.Run(map[int]string{8000: "8kHz", 16000: "16kHz"}[rate], func(b *testing.B) {
			b.ReportAllocs()
			off := 0
			for b.Loop() {
				copy(frame, x[off:off+fr])
				off = (off + fr) % (len(x) - fr)
				ns.Process(frame)
				agc.Process(frame)
			}
		})
	}
}

// TestNoiseAndGainAllocate: nothing per frame.
func TestNoiseAndGainAllocate(t *testing.T) {
	ns, _ := NewNoiseSuppressor(NoiseConfig{SampleRate: 16000})
	agc, _ := NewAGC(AGCConfig{})
	frame := toPCM(streetNoise(320, 1000, 5))
	if n := testing.AllocsPerRun(100, func() { ns.Process(frame); agc.Process(frame) }); n != 0 {
		t.Errorf("%v allocations per frame, want 0", n)
	}
}
