package board

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"
	"periph.io/x/conn/v3/spi"
	"periph.io/x/conn/v3/spi/spitest"
)

// outputsOnly is the sim board without inputs, so that the scheduler's
// timer is the fake clock's only waiter.
func outputsOnly() Config {
	none := PinConfig{Pin: "none"}
	return Config{Profile: "sim", Pins: Pins{
		CallButtons: []PinConfig{none, none, none}, DoorContact: &none, HookSwitch: &none,
		DialPulse: &none, DialOffNormal: &none, Tamper: &none, DNDSwitch: &none,
	}}
}

// play sets pattern p on role 0 of a fake-clocked sim board, advances the
// clock in 25ms steps for total, and returns every level change as
// "<elapsed> <line>".
func play(t *testing.T, role Role, p Pattern, total time.Duration) []string {
	t.Helper()
	fc := clockwork.NewFakeClock()
	b, err := Open(outputsOnly(), discard(), WithClock(fc))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	lines, stop := b.Sim().watchLevels()
	defer stop()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	start := fc.Now()
	var got []string
	drain := func() {
		for {
			select {
			case l := <-lines:
				got = append(got, fmt.Sprintf("%v %s", fc.Since(start), l))
			default:
				return
			}
		}
	}
	if err := b.Set(role, 0, p); err != nil {
		t.Fatal(err)
	}
	drain()
	for fc.Since(start) < total {
		fc.Advance(25 * time.Millisecond)
		if err := fc.BlockUntilContext(ctx, 1); err != nil {
			t.Fatalf("scheduler did not re-arm: %v", err)
		}
		drain()
	}
	return got
}

func TestOutputSequences(t *testing.T) {
	t.Parallel()
	tests := []struct {
		role  Role
		p     Pattern
		total time.Duration
		want  string
	}{
		{StatusLED, FastBlink(), 600 * time.Millisecond,
			"0s status LED on|125ms status LED off|250ms status LED on|375ms status LED off|500ms status LED on"},
		{StatusLED, SlowBlink(), 2 * time.Second,
			"0s status LED on|500ms status LED off|1s status LED on|1.5s status LED off|2s status LED on"},
		{CallLED, DoubleBlink(), 3100 * time.Millisecond,
			"0s call LED on|150ms call LED off|300ms call LED on|450ms call LED off|1.5s call LED on|1.65s call LED off|1.8s call LED on|1.95s call LED off|3s call LED on"},
		{DoorRelay, Pulse(time.Second), 3 * time.Second, "0s door relay on|1s door relay off"},
		{Ringer, Ring(), 11 * time.Second,
			"0s ringer on|1s ringer off|5s ringer on|6s ringer off|10s ringer on|11s ringer off"},
		{StatusLED, On(), time.Second, "0s status LED on"},
		{StatusLED, Off(), time.Second, ""},
	}
	for _, tc := range tests {
		t.Run(tc.p.String(), func(t *testing.T) {
			t.Parallel()
			if got := strings.Join(play(t, tc.role, tc.p, tc.total), "|"); got != tc.want {
				t.Errorf("%s %v:\n got %s\nwant %s", tc.role, tc.p, got, tc.want)
			}
		})
	}
}

func TestSetReplacesPatternAndPulseEnds(t *testing.T) {
	t.Parallel()
	fc := clockwork.NewFakeClock()
	b, err := Open(outputsOnly(), discard(), WithClock(fc))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx := t.Context()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(b.Set(DoorRelay, 0, Pulse(3*time.Second)))
	must(b.Set(StatusLED, 0, SlowBlink()))
	fc.Advance(500 * time.Millisecond)
	must(fc.BlockUntilContext(ctx, 1))
	must(b.Set(StatusLED, 0, On())) // was off in its blink: on at once
	fc.Advance(3 * time.Second)
	must(fc.BlockUntilContext(ctx, 1))
	want := map[Role]string{StatusLED: "on true", DoorRelay: "off false", CallLED: "off false", Ringer: "off false",
		RingMode: "off false", ForwardReverse: "off false", BellA: "off false", BellB: "off false"}
	for _, s := range b.State() {
		if got := fmt.Sprintf("%s %t", s.Pattern, s.Active); got != want[s.Role] {
			t.Errorf("%s: %s, want %s", s.Role, got, want[s.Role])
		}
	}
	for _, tc := range []struct {
		role Role
		idx  int
		p    Pattern
		want error
	}{
		{DoorRelay, 2, On(), ErrNoSuchPin},
		{CallButton, 0, On(), ErrNoSuchPin},
		{StatusLED, 0, Pulse(0), ErrBadPattern},
	} {
		if err := b.Set(tc.role, tc.idx, tc.p); !errors.Is(err, tc.want) {
			t.Errorf("Set(%s, %d, %v) = %v, want %v", tc.role, tc.idx, tc.p, err, tc.want)
		}
	}
	must(b.Close())
	must(b.Close())
	if e, ok := <-b.Events(); ok {
		t.Errorf("Events after Close delivered %+v, want closed", e)
	}
	if err := b.Set(StatusLED, 0, On()); err != nil {
		t.Errorf("Set after Close = %v", err) // must not block or panic
	}
}

