package board

import (
	"errors"
	"fmt"
	"time"
)

// PatternKind names an output pattern.
type PatternKind int

// The pattern kinds. The zero value is Off.
const (
	PatternOff PatternKind = iota
	PatternOn
	PatternSlowBlink   // 500ms on, 500ms off
	PatternFastBlink   // 125ms on, 125ms off
	PatternDoubleBlink // 150 on, 150 off, 150 on, 1050 off
	PatternPulse       // on for Duration, then off
	PatternRing        // ringer cadence, repeated
	PatternWave        // square wave at Hz: a ring signal
)

// The ring frequencies a Wave may have, in Hz (16 2/3, 20, 25 and 50 Hz
// are in use around the world).
const (
	MinWaveHz = 10
	MaxWaveHz = 100
)

// Pattern is what an output does over time. Build one with Off, On,
// SlowBlink, FastBlink, DoubleBlink, Pulse or Ring.
type Pattern struct {
	Kind PatternKind
	// Duration is the pulse length (PatternPulse only).
	Duration time.Duration
	// Cadence is the ring cadence as alternating on/off durations,
	// starting with on (PatternRing only; empty means DefaultRingCadence).
	Cadence []time.Duration
	// Hz is the frequency of a square wave (PatternWave only).
	Hz int
	// antiphase starts a wave off instead of on: the second half of an
	// H-bridge.
	antiphase bool
}

// ErrBadPattern reports a pattern that cannot be played.
var ErrBadPattern = errors.New("invalid pattern")

// Off returns the pattern that keeps an output inactive.
func Off() Pattern { return Pattern{Kind: PatternOff} }

// On returns the pattern that keeps an output active.
func On() Pattern { return Pattern{Kind: PatternOn} }

// SlowBlink blinks at 1 Hz (for example: registering).
func SlowBlink() Pattern { return Pattern{Kind: PatternSlowBlink} }

// FastBlink blinks at 4 Hz (for example: ringing).
func FastBlink() Pattern { return Pattern{Kind: PatternFastBlink} }

// DoubleBlink flashes twice every 1.5 s (for example: error).
func DoubleBlink() Pattern { return Pattern{Kind: PatternDoubleBlink} }

// Pulse turns the output on for d, then off (for example: door relay).
func Pulse(d time.Duration) Pattern { return Pattern{Kind: PatternPulse, Duration: d} }

// Ring repeats a ring cadence of alternating on/off durations starting
// with on; with no arguments it uses DefaultRingCadence.
func Ring(cadence ...time.Duration) Pattern { return Pattern{Kind: PatternRing, Cadence: cadence} }

// Wave is a square wave at hz, starting on, for as long as it is set:
// the ring signal of an analog phone. On the Ringer role the board plays
// it on whatever rings the bell (see Board.Set); the caller plays the
// cadence by switching between Wave and Off.
func Wave(hz int) Pattern { return Pattern{Kind: PatternWave, Hz: hz} }

// DefaultRingCadence is 1 s ring, 4 s pause (the usual European cadence,
// e.g. Germany; North America uses 2 s on, 4 s off).
func DefaultRingCadence() []time.Duration { return []time.Duration{time.Second, 4 * time.Second} }

// String names the pattern, e.g. "slow blink", "pulse 3s".
func (p Pattern) String() string {
	switch p.Kind {
	case PatternOff:
		return "off"
	case PatternOn:
		return "on"
	case PatternSlowBlink:
		return "slow blink"
	case PatternFastBlink:
		return "fast blink"
	case PatternDoubleBlink:
		return "double blink"
	case PatternPulse:
		return "pulse " + p.Duration.String()
	case PatternRing:
		return fmt.Sprintf("ring %v", p.steps())
	case PatternWave:
		if p.antiphase {
			return fmt.Sprintf("wave %d Hz antiphase", p.Hz)
		}
		return fmt.Sprintf("wave %d Hz", p.Hz)
	}
	return fmt.Sprintf("pattern(%d)", int(p.Kind))
}

