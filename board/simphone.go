package board

import (
	"context"
	"errors"
	"fmt"
	"time"

	"periph.io/x/conn/v3/gpio"
)

// WithSimOffHook starts the sim board's handset off hook, as a phone
// whose handset was left off its cradle when the power came back: the
// board reports it at Open like a real hook switch read off hook.
func WithSimOffHook() Option { return func(o *options) { o.simOffHook = true } }

// PulseTiming is how the sim board dials pulses: like a rotary dial, or
// like a person tapping the hook switch.
type PulseTiming struct {
	// PPS is the pulse rate, pulses per second (5..20; 0: 10).
	PPS int `json:"pps"`
	// BreakPct is the break's share of each pulse period in percent
	// (20..80; 0: 60, the 60/40 of most dials; 67 is 67/33).
	BreakPct int `json:"break_pct"`
	// Hook dials by breaking the hook switch instead of the dial's pulse
	// contact (the handset must be off hook).
	Hook bool `json:"hook"`
	// Gap is the pause between two digits (100ms..5s; 0: 600ms).
	Gap time.Duration `json:"gap"`
}

// ErrBadPulses reports a dial request the sim cannot play.
var ErrBadPulses = errors.New("bad pulse dialling request")

// withDefaults fills the zero fields and checks the bounds.
func (t PulseTiming) withDefaults() (PulseTiming, error) {
	if t.PPS == 0 {
		t.PPS = 10
	}
	if t.BreakPct == 0 {
		t.BreakPct = 60
	}
	if t.Gap == 0 {
		t.Gap = 600 * time.Millisecond
	}
	switch {
	case t.PPS < 5 || t.PPS > 20:
		return t, fmt.Errorf("%w: %d pulses per second (want 5..20)", ErrBadPulses, t.PPS)
	case t.BreakPct < 20 || t.BreakPct > 80:
		return t, fmt.Errorf("%w: break of %d%% (want 20..80)", ErrBadPulses, t.BreakPct)
	case t.Gap < 100*time.Millisecond || t.Gap > 5*time.Second:
		return t, fmt.Errorf("%w: gap of %v between digits (want 100ms..5s)", ErrBadPulses, t.Gap)
	}
	return t, nil
}

// MaxDialDigits bounds one Dial request (about a minute of dialling).
const MaxDialDigits = 24

// offNormalLead is how long the off-normal contact is closed before the
// first pulse (the dial is wound up, then released) and after the last.
const offNormalLead = 80 * time.Millisecond

// Dial dials digits ('0'..'9', n pulses for n and 10 for 0) by pulses
// with timing t, pausing t.Gap after each digit (the last one too, so
// that what follows, a flash say, is not taken for part of it). The
// pulse edges are timed from the start of each digit on the board's clock
// and stamped with that time, so the board's events show the requested
// rate and ratio exactly, however busy the machine.
func (s *Sim) Dial(ctx context.Context, digits string, t PulseTiming) error {
	t, err := t.withDefaults()
	if err != nil {
		return fmt.Errorf("sim: dial %q: %w", digits, err)
	}
	if len(digits) == 0 || len(digits) > MaxDialDigits {
		return fmt.Errorf("sim: dial %q: %w: want 1..%d digits", digits, ErrBadPulses, MaxDialDigits)
	}
	for i := range len(digits) {
		if digits[i] < '0' || digits[i] > '9' {
			return fmt.Errorf("sim: dial %q: %w: %q is no digit a rotary dial has", digits, ErrBadPulses, digits[i])
		}
	}
	for i := range len(digits) {
		n := int(digits[i] - '0')
		if n == 0 {
			n = 10
		}
		if err := s.DialPulses(ctx, n, t); err != nil {
			return err
		}
		if err := s.sleep(ctx, t.Gap); err != nil {
			return fmt.Errorf("sim: dial %q: %w", digits, err)
		}
	}
	return nil
}