// spyPin is a gpiotest pin whose WaitForEdge arms its timer on the fake
// clock before announcing the wait, so a test knows when to advance.
type spyPin struct {
	*gpiotest.Pin
	clk   clockwork.Clock
	waits chan time.Duration
}

func newSpy(name string, clk clockwork.Clock) *spyPin {
	return &spyPin{
		Pin:   &gpiotest.Pin{N: name, Clock: clk, EdgesChan: make(chan gpio.Level, 16)},
		clk:   clk,
		waits: make(chan time.Duration, 100),
	}
}

func (s *spyPin) WaitForEdge(timeout time.Duration) bool {
	after := s.clk.After(timeout)
	s.waits <- timeout
	select {
	case <-after:
		return false
	case l := <-s.EdgesChan:
		_ = s.Pin.Out(l)
		return true
	}
}

func (s *spyPin) Halt() error {
	select {
	case s.EdgesChan <- s.Read():
	default:
	}
	return nil
}

// fakeHardware serves spy pins for inputs and gpiotest pins for outputs.
type fakeHardware struct {
	clk  clockwork.Clock
	pins map[string]gpio.PinIO
	spi  bytes.Buffer
}

func (f *fakeHardware) hardware(leds int) *hardware {
	hw := &hardware{pin: func(name string) (gpio.PinIO, error) {
		p, ok := f.pins[name]
		if !ok {
			return nil, fmt.Errorf("fake pin %s: %w", name, ErrNoSuchPin)
		}
		return p, nil
	}}
	if leds > 0 {
		c, _ := spitest.NewRecordRaw(&f.spi).Connect(4e6, spi.Mode0, 8)
		hw.leds = NewAPA102(c, leds, 8)
	}
	return hw
}

