package boardio_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/sipbell/sipbell/board"
	"github.com/sipbell/sipbell/device"
	"github.com/sipbell/sipbell/device/boardio"
	"github.com/sipbell/sipbell/device/devicetest"
)

func TestPattern(t *testing.T) {
	tests := []struct {
		in   device.Pattern
		want string
	}{
		{device.Pattern{Kind: device.Off}, "off"},
		{device.Pattern{Kind: device.On}, "on"},
		{device.Pattern{Kind: device.SlowBlink}, "slow blink"},
		{device.Pattern{Kind: device.FastBlink}, "fast blink"},
		{device.Pattern{Kind: device.DoubleBlink}, "double blink"},
		{device.Pattern{Kind: device.Pulse, Duration: 3 * time.Second}, "pulse 3s"},
		{device.Pattern{Kind: device.Ring, Hz: 25}, "wave 25 Hz"},
	}
	for _, tc := range tests {
		got, err := boardio.Pattern(tc.in)
		if err != nil || got.String() != tc.want {
			t.Errorf("Pattern(%v) = %v, %v; want %s", tc.in, got, err, tc.want)
		}
	}
	if _, err := boardio.Pattern(device.Pattern{Kind: 42}); err == nil {
		t.Error("Pattern of an unknown kind succeeded")
	}
}