// DialPulses sends n pulses (1..20) with timing t: on the dial's pulse
// contact framed by its off-normal contact (when wired), or as breaks of
// the hook switch.
func (s *Sim) DialPulses(ctx context.Context, n int, t PulseTiming) error {
	t, err := t.withDefaults()
	if err != nil {
		return fmt.Errorf("sim: dial %d pulses: %w", n, err)
	}
	if n < 1 || n > 20 {
		return fmt.Errorf("sim: dial %d pulses: %w: want 1..20", n, ErrBadPulses)
	}
	role := PulseContact
	if t.Hook {
		role = HookSwitch
	}
	in, p, err := s.input(role, 0)
	if err != nil {
		return err
	}
	if t.Hook {
		if on, _ := in.state(); !on {
			return fmt.Errorf("sim: dial by the hook switch: %w: the handset is on hook", ErrBadPulses)
		}
	}
	// A break is the pulse contact active, or the hook switch inactive.
	brk, mk := in.active, !in.active
	if t.Hook {
		brk, mk = mk, brk
	}
	on, _, _ := s.input(OffNormalContact, 0)
	if on != nil && !t.Hook {
		if err := s.SetInput(ctx, OffNormalContact, 0, true); err != nil {
			return err
		}
		if err := s.sleep(ctx, offNormalLead); err != nil {
			return fmt.Errorf("sim: dial: %w", err)
		}
	}
	period := time.Second / time.Duration(t.PPS)
	brkLen := period * time.Duration(t.BreakPct) / 100
	start := s.b.clk.Now()
	for i := range n {
		at := start.Add(time.Duration(i) * period)
		for _, e := range []struct {
			at time.Time
			l  gpio.Level
		}{{at, brk}, {at.Add(brkLen), mk}} {
			if err := s.edgeAt(ctx, p, e.at, e.l); err != nil {
				return fmt.Errorf("sim: dial pulse %d of %d: %w", i+1, n, err)
			}
		}
	}
	// The last make: the dial contact closed again, or the handset off hook.
	if err := in.waitState(ctx, t.Hook); err != nil {
		return fmt.Errorf("sim: dial: %w", err)
	}
	if on != nil && !t.Hook {
		if err := s.sleep(ctx, offNormalLead); err != nil {
			return fmt.Errorf("sim: dial: %w", err)
		}
		return s.SetInput(ctx, OffNormalContact, 0, false)
	}
	return nil
}

// Flash breaks the hook switch for d (a hook flash; 0: 400ms) and
// returns once the handset reads off hook again.
func (s *Sim) Flash(ctx context.Context, d time.Duration) error {
	if d == 0 {
		d = 400 * time.Millisecond
	}
	if d < 10*time.Millisecond || d > 5*time.Second {
		return fmt.Errorf("sim: flash of %v: %w: want 10ms..5s", d, ErrBadPulses)
	}
	in, _, err := s.input(HookSwitch, 0)
	if err != nil {
		return err
	}
	if on, _ := in.state(); !on {
		return fmt.Errorf("sim: flash: %w: the handset is on hook", ErrBadPulses)
	}
	if err := s.SetInput(ctx, HookSwitch, 0, false); err != nil {
		return err
	}
	if err := s.sleep(ctx, d); err != nil {
		return fmt.Errorf("sim: flash: %w", err)
	}
	return s.SetInput(ctx, HookSwitch, 0, true)
}

// edgeAt puts level l on p at time at (at once if that has passed), and
// stamps the edge with at, so that the board's events are timed as
// requested however late its reader runs.
func (s *Sim) edgeAt(ctx context.Context, p *simPin, at time.Time, l gpio.Level) error {
	if err := s.sleep(ctx, s.b.clk.Until(at)); err != nil {
		return err
	}
	return p.push(ctx, l, at)
}

// sleep waits d on the board's clock.
func (s *Sim) sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	select {
	case <-s.b.clk.After(d):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
