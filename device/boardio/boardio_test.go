package boardio_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sipbell/sipbell/board"
	"github.com/sipbell/sipbell/device"
	"github.com/sipbell/sipbell/device/boardio"
	"github.com/sipbell/sipbell/device/devicetest"
	"github.com/sipbell/sipbell/device/pulse"
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

	// Nobody opens the door: the relay holds for the whole pulse (timed
	// from before the DTMF, as the "on" line may reach us late).
	sent := time.Now()
	dtmf()
	waitLine(t, lines, "door relay on")
	if held := waitLine(t, lines, "door relay off").Sub(sent); held < cfg.Door.RelayPulse {
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

// TestSimPulsesDecode dials on the sim board's rotary dial and by its
// hook switch and decodes the board's events, converted by Input, with
// the phone's pulse decoder: the digits come out as dialled, the flash as
// a flash.
func TestSimPulsesDecode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		timing board.PulseTiming
		digits string
		flash  bool
	}{
		{"dial 10pps 60/40", board.PulseTiming{}, "0471", false},
		{"dial 12pps 67/33", board.PulseTiming{PPS: 12, BreakPct: 67}, "93", false},
		{"hook 10pps 60/40 then a flash", board.PulseTiming{Hook: true}, "52", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b, err := board.Open(board.DefaultConfig(), slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			ctx := t.Context()
			open, closed := device.DialBreak, device.DialMake // the contact whose edges are decoded
			if tc.timing.Hook {
				open, closed = device.HookOn, device.HookOff
				if err := b.Sim().SetInput(ctx, board.HookSwitch, 0, true); err != nil {
					t.Fatal(err)
				}
			}
			dec, err := pulse.New(pulse.Config{}, time.Now().Add(-time.Hour), true)
			if err != nil {
				t.Fatal(err)
			}
			errc := make(chan error, 1)
			go func() {
				err := b.Sim().Dial(ctx, tc.digits, tc.timing)
				if err == nil && tc.flash {
					err = b.Sim().Flash(ctx, 400*time.Millisecond)
				}
				errc <- err
			}()
			var got, trace []string
			var last time.Time
			feed := func(e board.Event) {
				in, ok := boardio.Input(e)
				if !ok || (in.Kind != open && in.Kind != closed) {
					return
				}
				trace = append(trace, fmt.Sprintf("%s@%v", in.Kind, in.Time.Sub(last).Round(100*time.Microsecond)))
				last = in.Time
				for _, ev := range dec.Edge(nil, in.Time, in.Kind == closed) {
					got = append(got, describe(ev))
				}
			}
			for done := false; !done; {
				select {
				case e := <-b.Events():
					feed(e)
				case err := <-errc:
					if err != nil {
						t.Fatal(err)
					}
					done = true
				}
			}
			for len(b.Events()) > 0 { // the events of the last edges
				feed(<-b.Events())
			}
			for _, ev := range dec.Poll(nil, last.Add(2*time.Second)) {
				got = append(got, describe(ev))
			}
			want := ""
			for _, d := range tc.digits {
				want += "digit " + string(d) + " "
			}
			if tc.flash {
				want += "flash "
			}
			if g := strings.Join(got, " ") + " "; g != want {
				t.Errorf("decoded %q, want %q; edges (time since the previous one): %s", g, want, strings.Join(trace, " "))
			}
		})
	}
}

func describe(ev pulse.Event) string {
	if ev.Kind == pulse.Digit {
		return "digit " + string(ev.Digit)
	}
	return ev.Kind.String()
}
