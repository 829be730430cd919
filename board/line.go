package board

import (
	"fmt"
	"slices"
)

// line is what an analog phone's line outputs do: the ring signal and the
// line polarity. b.mu guards it.
type line struct {
	ring     Pattern // Off, or Wave while ringing (any pattern on a plain ringer pin)
	reversed bool
}

// setLine sets the Ringer or LineReversal role and drives whatever the
// board rings the phone with:
//
//   - a ringer pin (relay or ringer driver): on while Ringer plays a Wave
//     (the driver makes the ring signal itself), or the pattern as given;
//   - a SLIC (RingMode and ForwardReverse): while ringing RM is on and F/R
//     plays the wave; otherwise RM is off and F/R is on when LineReversal
//     is On (the line polarity reversed, e.g. for caller-ID signalling);
//   - an H-bridge bell (BellA and BellB): the wave on A and the same wave
//     in antiphase on B while ringing, both off otherwise.
//
// Another pattern (a blink, a Ring cadence) plays on the ringer pin only,
// and is refused (ErrBadPattern) on a board without one. LineReversal
// takes On or Off. Only index 0 exists. b.mu must be held; the error is not
// wrapped with the role (Set does that).
func (b *Board) setLine(role Role, index int, p Pattern) error {
	ringer, rm, fr := b.output(Ringer, 0), b.output(RingMode, 0), b.output(ForwardReverse, 0)
	ba, bb := b.output(BellA, 0), b.output(BellB, 0)
	if index != 0 {
		return ErrNoSuchPin
	}
	switch {
	case role == LineReversal && fr == nil:
		return fmt.Errorf("%w: no forward/reverse (F/R) output", ErrNoSuchPin)
	case role == LineReversal && p.Kind != PatternOn && p.Kind != PatternOff:
		return fmt.Errorf("%w: line reversal is on or off, not %s", ErrBadPattern, p)
	case role == LineReversal:
		b.line.reversed = p.Kind == PatternOn
	case ringer == nil && fr == nil && ba == nil:
		return ErrNoSuchPin
	case ringer == nil && p.Kind != PatternWave && p.Kind != PatternOff:
		return fmt.Errorf("%w: a SLIC or an H-bridge bell rings with a wave, not %s", ErrBadPattern, p)
	default:
		b.line.ring = p
	}
	ring := b.line.ring
	wave := ring.Kind == PatternWave
	if ringer != nil {
		rp := ring
		if wave {
			rp = On()
		}
		b.setLine1(ringer, rp)
	}
	if fr != nil {
		switch {
		case wave:
			b.setLine1(rm, On())
			b.setLine1(fr, ring)
		case b.line.reversed:
			b.setLine1(rm, Off())
			b.setLine1(fr, On())
		default:
			b.setLine1(rm, Off())
			b.setLine1(fr, Off())
		}
	}
	if ba != nil {
		if wave {
			b.setLine1(ba, ring)
			b.setLine1(bb, ring.inverted())
		} else {
			b.setLine1(ba, Off())
			b.setLine1(bb, Off())
		}
	}
	b.stepAll(b.clk.Now())
	return nil
}

// setLine1 sets one line output's pattern unless it already plays it, so
// that a ringing F/R keeps its phase when the line reversal changes and a
// steady pin says nothing new.
func (b *Board) setLine1(o *output, p Pattern) {
	if o == nil {
		return
	}
	q := o.pat
	if q.Kind == p.Kind && q.Hz == p.Hz && q.antiphase == p.antiphase && q.Duration == p.Duration && slices.Equal(q.Cadence, p.Cadence) {
		return
	}
	b.setOut(o, p)
}
