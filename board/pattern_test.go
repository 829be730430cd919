package board

import (
	"errors"
	"testing"
	"time"
)

func TestPatternLevelAt(t *testing.T) {
	t.Parallel()
	ms := time.Millisecond
	tests := []struct {
		p       Pattern
		elapsed time.Duration
		on      bool
		next    time.Duration
	}{
		{Off(), 0, false, 0},
		{On(), time.Hour, true, 0},
		{SlowBlink(), 0, true, 500 * ms},
		{SlowBlink(), 499 * ms, true, ms},
		{SlowBlink(), 500 * ms, false, 500 * ms},
		{SlowBlink(), 1700 * ms, false, 300 * ms},
		{FastBlink(), 130 * ms, false, 120 * ms},
		{DoubleBlink(), 200 * ms, false, 100 * ms},
		{DoubleBlink(), 300 * ms, true, 150 * ms},
		{DoubleBlink(), 450 * ms, false, 1050 * ms},
		{DoubleBlink(), 1500 * ms, true, 150 * ms},
		{Pulse(3 * time.Second), 0, true, 3 * time.Second},
		{Pulse(3 * time.Second), 3 * time.Second, false, 0},
		{Ring(), 999 * ms, true, ms},
		{Ring(), 1 * time.Second, false, 4 * time.Second},
		{Ring(), 5 * time.Second, true, time.Second},
		{Ring(400*ms, 200*ms, 400*ms, 2000*ms), 500 * ms, false, 100 * ms},
		{Ring(400*ms, 200*ms, 400*ms, 2000*ms), 700 * ms, true, 300 * ms},
	}
	for _, tc := range tests {
		on, next := tc.p.levelAt(tc.elapsed)
		if on != tc.on || next != tc.next {
			t.Errorf("%v at %v = (%t, %v), want (%t, %v)", tc.p, tc.elapsed, on, next, tc.on, tc.next)
		}
	}
}

func TestPatternValidate(t *testing.T) {
	t.Parallel()
	bad := []Pattern{Pulse(0), Pulse(-time.Second), Ring(time.Second), Ring(time.Second, 0), {Kind: 99}}
	for _, p := range bad {
		if err := p.Validate(); !errors.Is(err, ErrBadPattern) {
			t.Errorf("%v.Validate() = %v, want ErrBadPattern", p, err)
		}
	}
	for _, p := range []Pattern{Off(), On(), SlowBlink(), FastBlink(), DoubleBlink(), Pulse(time.Millisecond), Ring(), Ring(time.Second, time.Second)} {
		if err := p.Validate(); err != nil {
			t.Errorf("%v.Validate() = %v", p, err)
		}
	}
}