func TestInput(t *testing.T) {
	t0 := time.Date(2026, 12, 5, 21, 0, 0, 123456789, time.UTC)
	tests := []struct {
		in   board.Event
		want device.Input
		ok   bool
	}{
		{board.Event{Role: board.CallButton, Index: 2, Kind: board.Press}, device.Input{Kind: device.ButtonPress, Button: 2}, true},
		{board.Event{Role: board.CallButton, Kind: board.Release}, device.Input{Kind: device.ButtonRelease}, true},
		{board.Event{Role: board.CallButton, Index: 1, Kind: board.LongPress}, device.Input{Kind: device.ButtonLongPress, Button: 1}, true},
		{board.Event{Role: board.DoorContact, Kind: board.DoorOpened}, device.Input{Kind: device.DoorContactOpen}, true},
		{board.Event{Role: board.DoorContact, Kind: board.DoorClosed}, device.Input{Kind: device.DoorContactClosed}, true},
		{board.Event{Role: board.HookSwitch, Kind: board.OffHook, Time: t0}, device.Input{Kind: device.HookOff, Time: t0}, true},
		{board.Event{Role: board.HookSwitch, Kind: board.OnHook, Time: t0}, device.Input{Kind: device.HookOn, Time: t0}, true},
		{board.Event{Role: board.PulseContact, Kind: board.DialBreak, Time: t0}, device.Input{Kind: device.DialBreak, Time: t0}, true},
		{board.Event{Role: board.PulseContact, Kind: board.DialMake, Time: t0}, device.Input{Kind: device.DialMake, Time: t0}, true},
		{board.Event{Role: board.OffNormalContact, Kind: board.DialOffNormal, Time: t0}, device.Input{Kind: device.DialOffNormal, Time: t0}, true},
		{board.Event{Role: board.OffNormalContact, Kind: board.DialAtRest, Time: t0}, device.Input{Kind: device.DialAtRest, Time: t0}, true},
		{board.Event{Role: board.CallButton, Kind: board.Press, Time: t0}, device.Input{Kind: device.ButtonPress, Time: t0}, true},
		{board.Event{Role: board.HookSwitch, Kind: board.Press}, device.Input{}, false},
	}
	for _, tc := range tests {
		got, ok := boardio.Input(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("Input(%+v) = %+v, %v; want %+v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

// setter records Set calls and fails for roles in missing.
type setter struct {
	missing map[board.Role]bool
	sets    []string
}

func (s *setter) Set(role board.Role, index int, p board.Pattern) error {
	if s.missing[role] {
		return fmt.Errorf("set %s: %w", role, board.ErrNoSuchPin)
	}
	s.sets = append(s.sets, fmt.Sprintf("%s %d %s", role, index, p))
	return nil
}

func TestOutputs(t *testing.T) {
	s := &setter{missing: map[board.Role]bool{board.CallLED: true, board.DoorRelay: true, board.LineReversal: true}}
	o := boardio.Outputs{Board: s}
	if err := o.Set(device.StatusLED, 0, device.Pattern{Kind: device.On}); err != nil {
		t.Errorf("status LED: %v", err)
	}
	if err := o.Set(device.CallLED, 0, device.Pattern{Kind: device.FastBlink}); err != nil {
		t.Errorf("an unwired call LED should be ignored, got %v", err)
	}
	if err := o.Set(device.DoorRelay, 0, device.Pattern{Kind: device.Pulse, Duration: time.Second}); !errors.Is(err, board.ErrNoSuchPin) {
		t.Errorf("an unwired door relay = %v, want ErrNoSuchPin", err)
	}
	if err := o.Set(device.Output(9), 0, device.Pattern{}); err == nil {
		t.Error("an unknown output succeeded")
	}
	if err := o.Set(device.LineReversal, 0, device.Pattern{Kind: device.On}); err != nil {
		t.Errorf("line reversal without a SLIC should be ignored, got %v", err)
	}
	if err := o.Set(device.Ringer, 0, device.Pattern{Kind: device.Ring, Hz: 20}); err != nil {
		t.Errorf("ringer: %v", err)
	}
	s.missing[board.Ringer] = true
	if err := o.Set(device.Ringer, 0, device.Pattern{Kind: device.Ring, Hz: 20}); !errors.Is(err, board.ErrNoSuchPin) {
		t.Errorf("a board without a ringer = %v, want ErrNoSuchPin", err)
	}
	if want := []string{"status_led 0 on", "ringer 0 wave 20 Hz"}; !slices.Equal(s.sets, want) {
		t.Errorf("sets %q, want %q", s.sets, want)
	}
}

// TestOnSimBoard runs the door station on the simulated board (the real
// board logic on periph gpiotest pins): a press on the sim's button calls
// out, "#" pulses the relay pin for the configured time, and opening the
// door contact ends a pulse early.
func TestOnSimBoard(t *testing.T) {
	t.Parallel()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	b, err := board.Open(board.DefaultConfig(), log)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	lines, stopWatch := b.Sim().Watch()
	defer stopWatch()
	phone := &devicetest.Phone{}
	cfg := device.DefaultConfig()
	cfg.Buttons[0].Targets = []string{"1001"}
	cfg.Door.RelayPulse = 2 * time.Second
	d, err := device.New(cfg, device.Deps{Outputs: boardio.Outputs{Board: b}, Phone: phone, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	events, _ := d.Subscribe(32)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 2)
	go func() { done <- d.Run(runCtx) }()
	go func() { done <- device.Forward(runCtx, b.Events(), boardio.Input, d.Input) }()
	defer func() {
		stop()
		<-done
		<-done
	}()

	waitLine(t, lines, "status LED slow blink") // registering
	if err := b.Sim().Press(ctx, 0); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, events, device.EventRang)
	waitLine(t, lines, "call LED fast blink")
	if got := phone.Calls(); !slices.Equal(got, []string{"dial 1001 → c1"}) {
		t.Fatalf("calls %q", got)
	}
	_ = d.PhoneEvent(ctx, device.PhoneEvent{Kind: device.PhoneCallState, CallID: "c1", State: device.CallAnswered})
	dtmf := func() {
		_ = d.PhoneEvent(ctx, device.PhoneEvent{Kind: device.PhoneDTMF, CallID: "c1", Digit: '#'})
	}

	// The door opens during the pulse: the relay is released at once.
	dtmf()
	on := waitLine(t, lines, "door relay on")
	if open, err := b.Sim().Toggle(ctx, board.DoorContact); err != nil || !open {
		t.Fatalf("toggle door contact: %v, %v", open, err)
	}
	if held := waitLine(t, lines, "door relay off").Sub(on); held >= cfg.Door.RelayPulse {
		t.Errorf("relay held %v although the door opened; pulse is %v", held, cfg.Door.RelayPulse)
	}
	if _, err := b.Sim().Toggle(ctx, board.DoorContact); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, events, device.EventDoorClosed)

	// Nobody opens the door: the relay holds for the whole pulse.
	dtmf()
	on = waitLine(t, lines, "door relay on")
	if held := waitLine(t, lines, "door relay off").Sub(on); held < cfg.Door.RelayPulse {
		t.Errorf("relay held %v, want at least %v", held, cfg.Door.RelayPulse)
	}
}

// waitLine waits for a sim output line and returns when it came.
func waitLine(t *testing.T, lines <-chan string, want string) time.Time {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case l := <-lines:
			if l == want {
				return time.Now()
			}
		case <-timeout:
			t.Fatalf("no %q from the sim board", want)
		}
	}
}

func waitEvent(t *testing.T, events <-chan device.Event, kind device.EventKind) {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case e := <-events:
			if e.Kind == kind {
				return
			}
		case <-timeout:
			t.Fatalf("no %s event", kind)
		}
	}
}
