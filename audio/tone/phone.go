package tone

import (
	"fmt"
	"strings"
	"time"
)

// This file holds what an analog phone (ATA mode) needs beyond the
// call-progress tones: stutter dial tone, the off-hook warning (howler),
// call waiting, and the ringing cadences and frequencies per country.

// stutterPlan is the country's dial tone interrupted 100/100 ms ten
// times, then steady (about a minute, then it stutters again; the phone
// stops dial tone long before).
func stutterPlan(freqs ...float64) Plan {
	var c []int
	for range 10 {
		c = append(c, 100, 100)
	}
	return Plan{Freqs: freqs, Cadence: ms(append(c, 60000, 0)...)}
}

// howlerPlan is the receiver-off-hook tone of Telcordia GR-506: four
// tones at once, 100 ms on and off (used for every country here: the
// national howlers differ in sweep, not in purpose).
var howlerPlan = Plan{Freqs: []float64{1400, 2060, 2450, 2600}, Cadence: ms(100, 100)}

// phonePlans holds stutter, howler and call waiting per country (the keys
// of plans).
var phonePlans = map[string][3]Plan{
	"US": {stutterPlan(350, 440), howlerPlan, {Freqs: []float64{440}, Cadence: ms(300, 9700)}},
	"GB": {stutterPlan(350, 440), howlerPlan, {Freqs: []float64{400}, Cadence: ms(100, 2900)}},
	"DE": {stutterPlan(425), howlerPlan, {Freqs: []float64{425}, Cadence: ms(200, 200, 200, 5000)}},
	"FR": {stutterPlan(440), howlerPlan, {Freqs: []float64{440}, Cadence: ms(300, 10000)}},
	"NL": {stutterPlan(425), howlerPlan, {Freqs: []float64{425}, Cadence: ms(500, 9500)}},
}

// HowlerGain is the level of each of the howler's four components: the
// loudest the generator allows, as the tone is meant to be heard across
// the room.
const HowlerGain = 0.24

// RingPlan is how a country rings an analog phone's bell.
type RingPlan struct {
	// Cadence alternates ring and pause durations, starting with ring.
	Cadence []time.Duration
	// Hz is the ringing voltage's frequency.
	Hz int
}

// ringPlans are the ring cadences per country (ISO code, as plans).
var ringPlans = map[string]RingPlan{
	"US": {Cadence: ms(2000, 4000), Hz: 20},
	"GB": {Cadence: ms(400, 200, 400, 2000), Hz: 25},
	"DE": {Cadence: ms(1000, 4000), Hz: 25},
	"NL": {Cadence: ms(1000, 4000), Hz: 25},
	"FR": {Cadence: ms(1500, 3500), Hz: 50},
}

// Ring returns country's ring cadence and frequency (case-insensitive
// ISO code, "UK" accepted for "GB").
func Ring(country string) (RingPlan, error) {
	cc := strings.ToUpper(country)
	if cc == "UK" {
		cc = "GB"
	}
	p, ok := ringPlans[cc]
	if !ok {
		return RingPlan{}, fmt.Errorf("tone: ring: unknown country %q (have %s)", country, strings.Join(Countries(), ", "))
	}
	p.Cadence = append([]time.Duration(nil), p.Cadence...)
	return p, nil
}
