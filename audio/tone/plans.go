// Package tone generates call-progress tones (dial, ringback, busy,
// congestion) per country, after ITU-T E.180 Supplement 2 and the national
// specifications, plus beep and warning tones, as 8 kHz audio sources.
package tone

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Kind is a call-progress tone.
type Kind int

// The tones every country plan has.
const (
	Dial       Kind = iota // continuous: ready to dial
	Ringback               // the called party is being alerted
	Busy                   // the called party is busy
	Congestion             // the network is congested (reorder / fast busy)
	Beep                   // one short 1 kHz beep, then the source ends
	Warning                // 1400 Hz every 15 s (E.180 recording/attention tone)
	// The analog phone's (ATA) tones, from PhonePlans.
	Stutter     // stuttered dial tone: a voicemail message waits
	Howler      // off-hook warning (receiver off hook too long)
	CallWaiting // a second call arrives during a call
)

// String returns the tone's name as used in configuration ("ringback").
func (k Kind) String() string {
	if k >= 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("tone.Kind(%d)", int(k))
}

var kindNames = []string{"dial", "ringback", "busy", "congestion", "beep", "warning",
	"stutter", "howler", "call-waiting"}

// Plan describes one tone: its frequencies, played together, and its
// cadence.
type Plan struct {
	// Freqs are the component frequencies in Hz (one or two).
	Freqs []float64
	// Cadence alternates on and off durations, starting with on; empty
	// means continuous. Durations are whole milliseconds.
	Cadence []time.Duration
	// Once plays the cadence one time and then ends the source (io.EOF)
	// instead of repeating it.
	Once bool
}

func ms(v ...int) []time.Duration {
	d := make([]time.Duration, len(v))
	for i, x := range v {
		d[i] = time.Duration(x) * time.Millisecond
	}
	return d
}

// plans holds dial, ringback, busy and congestion per country (ISO 3166
// alpha-2; UK is accepted for GB).
var plans = map[string][4]Plan{
	// ANSI T1.401 / "precise tone plan".
	"US": {
		{Freqs: []float64{350, 440}},
		{Freqs: []float64{440, 480}, Cadence: ms(2000, 4000)},
		{Freqs: []float64{480, 620}, Cadence: ms(500, 500)},
		{Freqs: []float64{480, 620}, Cadence: ms(250, 250)},
	},
	// BT SIN 350.
	"GB": {
		{Freqs: []float64{350, 440}},
		{Freqs: []float64{400, 450}, Cadence: ms(400, 200, 400, 2000)},
		{Freqs: []float64{400}, Cadence: ms(375, 375)},
		{Freqs: []float64{400}, Cadence: ms(400, 350, 225, 525)},
	},
	// E.180 Suppl. 2, Germany (Deutsche Telekom 1 TR 110).
	"DE": {
		{Freqs: []float64{425}},
		{Freqs: []float64{425}, Cadence: ms(1000, 4000)},
		{Freqs: []float64{425}, Cadence: ms(480, 480)},
		{Freqs: []float64{425}, Cadence: ms(240, 240)},
	},
	// E.180 Suppl. 2, France.
	"FR": {
		{Freqs: []float64{440}},
		{Freqs: []float64{440}, Cadence: ms(1500, 3500)},
		{Freqs: []float64{440}, Cadence: ms(500, 500)},
		{Freqs: []float64{440}, Cadence: ms(250, 250)},
	},
	// E.180 Suppl. 2, Netherlands.
	"NL": {
		{Freqs: []float64{425}},
		{Freqs: []float64{425}, Cadence: ms(1000, 4000)},
		{Freqs: []float64{425}, Cadence: ms(500, 500)},
		{Freqs: []float64{425}, Cadence: ms(250, 250)},
	},
}

// Country-independent tones.
var (
	beepPlan    = Plan{Freqs: []float64{1000}, Cadence: ms(200, 0), Once: true}
	warningPlan = Plan{Freqs: []float64{1400}, Cadence: ms(500, 15000)}
)

// Countries returns the supported country codes, sorted.
func Countries() []string {
	c := make([]string, 0, len(plans)+1)
	for k := range plans {
		c = append(c, k)
	}
	c = append(c, "UK")
	slices.Sort(c)
	return c
}

// Lookup returns the plan for kind in country (case-insensitive ISO code,
// "UK" accepted for "GB").
func Lookup(country string, kind Kind) (Plan, error) {
	cc := strings.ToUpper(country)
	if cc == "UK" {
		cc = "GB"
	}
	p, ok := plans[cc]
	if !ok {
		return Plan{}, fmt.Errorf("tone: unknown country %q (have %s)", country, strings.Join(Countries(), ", "))
	}
	switch kind {
	case Dial, Ringback, Busy, Congestion:
		return p[kind], nil
	case Beep:
		return beepPlan, nil
	case Warning:
		return warningPlan, nil
	case Stutter, Howler, CallWaiting:
		return phonePlans[cc][kind-Stutter], nil
	}
	return Plan{}, fmt.Errorf("tone: unknown tone %v", kind)
}