// Validate reports why the pattern cannot be played, or nil.
func (p Pattern) Validate() error {
	switch p.Kind {
	case PatternOff, PatternOn, PatternSlowBlink, PatternFastBlink, PatternDoubleBlink:
		return nil
	case PatternPulse:
		if p.Duration <= 0 {
			return fmt.Errorf("%w: pulse length %v must be positive", ErrBadPattern, p.Duration)
		}
		return nil
	case PatternRing:
		if len(p.Cadence)%2 != 0 {
			return fmt.Errorf("%w: ring cadence %v needs on/off pairs", ErrBadPattern, p.Cadence)
		}
		for _, d := range p.Cadence {
			if d <= 0 {
				return fmt.Errorf("%w: ring cadence %v has a step that is not positive", ErrBadPattern, p.Cadence)
			}
		}
		return nil
	case PatternWave:
		if p.Hz < MinWaveHz || p.Hz > MaxWaveHz {
			return fmt.Errorf("%w: wave of %d Hz (want %d..%d)", ErrBadPattern, p.Hz, MinWaveHz, MaxWaveHz)
		}
		return nil
	}
	return fmt.Errorf("%w: unknown kind %d", ErrBadPattern, int(p.Kind))
}

// steps returns the repeating on/off cycle of a periodic pattern.
func (p Pattern) steps() []time.Duration {
	ms := time.Millisecond
	switch p.Kind {
	case PatternSlowBlink:
		return []time.Duration{500 * ms, 500 * ms}
	case PatternFastBlink:
		return []time.Duration{125 * ms, 125 * ms}
	case PatternDoubleBlink:
		return []time.Duration{150 * ms, 150 * ms, 150 * ms, 1050 * ms}
	case PatternRing:
		if len(p.Cadence) == 0 {
			return DefaultRingCadence()
		}
		return p.Cadence
	}
	return nil
}

// levelAt returns whether the output is active at elapsed time since the
// pattern started, and how long until that changes (0: never).
func (p Pattern) levelAt(elapsed time.Duration) (on bool, next time.Duration) {
	switch p.Kind {
	case PatternOn:
		return true, 0
	case PatternPulse:
		if elapsed < p.Duration {
			return true, p.Duration - elapsed
		}
		return false, 0
	case PatternWave:
		return p.waveAt(elapsed)
	}
	steps := p.steps()
	if len(steps) == 0 {
		return false, 0
	}
	var period time.Duration
	for _, s := range steps {
		period += s
	}
	t := elapsed % period
	for i, s := range steps {
		if t < s {
			return i%2 == 0, s - t
		}
		t -= s
	}
	return false, 0 // not reached: t < period
}

// periodic reports whether the pattern repeats (blinks, rings, waves).
func (p Pattern) periodic() bool { return p.Kind == PatternWave || len(p.steps()) > 0 }

// waveAt is levelAt for a wave. Edge k falls at k/(2*Hz) seconds after the
// start, rounded to the nanosecond and computed from k alone, so that the
// wave does not drift however long it plays (and no time is allocated).
func (p Pattern) waveAt(elapsed time.Duration) (on bool, next time.Duration) {
	k, _, next := p.waveEdge(elapsed)
	return (k%2 == 0) != p.antiphase, next
}

// waveEdge returns the index k of the wave's last edge at elapsed, how
// long ago it was due, and the time to the next one.
func (p Pattern) waveEdge(elapsed time.Duration) (k int64, since, next time.Duration) {
	if elapsed < 0 {
		elapsed = 0
	}
	edges := int64(2 * p.Hz)
	k = int64(elapsed) * edges / int64(time.Second)
	at := func(k int64) time.Duration { return time.Duration((k*int64(time.Second) + edges/2) / edges) }
	for at(k+1) <= elapsed { // rounding: elapsed may already be past edge k+1
		k++
	}
	for k > 0 && at(k) > elapsed {
		k--
	}
	return k, elapsed - at(k), at(k+1) - elapsed
}

// inverted returns the wave in antiphase (starting off).
func (p Pattern) inverted() Pattern {
	p.antiphase = !p.antiphase
	return p
}
