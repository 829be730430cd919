// Package pulse decodes loop-disconnect dialling: the make/break edges of a
// rotary dial's pulse contact or of a hook switch, with their timestamps,
// become digits, hook flashes, hang-ups and off-hooks.
//
// The Decoder is a pure state machine without goroutines or clocks: the
// caller feeds it each contact edge with its time (Edge) and asks it about
// the passing of time (Poll, at or after Deadline). Contact bounce is
// filtered (a change must hold for Config.Debounce), pulses are breaks of
// Config.BreakMin..BreakMax (8-12 pulses per second at break/make ratios
// from 60/40 to 67/33 give breaks of 50-84 ms), a make longer than
// Config.DigitGap ends a digit, a break of Config.FlashMin..FlashMax is a
// hook flash and a longer one is a hang-up.
package pulse

import (
	"fmt"
	"time"

	"github.com/sipbell/sipbell/internal/cfgerr"
)

// Mapping names how a count of pulses becomes a digit.
type Mapping string

// The digit mappings.
const (
	// Standard: n pulses = digit n, 10 pulses = 0 (most countries).
	Standard Mapping = "standard"
	// Sweden: n+1 pulses = digit n (1 pulse = 0, 10 pulses = 9).
	Sweden Mapping = "sweden"
	// NewZealand: 10-n pulses = digit n (10 pulses = 0, 1 pulse = 9).
	NewZealand Mapping = "new_zealand"
)

// Digit returns the digit that n pulses dial under m ("" is Standard),
// and false when n dials nothing (0 or more than 10 pulses).
func (m Mapping) Digit(n int) (byte, bool) {
	if n < 1 || n > 10 {
		return 0, false
	}
	switch m {
	case Sweden:
		return byte('0' + n - 1), true
	case NewZealand:
		return byte('0' + (10-n)%10), true
	}
	return byte('0' + n%10), true
}

// Config is the pulse timing. Zero fields take the defaults below.
type Config struct {
	// Debounce is how long a contact change must hold to count; shorter
	// flickers are contact bounce.
	Debounce time.Duration `yaml:"debounce"`
	// BreakMin and BreakMax bound the break of one dial pulse.
	BreakMin time.Duration `yaml:"break_min"`
	BreakMax time.Duration `yaml:"break_max"`
	// DigitGap is the make after which the pulses so far are one digit
	// (the pause between digits; the make between a digit's pulses is at
	// most about 50 ms).
	DigitGap time.Duration `yaml:"digit_gap"`
	// FlashMin and FlashMax bound a hook flash; a break longer than
	// FlashMax is a hang-up.
	FlashMin time.Duration `yaml:"flash_min"`
	FlashMax time.Duration `yaml:"flash_max"`
	// Mapping is "standard" (the default), "sweden" or "new_zealand".
	Mapping Mapping `yaml:"mapping"`
}

// Defaults of Config.
const (
	DefaultDebounce = 5 * time.Millisecond
	DefaultBreakMin = 20 * time.Millisecond
	DefaultBreakMax = 90 * time.Millisecond
	DefaultDigitGap = 150 * time.Millisecond
	DefaultFlashMin = 100 * time.Millisecond
	DefaultFlashMax = 900 * time.Millisecond
)

// WithDefaults returns c with its zero fields set to the defaults.
func (c Config) WithDefaults() Config {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&c.Debounce, DefaultDebounce)
	def(&c.BreakMin, DefaultBreakMin)
	def(&c.BreakMax, DefaultBreakMax)
	def(&c.DigitGap, DefaultDigitGap)
	def(&c.FlashMin, DefaultFlashMin)
	def(&c.FlashMax, DefaultFlashMax)
	if c.Mapping == "" {
		c.Mapping = Standard
	}
	return c
}

// Validate checks c (after defaults) and returns a cfgerr.List naming the
// fields: each duration in range, and debounce < break_min < break_max <
// flash_min < flash_max, break_max < digit_gap.
func (c Config) Validate() error {
	c = c.WithDefaults()
	var errs cfgerr.List
	for _, f := range []struct {
		path   string
		d      time.Duration
		lo, hi time.Duration
	}{
		{"debounce", c.Debounce, time.Millisecond, 20 * time.Millisecond},
		{"break_min", c.BreakMin, 5 * time.Millisecond, 100 * time.Millisecond},
		{"break_max", c.BreakMax, 20 * time.Millisecond, 200 * time.Millisecond},
		{"digit_gap", c.DigitGap, 60 * time.Millisecond, 2 * time.Second},
		{"flash_min", c.FlashMin, 30 * time.Millisecond, 2 * time.Second},
		{"flash_max", c.FlashMax, 100 * time.Millisecond, 5 * time.Second},
	} {
		if f.d < f.lo || f.d > f.hi {
			errs.Add(f.path, "%v out of range %v..%v", f.d, f.lo, f.hi)
		}
	}
	order := func(a, b string, x, y time.Duration) {
		if x >= y {
			errs.Add(b, "%v must be longer than %s (%v)", y, a, x)
		}
	}
	order("debounce", "break_min", c.Debounce, c.BreakMin)
	order("break_min", "break_max", c.BreakMin, c.BreakMax)
	order("break_max", "flash_min", c.BreakMax, c.FlashMin)
	order("flash_min", "flash_max", c.FlashMin, c.FlashMax)
	order("break_max", "digit_gap", c.BreakMax, c.DigitGap)
	switch c.Mapping {
	case Standard, Sweden, NewZealand:
	default:
		errs.Add("mapping", "%q: want %q, %q or %q", c.Mapping, Standard, Sweden, NewZealand)
	}
	return errs.Err()
}

// Kind is what an Event reports.
type Kind int

// The events of a Decoder.
const (
	Digit   Kind = iota + 1 // a dialled digit (Event.Digit, Event.Pulses)
	Flash                   // a hook flash
	OnHook                  // the line stayed open longer than FlashMax: hung up
	OffHook                 // the line closed after OnHook (or from the start)
	Invalid                 // a pulse train that dials no digit, or a break between pulse and flash
)

// String names the kind.
func (k Kind) String() string {
	switch k {
	case Digit:
		return "digit"
	case Flash:
		return "flash"
	case OnHook:
		return "on-hook"
	case OffHook:
		return "off-hook"
	case Invalid:
		return "invalid"
	}
	return fmt.Sprintf("pulse.Kind(%d)", int(k))
}

// Event is one decoded event.
type Event struct {
	Kind   Kind
	Digit  byte          // '0'..'9' for Digit
	Pulses int           // pulses counted (Digit, Invalid)
	At     time.Time     // when it happened: a digit's last make, a flash's or hang-up's break
	Break  time.Duration // the break's length (Flash, Invalid break)
}
