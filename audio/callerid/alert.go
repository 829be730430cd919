package callerid

import (
	"fmt"
	"math"
	"time"
)

// The dual-tone alerting signal: 2130 and 2750 Hz together. Telcordia
// GR-30 calls it CAS (CPE alerting signal, 80 ms, before caller ID on
// call waiting); ETSI EN 300 659-1 and BT SIN 227 call it DT-AS (100 ms,
// before caller ID sent ahead of the first ring).
const (
	AlertLow  = 2130.0
	AlertHigh = 2750.0
	// CASDuration is GR-30's CAS (off hook, call waiting).
	CASDuration = 80 * time.Millisecond
	// DTASDuration is ETSI's and BT's DT-AS (on hook, before ringing).
	DTASDuration = 100 * time.Millisecond
	// DefaultAlertLevel is each tone's level in dBm0 (GR-30: -15 to -22 dBm per tone at the line).
	DefaultAlertLevel = -16.0
)

// Alert returns the dual-tone alerting signal lasting d (20 ms to 1 s),
// each tone at level dBm0 (0: DefaultAlertLevel; -40 to -6), with 2 ms
// ramps so it does not click.
func Alert(d time.Duration, level float64) ([]int16, error) {
	if level == 0 {
		level = DefaultAlertLevel
	}
	if d < 20*time.Millisecond || d > time.Second {
		return nil, fmt.Errorf("callerid: alert signal of %v: want 20ms to 1s", d)
	}
	if !(level >= -40 && level <= -6) {
		return nil, fmt.Errorf("callerid: alert signal level %g dBm0 outside -40..-6", level)
	}
	amp := math.MaxInt16 * math.Pow(10, (level-FullScaleDBm0)/20)
	n := int(d * Rate / time.Second)
	ramp := 2 * Rate / 1000
	out := make([]int16, n)
	for i := range out {
		g := 1.0
		if j := min(i, n-1-i); j < ramp {
			g = float64(j) / float64(ramp)
		}
		t := float64(i) / Rate
		out[i] = int16(amp * g * (math.Sin(2*math.Pi*AlertLow*t) + math.Sin(2*math.Pi*AlertHigh*t)))
	}
	return out, nil
}
