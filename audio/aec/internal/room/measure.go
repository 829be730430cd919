package room

import "math"

// ERLE returns the echo return loss enhancement in dB over [from, to)
// seconds: microphone energy over output energy, counted only in windows of
// 20 ms where the echo is at least activeDB below its loudest window (the
// far end is talking). out must be aligned with mic.
func ERLE(mic, out, echo []float64, rate int, from, to float64) float64 {
	var sm, so float64
	forActive(echo, rate, from, to, func(a, b int) {
		sm += energy(mic[a:b])
		so += energy(out[a:b])
	})
	return 10 * math.Log10((sm+1)/(so+1))
}

// ERLETrack returns the ERLE in consecutive windows of win seconds over the
// whole signal (NaN where the far end is silent).
func ERLETrack(mic, out, echo []float64, rate int, win float64) []float64 {
	n := int(float64(len(mic)) / (win * float64(rate)))
	track := make([]float64, n)
	for i := range track {
		from, to := float64(i)*win, float64(i+1)*win
		var sm, so float64
		count := 0
		forActive(echo, rate, from, to, func(a, b int) {
			sm += energy(mic[a:b])
			so += energy(out[a:b])
			count++
		})
		track[i] = math.NaN()
		if count > 0 {
			track[i] = 10 * math.Log10((sm+1)/(so+1))
		}
	}
	return track
}

// activeDB is how far below the loudest 20 ms window a window still counts
// as active speech.
const activeDB = 30

// forActive calls f for each 20 ms window [a, b) in [from, to) seconds
// where ref is active.
func forActive(ref []float64, rate int, from, to float64, f func(a, b int)) {
	w := rate / 50
	var peak float64
	for a := 0; a+w <= len(ref); a += w {
		peak = max(peak, energy(ref[a:a+w]))
	}
	lo, hi := int(from*float64(rate))/w*w, min(int(to*float64(rate)), len(ref))
	for a := lo; a+w <= hi; a += w {
		if e := energy(ref[a : a+w]); e > 0 && e >= peak*math.Pow(10, -activeDB/10.0) {
			f(a, a+w)
		}
	}
}

// SegSNR returns the segmental SNR in dB of out as a copy of clean over
// [from, to) seconds: the mean over 20 ms windows where clean is active of
// 10 log(clean energy / error energy), each clamped to [-10, 35] dB. A
// near end that is attenuated counts as error: it is not preserved.
func SegSNR(clean, out []float64, rate int, from, to float64) float64 {
	var sum float64
	n := 0
	forActive(clean, rate, from, to, func(a, b int) {
		var sig, errE float64
		for i := a; i < b; i++ {
			d := clean[i] - out[i]
			sig += clean[i] * clean[i]
			errE += d * d
		}
		snr := 10 * math.Log10((sig+1e-9)/(errE+1e-9))
		sum += math.Max(-10, math.Min(35, snr))
		n++
	})
	if n == 0 {
		return math.NaN()
	}
	return sum / float64(n)
}

func energy(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v * v
	}
	return s
}