func (f *fakeHardware) wait(t *testing.T, pin string, want time.Duration) {
	t.Helper()
	select {
	case got := <-f.pins[pin].(*spyPin).waits:
		if got != want {
			t.Fatalf("%s: WaitForEdge(%v), want %v", pin, got, want)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: no WaitForEdge(%v) within 10s", pin, want)
	}
}

func noEvent(t *testing.T, b *Board) {
	t.Helper()
	select {
	case e := <-b.Events():
		t.Fatalf("unexpected event %+v", e)
	default:
	}
}

func TestButtonDebounceAndLongPress(t *testing.T) {
	t.Parallel()
	fc := clockwork.NewFakeClock()
	f := &fakeHardware{clk: fc, pins: map[string]gpio.PinIO{
		"GPIO17": newSpy("GPIO17", fc), "GPIO27": &gpiotest.Pin{N: "GPIO27"}, "GPIO22": &gpiotest.Pin{N: "GPIO22"},
		"GPIO23": &gpiotest.Pin{N: "GPIO23"}, "GPIO5": &gpiotest.Pin{N: "GPIO5"},
	}}
	none := PinConfig{Pin: "none"}
	cfg := Config{Profile: "rpi", Pins: Pins{DoorContact: &none, HookSwitch: &none, StatusLED: &PinConfig{Active: "low"}}}
	b, err := Open(cfg, discard(), WithClock(fc), withHardware(f.hardware(0)))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	btn := f.pins["GPIO17"].(*spyPin)
	ms := time.Millisecond
	start := fc.Now()

	f.wait(t, "GPIO17", pollInterval)
	for _, l := range []gpio.Level{gpio.Low, gpio.High, gpio.Low, gpio.High, gpio.Low} { // bouncing press
		btn.EdgesChan <- l
		f.wait(t, "GPIO17", 30*ms)
	}
	noEvent(t, b)
	fc.Advance(30 * ms) // stable low for the debounce time
	if e := nextEvent(t, b); e.Kind != Press || e.Role != CallButton || !e.Time.Equal(start) {
		t.Fatalf("event %+v, want one press timed at its first edge (+0), not after the debounce", e)
	}
	f.wait(t, "GPIO17", pollInterval) // long press due in 2s: first wait is capped at the poll interval
	fc.Advance(pollInterval)
	f.wait(t, "GPIO17", 970*ms) // 2s after the press's first edge
	noEvent(t, b)
	fc.Advance(970 * ms)
	if e := nextEvent(t, b); e.Kind != LongPress || !e.Time.Equal(start.Add(2*time.Second)) {
		t.Fatalf("event %+v, want long-press at +2s", e)
	}
	for range 3 { // held on: the long press fires once
		f.wait(t, "GPIO17", pollInterval)
		fc.Advance(pollInterval)
	}
	f.wait(t, "GPIO17", pollInterval)
	noEvent(t, b)
	btn.EdgesChan <- gpio.High
	f.wait(t, "GPIO17", 30*ms)
	fc.Advance(30 * ms)
	if e := nextEvent(t, b); e.Kind != Release {
		t.Fatalf("event %+v, want release", e)
	}
	// A glitch shorter than the debounce time is no event at all.
	f.wait(t, "GPIO17", pollInterval)
	btn.EdgesChan <- gpio.Low
	f.wait(t, "GPIO17", 30*ms)
	btn.EdgesChan <- gpio.High
	f.wait(t, "GPIO17", 30*ms)
	fc.Advance(30 * ms)
	f.wait(t, "GPIO17", pollInterval-30*ms)
	noEvent(t, b)

	// A release that is seen after the long-press time but before the
	// long-press timer fired still reports the long press first.
	btn.EdgesChan <- gpio.Low
	f.wait(t, "GPIO17", 30*ms)
	fc.Advance(30 * ms)
	pressed := nextEvent(t, b)
	f.wait(t, "GPIO17", pollInterval)
	fc.Advance(pollInterval)
	f.wait(t, "GPIO17", 970*ms)
	fc.Advance(960 * ms)
	btn.EdgesChan <- gpio.High
	f.wait(t, "GPIO17", 30*ms)
	fc.Advance(30 * ms)
	if e := nextEvent(t, b); e.Kind != LongPress || !e.Time.Equal(pressed.Time.Add(2*time.Second)) {
		t.Fatalf("event %+v, want long-press 2s after %v", e, pressed.Time)
	}
	if e := nextEvent(t, b); e.Kind != Release {
		t.Fatalf("event %+v, want release", e)
	}

	// Active-low status LED: on drives the pin low; the level is kept by
	// the board, never read back from the pin.
	if err := b.Set(StatusLED, 0, On()); err != nil {
		t.Fatal(err)
	}
	if l := f.pins["GPIO27"].(*gpiotest.Pin).Read(); l != gpio.Low {
		t.Errorf("active-low LED on: pin %v, want Low", l)
	}
}

func TestAPA102Frame(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	c, _ := spitest.NewRecordRaw(&buf).Connect(4e6, spi.Mode0, 8)
	a := NewAPA102(c, 3, 40) // brightness clamps to 31
	if err := a.Set(1, 0x11, 0x22, 0x33); err != nil {
		t.Fatal(err)
	}
	want := []byte{0, 0, 0, 0, 0xFF, 0, 0, 0, 0xFF, 0x33, 0x22, 0x11, 0xFF, 0, 0, 0, 0}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("frame % x\nwant  % x", buf.Bytes(), want)
	}
	if err := a.Set(3, 1, 2, 3); !errors.Is(err, ErrNoSuchPin) {
		t.Errorf("Set(3) on 3 LEDs = %v, want ErrNoSuchPin", err)
	}
	long := NewAPA102(c, 17, 1)
	if f := long.frame(); len(f) != 4+17*4+2 || f[4] != 0xE1 {
		t.Errorf("17-LED frame: %d bytes, first LED header %#x", len(f), f[4])
	}
}

func TestRespeakerLEDs(t *testing.T) {
	t.Parallel()
	fc := clockwork.NewFakeClock()
	f := &fakeHardware{clk: fc, pins: map[string]gpio.PinIO{
		"GPIO17": newSpy("GPIO17", fc), "GPIO13": newSpy("GPIO13", fc), "GPIO12": &gpiotest.Pin{N: "GPIO12"},
	}}
	b, err := Open(Config{Profile: "respeaker-2mic"}, discard(), WithClock(fc), withHardware(f.hardware(3)))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	f.spi.Reset()
	if err := b.Set(CallLED, 0, On()); err != nil {
		t.Fatal(err)
	}
	// Status LED 0 green (off), call LED 1 blue (on), LED 2 unused.
	want := []byte{0, 0, 0, 0, 0xE8, 0, 0, 0, 0xE8, 0xFF, 0, 0, 0xE8, 0, 0, 0, 0}
	if !bytes.Equal(f.spi.Bytes(), want) {
		t.Errorf("SPI % x\nwant % x", f.spi.Bytes(), want)
	}
}
