// Package boardio adapts sipbell's board (package board) to the device
// package: Outputs turns device patterns into board patterns on the
// board's roles, and Input converts board events into device inputs, so
// cmd/sipbell wires them in a few lines:
//
//	out := boardio.Outputs{Board: b}
//	d, _ := device.New(cfg.Device, device.Deps{Outputs: out, ...})
//	go device.Forward(ctx, b.Events(), boardio.Input, d.Input)
//
// It is the only place where board's types meet device's.
package boardio

import (
	"errors"
	"fmt"

	"github.com/sipbell/sipbell/board"
	"github.com/sipbell/sipbell/device"
)

// Setter is the part of *board.Board that Outputs uses.
type Setter interface {
	Set(role board.Role, index int, p board.Pattern) error
}

// Outputs is a device.Outputs on a board. An LED the board has not wired
// is not an error (a bare Pi may have no call LED), nor is a line reversal
// on a board without a SLIC (a rotary phone's bell has no polarity); a
// missing door relay or ringer is.
type Outputs struct {
	Board Setter
}

var _ device.Outputs = Outputs{}

// Set implements device.Outputs.
func (o Outputs) Set(out device.Output, index int, p device.Pattern) error {
	role, ok := Role(out)
	if !ok {
		return fmt.Errorf("boardio: set %s: unknown output", out)
	}
	bp, err := Pattern(p)
	if err != nil {
		return fmt.Errorf("boardio: set %s: %w", out, err)
	}
	err = o.Board.Set(role, index, bp)
	if errors.Is(err, board.ErrNoSuchPin) && out != device.DoorRelay && out != device.Ringer {
		return nil
	}
	return err
}

// Role returns the board role of a device output.
func Role(out device.Output) (board.Role, bool) {
	switch out {
	case device.StatusLED:
		return board.StatusLED, true
	case device.CallLED:
		return board.CallLED, true
	case device.DoorRelay:
		return board.DoorRelay, true
	case device.Ringer:
		return board.Ringer, true
	case device.LineReversal:
		return board.LineReversal, true
	}
	return "", false
}

// Pattern converts a device pattern into the board's.
func Pattern(p device.Pattern) (board.Pattern, error) {
	switch p.Kind {
	case device.Off:
		return board.Off(), nil
	case device.On:
		return board.On(), nil
	case device.SlowBlink:
		return board.SlowBlink(), nil
	case device.FastBlink:
		return board.FastBlink(), nil
	case device.DoubleBlink:
		return board.DoubleBlink(), nil
	case device.Pulse:
		return board.Pulse(p.Duration), nil
	case device.Ring:
		return board.Wave(p.Hz), nil
	}
	return board.Pattern{}, fmt.Errorf("unknown pattern %s", p)
}

// Input converts a board event for the device, with the time the edge
// happened; it reports false for events the device has no use for.
func Input(e board.Event) (device.Input, bool) {
	in, ok := input(e)
	in.Time = e.Time
	return in, ok
}

func input(e board.Event) (device.Input, bool) {
	switch {
	case e.Role == board.HookSwitch && e.Kind == board.OffHook:
		return device.Input{Kind: device.HookOff}, true
	case e.Role == board.HookSwitch && e.Kind == board.OnHook:
		return device.Input{Kind: device.HookOn}, true
	case e.Role == board.PulseContact && e.Kind == board.DialBreak:
		return device.Input{Kind: device.DialBreak}, true
	case e.Role == board.PulseContact && e.Kind == board.DialMake:
		return device.Input{Kind: device.DialMake}, true
	case e.Role == board.OffNormalContact && e.Kind == board.DialOffNormal:
		return device.Input{Kind: device.DialOffNormal}, true
	case e.Role == board.OffNormalContact && e.Kind == board.DialAtRest:
		return device.Input{Kind: device.DialAtRest}, true
	case e.Role == board.CallButton && e.Kind == board.Press:
		return device.Input{Kind: device.ButtonPress, Button: e.Index}, true
	case e.Role == board.CallButton && e.Kind == board.Release:
		return device.Input{Kind: device.ButtonRelease, Button: e.Index}, true
	case e.Role == board.CallButton && e.Kind == board.LongPress:
		return device.Input{Kind: device.ButtonLongPress, Button: e.Index}, true
	case e.Role == board.DoorContact && e.Kind == board.DoorOpened:
		return device.Input{Kind: device.DoorContactOpen}, true
	case e.Role == board.DoorContact && e.Kind == board.DoorClosed:
		return device.Input{Kind: device.DoorContactClosed}, true
	case e.Role == board.Keypad && e.Kind == board.KeyPressed:
		return device.Input{Kind: device.KeypadKey, Digit: e.Key}, true
	case e.Role == board.Tamper && e.Kind == board.Press:
		return device.Input{Kind: device.TamperOn}, true
	case e.Role == board.Tamper && e.Kind == board.Release:
		return device.Input{Kind: device.TamperOff}, true
	case e.Role == board.DNDSwitch && e.Kind == board.Press:
		return device.Input{Kind: device.DNDOn}, true
	case e.Role == board.DNDSwitch && e.Kind == board.Release:
		return device.Input{Kind: device.DNDOff}, true
	}
	return device.Input{}, false
}
