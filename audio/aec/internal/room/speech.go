package room

import (
	"math"
	"math/rand/v2"
)

// Voice sets the character of generated speech.
type Voice struct {
	Pitch   float64 // mean fundamental frequency, Hz (110 male, 210 female)
	Formant float64 // formant frequency scale (1 male, 1.15 female)
	Seed    uint64
}

// vowel formants (F1, F2, F3) in Hz for a male voice.
var vowels = [][3]float64{
	{730, 1090, 2440}, {270, 2290, 3010}, {530, 1840, 2480}, {660, 1720, 2410},
	{300, 870, 2240}, {640, 1190, 2390}, {490, 1350, 1690}, {570, 840, 2410},
}

// Speech returns n samples of speech-like sound at rate with the given RMS
// while talking: syllables of a glottal pulse train through three or four
// formant resonators, with intonation, voiceless fricatives between some
// syllables, and pauses between words and phrases.
func Speech(v Voice, n, rate int, rms float64) []float64 {
	rng := rand.New(rand.NewPCG(v.Seed, 0x5bee))
	out := make([]float64, n)
	g := &glottis{rate: float64(rate), pitch: v.Pitch}
	for pos := 0; pos < n; {
		switch r := rng.Float64(); {
		case r < 0.12: // pause between phrases or words
			pos += int(float64(rate) * (0.08 + 0.35*rng.Float64()))
		case r < 0.3: // fricative
			l := int(float64(rate) * (0.05 + 0.07*rng.Float64()))
			fricative(out[pos:min(pos+l, n)], rng, rate)
			pos += l
		default: // voiced syllable
			l := int(float64(rate) * (0.12 + 0.18*rng.Float64()))
			a, b := vowels[rng.IntN(len(vowels))], vowels[rng.IntN(len(vowels))]
			g.syllable(out[pos:min(pos+l, n)], rng, a, b, v.Formant)
			pos += l
		}
	}
	return Scale(out, rms*math.Sqrt(0.6)) // about 60 % of the time is talk
}

type glottis struct {
	rate, pitch float64
	phase       float64
	res         [4]resonator
}

// syllable writes one voiced syllable gliding from vowel a to vowel b.
func (g *glottis) syllable(dst []float64, rng *rand.Rand, a, b [3]float64, scale float64) {
	n := len(dst)
	f0 := g.pitch * (0.85 + 0.3*rng.Float64())
	glide := (rng.Float64() - 0.5) * 0.3
	var lp float64
	for i := range dst {
		t := float64(i) / float64(max(n-1, 1))
		for k := 0; k < 3; k++ {
			f := scale * (a[k] + (b[k]-a[k])*t)
			g.res[k].tune(f, 60+40*float64(k), g.rate)
		}
		g.res[3].tune(scale*3500, 200, g.rate)
		f := f0 * (1 + glide*t)
		g.phase += f / g.rate
		var pulse float64
		if g.phase >= 1 {
			g.phase--
			pulse = 1
		}
		lp = 0.6*lp + pulse // glottal pulse: decaying spike
		x := lp + 0.02*rng.NormFloat64()
		y := g.res[0].run(x) + 0.5*g.res[1].run(x) + 0.25*g.res[2].run(x)
		if g.rate > 8000 {
			y += 0.12 * g.res[3].run(x)
		}
		env := math.Sin(math.Pi * t)
		dst[i] += y * math.Sqrt(env)
	}
}

// fricative writes high-passed noise (an "s" or "f").
func fricative(dst []float64, rng *rand.Rand, rate int) {
	var px, py float64
	a := 1 / (1 + 2*math.Pi*2500/float64(rate))
	n := len(dst)
	for i := range dst {
		x := rng.NormFloat64()
		y := a * (py + x - px)
		px, py = x, y
		dst[i] += 0.05 * y * math.Sin(math.Pi*float64(i)/float64(max(n-1, 1)))
	}
}

// resonator is a two-pole band-pass at a formant.
type resonator struct{ a1, a2, g, y1, y2 float64 }

func (r *resonator) tune(f, bw, rate float64) {
	if f > 0.45*rate {
		f = 0.45 * rate
	}
	rad := math.Exp(-math.Pi * bw / rate)
	r.a1 = 2 * rad * math.Cos(2*math.Pi*f/rate)
	r.a2 = -rad * rad
	r.g = 1 - rad
}

func (r *resonator) run(x float64) float64 {
	y := r.g*x + r.a1*r.y1 + r.a2*r.y2
	r.y2, r.y1 = r.y1, y
	return y
}
