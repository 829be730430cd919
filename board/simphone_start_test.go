package board

import (
	"testing"

	"github.com/jonboulle/clockwork"
	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"
)

// TestHookStartingLevel: a handset already off hook when the board opens
// is reported (OffHook) before any edge, on the sim board started off
// hook and on real-style pins whose hook line reads active at open; a
// handset on hook is not reported; putting it down then gives OnHook.
func TestHookStartingLevel(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		open func(t *testing.T) *Board
		want bool // OffHook at open
	}{
		{"sim off hook", func(t *testing.T) *Board { return openT(t, DefaultConfig(), WithSimOffHook()) }, true},
		{"sim on hook", func(t *testing.T) *Board { return openT(t, DefaultConfig()) }, false},
		{"gpio off hook", func(t *testing.T) *Board { return openHookGPIO(t, gpio.High) }, true},
		{"gpio on hook", func(t *testing.T) *Board { return openHookGPIO(t, gpio.Low) }, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := tc.open(t)
			if !tc.want {
				noEvent(t, b)
				return
			}
			if e := nextEvent(t, b); e.Kind != OffHook || e.Role != HookSwitch || e.Time.IsZero() {
				t.Fatalf("first event %+v, want off-hook at open", e)
			}
			if !hookActive(b) {
				t.Errorf("State does not show the hook switch active")
			}
			if b.Sim() == nil {
				return
			}
			if err := b.Sim().SetInput(t.Context(), HookSwitch, 0, false); err != nil {
				t.Fatal(err)
			}
			if e := nextEvent(t, b); e.Kind != OnHook {
				t.Errorf("after putting it down: %+v, want on-hook", e)
			}
		})
	}
}

func openT(t *testing.T, cfg Config, opts ...Option) *Board {
	t.Helper()
	b, err := Open(cfg, discard(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

// openHookGPIO opens the slic profile on fake pins whose hook switch
// (GPIO25, active high) reads level at open.
func openHookGPIO(t *testing.T, level gpio.Level) *Board {
	t.Helper()
	fc := clockwork.NewFakeClock()
	hook := newSpy("GPIO25", fc)
	hook.L = level
	f := &fakeHardware{clk: fc, pins: map[string]gpio.PinIO{"GPIO25": levelKept{hook}}}
	for _, n := range []string{"GPIO5", "GPIO6", "GPIO17", "GPIO18", "GPIO22", "GPIO23", "GPIO24", "GPIO27", "GPIO4", "GPIO12", "GPIO13", "GPIO16"} {
		f.pins[n] = &gpiotest.Pin{N: n}
	}
	return openT(t, Config{Profile: "slic"}, WithClock(fc), withHardware(f.hardware(0)))
}

// levelKept keeps the spy's level through In, as a real line reads the
// level it is at (gpiotest's In sets it from the pull).
type levelKept struct{ *spyPin }

func (p levelKept) In(pull gpio.Pull, edge gpio.Edge) error {
	l := p.Read()
	if err := p.spyPin.In(pull, edge); err != nil {
		return err
	}
	p.Lock()
	p.L = l
	p.Unlock()
	return nil
}

func hookActive(b *Board) bool {
	for _, s := range b.State() {
		if s.Role == HookSwitch {
			return s.Active
		}
	}
	return false
}
