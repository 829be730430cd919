//go:build linux

package aec

import (
	"runtime"
	"syscall"
	"testing"

	"github.com/sipbell/sipbell/audio/aec/internal/room"
	"github.com/sipbell/sipbell/audio/g711"
)

// threadCPU returns the CPU time (user and system) the calling OS thread
// has used: unlike wall time it does not count time other processes of a
// busy machine take.
func threadCPU(b *testing.B) int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru); err != nil {
		b.Fatal(err)
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// measure runs f b.N times on one locked OS thread and reports its CPU
// time per run as cpu-ns/op besides the wall time.
func measure(b *testing.B, f func(i int)) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	b.ReportAllocs()
	b.ResetTimer()
	start := threadCPU(b)
	for i := 0; i < b.N; i++ {
		f(i)
	}
	b.ReportMetric(float64(threadCPU(b)-start)/float64(b.N), "cpu-ns/op")
}

// BenchmarkProcess measures one 20 ms frame through the whole canceller
// (adaptive filter, shadow filter, post-filter; 128 ms tail) on a room
// echo, after it has converged. scripts/aec-bench.sh runs it on amd64 and
// under qemu-arm -cpu arm1176.
func BenchmarkProcess(b *testing.B) {
	for _, rate := range []int{8000, 16000} {
		b.Run(map[int]string{8000: "8kHz", 16000: "16kHz"}[rate], func(b *testing.B) {
			sc := room.Build(room.Spec{Rate: rate, Seconds: 4, T60: 0.3, DRR: 8, FarRMS: 3000,
				EchoGain: 0.7, NoiseRMS: 8, Seed: 3})
			far, mic := room.PCM(sc.Far), room.PCM(sc.Mic)
			c, err := New(Config{SampleRate: rate})
			if err != nil {
				b.Fatal(err)
			}
			frame := rate / 50
			out := make([]int16, frame)
			frames := len(mic) / frame
			measure(b, func(i int) {
				off := (i % frames) * frame
				if err := c.Process(far[off:off+frame], mic[off:off+frame], out); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}

// BenchmarkG711 is the yardstick: G.711 µ-law encode and decode of one
// 20 ms frame at 8 kHz.
func BenchmarkG711(b *testing.B) {
	pcm := room.PCM(room.Speech(room.Voice{Pitch: 120, Formant: 1, Seed: 1}, 160, 8000, 3000))
	enc, dec := make([]byte, 160), make([]int16, 160)
	measure(b, func(int) {
		g711.EncodeUlaw(enc, pcm)
		g711.DecodeUlaw(dec, enc)
	})
}
