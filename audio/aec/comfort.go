package aec

import "math"

// comfort fills in what the suppressor takes away with noise of the
// background's level and spectrum, so that the output does not drop to
// dead silence each time the far end talks and come back in its pauses
// (the line "pumping"). The background is tracked per bin as a slowly
// rising minimum of the smoothed error power (the noise under speech
// and echo); the noise has a random phase from a fixed-seed generator, so
// the output stays the same on every machine.
type comfort struct {
	floor []float32 // background power per bin
	seed  uint32
}

// Comfort-noise constants (block rate, 4 ms blocks by default).
const (
	floorRise  = 1.002 // per-block rise of the floor while above it (~2 dB/s)
	floorFall  = 0.3   // how fast the floor follows the power down
	floorStart = 1e9   // floor before anything was heard: follows down at once
	floorBias  = 2.0   // mean background power over its tracked minimum
)

func newComfort(bins int) *comfort {
	c := &comfort{floor: make([]float32, bins)}
	c.reset()
	return c
}

func (c *comfort) reset() {
	for i := range c.floor {
		c.floor[i] = floorStart
	}
	c.seed = 0x2545f491
}

// track updates the background from the smoothed error power see.
func (c *comfort) track(see []float32) {
	for i, p := range see {
		f := c.floor[i]
		if p < f {
			f += floorFall * (p - f)
		} else {
			f *= floorRise
		}
		c.floor[i] = f
	}
}

// fill adds to each bin of spec, scaled by gain, noise of the background's
// power times what the gain took away (1 - gain²).
func (c *comfort) fill(spec []complex64, gain []float32) {
	for i, g := range gain {
		miss := 1 - g*g
		if miss <= 0 || c.floor[i] >= floorStart {
			continue
		}
		// Two uniform values in [-1, 1): power 2/3 together, so scale
		// by sqrt(3/2) for the background's power.
		a := c.uniform()
		b := c.uniform()
		s := sqrt32(1.5 * floorBias * miss * c.floor[i])
		spec[i] += complex(a*s, b*s)
	}
}

// uniform returns the next value of a xorshift generator in [-1, 1).
func (c *comfort) uniform() float32 {
	x := c.seed
	x ^= x << 13
	x ^= x >> 17
	x ^= x << 5
	c.seed = x
	return float32(int32(x)) / (1 << 31)
}

func sqrt32(x float32) float32 { return float32(math.Sqrt(float64(x))) }
