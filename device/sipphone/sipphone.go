// Package sipphone adapts sipbell's SIP user agent (package ua) to the
// device package's Phone interface and converts its events, so that
// cmd/sipbell wires the door station to the UA in a few lines:
//
//	p := sipphone.New(agent)
//	d, _ := device.New(cfg.Device, device.Deps{Phone: p, ...})
//	go device.Forward(ctx, agent.Events(), sipphone.Event, d.PhoneEvent)
//
// It is the only place where ua's types meet device's.
package sipphone

import (
	"context"
	"errors"
	"fmt"

	"github.com/sipbell/sipbell/device"
	"github.com/sipbell/sipbell/ua"
)

// ErrNoCall reports a call ID the user agent does not know (any more).
var ErrNoCall = errors.New("no such call")

// Phone is a device.Phone backed by a ua.Phone (a *ua.UA in the firmware).
type Phone struct {
	ua ua.Phone
}

var _ device.Phone = (*Phone)(nil)

// New adapts p.
func New(p ua.Phone) *Phone { return &Phone{ua: p} }

// Dial implements device.Phone: one target is a plain call, several ring
// in parallel (ua.Parallel). ua.Call returns at once.
func (p *Phone) Dial(ctx context.Context, targets []string) (string, error) {
	mode := ua.Hunt
	if len(targets) > 1 {
		mode = ua.Parallel
	}
	c, err := p.ua.Call(ctx, targets, mode)
	if err != nil {
		return "", fmt.Errorf("sipphone: dial %v: %w", targets, err)
	}
	return c.ID(), nil
}

// Answer implements device.Phone.
func (p *Phone) Answer(ctx context.Context, id string) error {
	c, err := p.call(id)
	if err != nil {
		return fmt.Errorf("sipphone: answer %s: %w", id, err)
	}
	if err := c.Answer(ctx); err != nil {
		if c.State() == ua.CallAnswered { // the UA auto-answered it already
			return nil
		}
		return fmt.Errorf("sipphone: answer %s: %w", id, err)
	}
	return nil
}

// Hangup implements device.Phone. A call that has already ended is not an
// error.
func (p *Phone) Hangup(ctx context.Context, id string) error {
	c, err := p.call(id)
	if errors.Is(err, ErrNoCall) {
		return nil
	}
	if err := c.Hangup(ctx); err != nil {
		return fmt.Errorf("sipphone: hang up %s: %w", id, err)
	}
	return nil
}

func (p *Phone) call(id string) (ua.Call, error) {
	for _, c := range p.ua.Calls() {
		if c.ID() == id {
			return c, nil
		}
	}
	return nil, ErrNoCall
}

// Event converts a UA event for the device; it reports false for kinds
// the device does not take.
func Event(e ua.Event) (device.PhoneEvent, bool) {
	pe := device.PhoneEvent{Account: e.Account, CallID: e.CallID, Peer: e.Peer,
		Code: e.Code, Reason: e.Reason, Digit: e.Digit, Transferred: e.Transferred,
		EarlyMedia: e.EarlyMedia}
	switch e.Kind {
	case ua.EventRegistration:
		pe.Kind = device.PhoneRegistration
		pe.Reg = RegState(e.Reg)
	case ua.EventIncomingCall:
		pe.Kind, pe.State = device.PhoneIncoming, device.CallIncoming
		pe.Caller = Caller(e.Caller)
		pe.AlertInfo = e.AlertInfo
	case ua.EventCallState:
		pe.Kind = device.PhoneCallState
		pe.State = CallState(e.State)
	case ua.EventDTMF:
		pe.Kind = device.PhoneDTMF
	default:
		return pe, false
	}
	return pe, true
}

// Caller converts a caller's verified identity.
func Caller(c ua.Caller) device.Caller {
	dc := device.Caller{}
	if c.Source.IsValid() {
		dc.Source = c.Source.String()
	}
	if c.Verified() {
		dc.Identity, dc.Via, dc.Name = c.Identity, c.Via.String(), c.Name
	}
	return dc
}

// RegState converts a registration state.
func RegState(s ua.RegState) device.RegState {
	switch s {
	case ua.Registering:
		return device.Registering
	case ua.Registered:
		return device.Registered
	case ua.RegFailed:
		return device.RegFailed
	}
	return device.Unregistered
}

// CallState converts a call state.
func CallState(s ua.CallState) device.CallState {
	switch s {
	case ua.CallCalling:
		return device.CallCalling
	case ua.CallIncoming:
		return device.CallIncoming
	case ua.CallRinging:
		return device.CallRinging
	case ua.CallAnswered:
		return device.CallAnswered
	}
	return device.CallEnded
}

var _ device.CallControl = (*Phone)(nil)

// Hold implements device.CallControl.
func (p *Phone) Hold(ctx context.Context, id string) error {
	c, err := p.call(id)
	if err == nil {
		err = c.Hold(ctx)
	}
	if err != nil {
		return fmt.Errorf("sipphone: hold %s: %w", id, err)
	}
	return nil
}

// Resume implements device.CallControl.
func (p *Phone) Resume(ctx context.Context, id string) error {
	c, err := p.call(id)
	if err == nil {
		err = c.Resume(ctx)
	}
	if err != nil {
		return fmt.Errorf("sipphone: resume %s: %w", id, err)
	}
	return nil
}

// Transfer implements device.CallControl (a blind transfer: REFER). It
// returns once the REFER is under way: the UA waits for the peer's
// outcome, which the device must not. The call then ends (BYE); when the
// transfer fails the call goes on (held) and failed is told why, unless
// ctx ended first.
func (p *Phone) Transfer(ctx context.Context, id, target string, failed func(error)) error {
	c, err := p.call(id)
	if err != nil {
		return fmt.Errorf("sipphone: transfer %s to %s: %w", id, target, err)
	}
	go func() {
		if err := c.Transfer(ctx, target); err != nil && ctx.Err() == nil && failed != nil {
			failed(fmt.Errorf("sipphone: transfer %s to %s: %w", id, target, err))
		}
	}()
	return nil
}

// Reject implements device.CallControl. A call that has already ended is
// not an error.
func (p *Phone) Reject(ctx context.Context, id string, code int) error {
	c, err := p.call(id)
	if errors.Is(err, ErrNoCall) {
		return nil
	}
	if err := c.Reject(ctx, code); err != nil {
		return fmt.Errorf("sipphone: reject %s with %d: %w", id, code, err)
	}
	return nil
}
