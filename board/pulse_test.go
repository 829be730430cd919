package board

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"
)

// contactRig is the rotary profile on fake pins with one input, pin, on a
// spy pin, the others unwired.
type contactRig struct {
	t     *testing.T
	fc    *clockwork.FakeClock
	b     *Board
	pin   *spyPin
	f     *fakeHardware
	name  string
	start time.Time
}

func newContactRig(t *testing.T, role Role) *contactRig {
	t.Helper()
	fc := clockwork.NewFakeClock()
	names := map[Role]string{HookSwitch: "GPIO25", PulseContact: "GPIO24"}
	name := names[role]
	f := &fakeHardware{clk: fc, pins: map[string]gpio.PinIO{name: newSpy(name, fc)}}
	for _, p := range []string{"GPIO27", "GPIO5", "GPIO6"} {
		f.pins[p] = &gpiotest.Pin{N: p}
	}
	none := &PinConfig{Pin: "none"}
	over := Pins{HookSwitch: none, DialPulse: none, DialOffNormal: none}
	switch role {
	case HookSwitch:
		over.HookSwitch = nil
	case PulseContact:
		// gpiotest pins take the level of their pull: without one the
		// fake contact starts low, closed, as a dial at rest.
		over.DialPulse = &PinConfig{Pull: "none"}
	}
	b, err := Open(Config{Profile: "rotary", Pins: over}, discard(), WithClock(fc), withHardware(f.hardware(0)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	r := &contactRig{t: t, fc: fc, b: b, pin: f.pins[name].(*spyPin), f: f, name: name, start: fc.Now()}
	f.wait(t, name, pollInterval)
	return r
}

// edge changes the contact to l at the current time through a bounce of
// n extra flips 0.5ms apart, and lets it settle (debounce).
func (r *contactRig) edge(l gpio.Level, bounces int, settle time.Duration) {
	r.t.Helper()
	lv := l
	if bounces%2 == 1 {
		lv = !l
	}
	for range bounces + 1 {
		r.pin.EdgesChan <- lv
		r.f.wait(r.t, r.name, settle)
		r.fc.Advance(500 * time.Microsecond)
		lv = !lv
	}
	r.fc.Advance(settle - 500*time.Microsecond)
	r.f.wait(r.t, r.name, pollInterval)
}

// TestPulseTrainInputs dials digits by breaking the rotary profile's
// pulse contact (and the hook switch) through its debouncer on the fake
// clock: every break and make is one event, timed at its first edge
// whatever the bounce.
func TestPulseTrainInputs(t *testing.T) {
	t.Parallel()
	ms := time.Millisecond
	tests := []struct {
		name          string
		role          Role
		pps           int
		breakPct      int
		pulses        int
		bounces       int
		settle        time.Duration
		brk, mak      EventKind
		breakL, makeL gpio.Level
	}{
		{"dial 10pps 60/40 digit 3", PulseContact, 10, 60, 3, 2, 3 * ms, DialBreak, DialMake, gpio.High, gpio.Low},
		{"dial 8pps 67/33 digit 0", PulseContact, 8, 67, 10, 1, 3 * ms, DialBreak, DialMake, gpio.High, gpio.Low},
		{"dial 12pps 67/33 digit 2", PulseContact, 12, 67, 2, 3, 3 * ms, DialBreak, DialMake, gpio.High, gpio.Low},
		{"dial 12pps 60/40 no bounce", PulseContact, 12, 60, 4, 0, 3 * ms, DialBreak, DialMake, gpio.High, gpio.Low},
		// Hook-switch dialling: a break is on-hook (the switch opens, the
		// pulled-up pin reads high), 5ms debounce.
		{"hook 12pps 67/33 digit 5", HookSwitch, 12, 67, 5, 2, 5 * ms, OnHook, OffHook, gpio.High, gpio.Low},
		{"hook 10pps 60/40 digit 1", HookSwitch, 10, 60, 1, 1, 5 * ms, OnHook, OffHook, gpio.High, gpio.Low},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := newContactRig(t, tc.role)
			if tc.role == HookSwitch { // lift the handset first
				r.edge(gpio.Low, 0, tc.settle)
				if e := nextEvent(t, r.b); e.Kind != OffHook {
					t.Fatalf("event %+v, want off-hook", e)
				}
			}
			period := time.Second / time.Duration(tc.pps)
			brk := period * time.Duration(tc.breakPct) / 100
			t0 := r.fc.Now()
			var want, got []string
			for i := range tc.pulses {
				at := t0.Add(time.Duration(i) * period)
				r.fc.Advance(at.Sub(r.fc.Now()))
				r.edge(tc.breakL, tc.bounces, tc.settle)
				r.fc.Advance(at.Add(brk).Sub(r.fc.Now()))
				r.edge(tc.makeL, tc.bounces, tc.settle)
				want = append(want, fmt.Sprintf("%v@%v", tc.brk, at.Sub(t0)), fmt.Sprintf("%v@%v", tc.mak, at.Add(brk).Sub(t0)))
			}
			for range want {
				e := nextEvent(t, r.b)
				got = append(got, fmt.Sprintf("%v@%v", e.Kind, e.Time.Sub(t0)))
			}
			if strings.Join(got, " ") != strings.Join(want, " ") {
				t.Errorf("events\n got %s\nwant %s", strings.Join(got, " "), strings.Join(want, " "))
			}
			// Held for long: a hook switch or dial contact has no long press.
			r.fc.Advance(3 * pollInterval)
			noEvent(t, r.b)
		})
	}
}
