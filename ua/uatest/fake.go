// Package uatest provides Fake, an in-memory stand-in for the SIP user
// agent that implements ua.Phone, for tests of the device package. The
// test plays the network's part: it makes calls arrive, rings and
// answers outgoing calls, hangs up and sends DTMF, and reads back what
// the device did.
package uatest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/sipbell/sipbell/ua"
	"github.com/sipbell/sipbell/ua/media"
)

// Fake implements ua.Phone without a network.
type Fake struct {
	events chan ua.Event
	mu     sync.Mutex
	calls  map[string]*Call
	dialed [][]string
	seq    int
	// Busy makes Call fail with ua.ErrBusy while MaxCalls calls are in
	// progress (the real UA's behaviour); it is on by default.
	Busy bool
	// MaxCalls is sip.max_calls: how many calls Busy allows (0 means 1,
	// the real UA's default).
	MaxCalls int
}

var _ ua.Phone = (*Fake)(nil)

// New returns a Fake with an event buffer like the real UA's.
func New() *Fake {
	return &Fake{events: make(chan ua.Event, 256), calls: map[string]*Call{}, Busy: true}
}

// Events implements ua.Phone.
func (f *Fake) Events() <-chan ua.Event { return f.events }

func (f *Fake) emit(e ua.Event) {
	e.Time = time.Now()
	select {
	case f.events <- e:
	default:
		panic("uatest: event buffer full: the device does not read Events")
	}
}

// Call implements ua.Phone: it records the targets and returns a call in
// state CallCalling; drive it with Ring, Answer (remote) and Fail.
func (f *Fake) Call(ctx context.Context, targets []string, mode ua.DialMode) (ua.Call, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if len(targets) == 0 {
		return nil, errors.New("uatest: call: no target")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.Busy && len(f.calls) >= max(f.MaxCalls, 1) {
		return nil, ua.ErrBusy
	}
	f.dialed = append(f.dialed, append([]string(nil), targets...))
	c := f.newCallLocked(targets[0], false)
	return c, nil
}

// Calls implements ua.Phone.
func (f *Fake) Calls() []ua.Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]ua.Call, 0, len(f.calls))
	for _, c := range f.calls {
		out = append(out, c)
	}
	return out
}

// Dialed returns the target lists of every Call so far.
func (f *Fake) Dialed() [][]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([][]string(nil), f.dialed...)
}

// SetRegistration publishes a registration state change.
func (f *Fake) SetRegistration(account string, st ua.RegState, code int, reason string) {
	f.emit(ua.Event{Kind: ua.EventRegistration, Account: account, Reg: st, Code: code, Reason: reason})
}

// Incoming makes a call arrive from peer: EventIncomingCall, then ringing.
func (f *Fake) Incoming(peer string) *Call {
	f.mu.Lock()
	c := f.newCallLocked(peer, true)
	f.mu.Unlock()
	f.emit(ua.Event{Kind: ua.EventIncomingCall, CallID: c.id, Peer: peer, State: ua.CallIncoming})
	c.set(ua.CallRinging, 180, "")
	return c
}

func (f *Fake) newCallLocked(peer string, incoming bool) *Call {
	f.seq++
	c := &Call{f: f, id: fmt.Sprintf("fake%d", f.seq), peer: peer, incoming: incoming}
	if incoming {
		c.state = ua.CallIncoming
	}
	f.calls[c.id] = c
	return c
}

// Call is a fake call. Its exported driver methods (Ring, RemoteAnswer,
// RemoteHangup, Fail, ReceiveDTMF) act as the far end.
type Call struct {
	f        *Fake
	id, peer string
	incoming bool
	mu       sync.Mutex
	state    ua.CallState
	sent     []byte
	rejected int
	onHold   bool
	// transferTo: where the device transferred the call.
	transferTo string
}

var _ ua.Call = (*Call)(nil)

// ID implements ua.Call.
func (c *Call) ID() string { return c.id }

// Peer implements ua.Call.
func (c *Call) Peer() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.peer
}

// Incoming implements ua.Call.
func (c *Call) Incoming() bool { return c.incoming }

// State implements ua.Call.
func (c *Call) State() ua.CallState {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state
}

// Media returns a PCMU description once answered.
func (c *Call) Media() (media.Negotiated, bool) {
	if c.State() != ua.CallAnswered {
		return media.Negotiated{}, false
	}
	return media.Negotiated{Codec: media.Codec{Name: "PCMU", PT: 0}, EventPT: 101, RecvEventPT: 101,
		PTime: 20 * time.Millisecond, Direction: media.SendRecv}, true
}

// set moves the call forward (never back) and publishes the change.
func (c *Call) set(s ua.CallState, code int, reason string) bool {
	c.mu.Lock()
	if c.state == ua.CallEnded || (s <= c.state && s != ua.CallEnded) {
		c.mu.Unlock()
		return false
	}
	c.state = s
	c.mu.Unlock()
	if s == ua.CallEnded {
		c.f.mu.Lock()
		delete(c.f.calls, c.id)
		c.f.mu.Unlock()
	}
	c.f.emit(ua.Event{Kind: ua.EventCallState, CallID: c.id, Peer: c.Peer(), State: s, Code: code, Reason: reason})
	return true
}

// Answer implements ua.Call (the device answers an incoming call).
func (c *Call) Answer(context.Context) error {
	if !c.incoming || (c.State() != ua.CallRinging && c.State() != ua.CallIncoming) {
		return ua.ErrNotRinging
	}
	c.set(ua.CallAnswered, 200, "answered")
	return nil
}

// Reject implements ua.Call.
func (c *Call) Reject(_ context.Context, code int) error {
	if !c.incoming || (c.State() != ua.CallRinging && c.State() != ua.CallIncoming) {
		return ua.ErrNotRinging
	}
	if code == 0 {
		code = 486
	}
	c.mu.Lock()
	c.rejected = code
	c.mu.Unlock()
	c.set(ua.CallEnded, code, "rejected: "+ua.Status(code).String())
	return nil
}

// Hangup implements ua.Call.
func (c *Call) Hangup(context.Context) error {
	reason := "hung up"
	if c.State() < ua.CallAnswered && !c.incoming {
		reason = "cancelled"
	}
	c.set(ua.CallEnded, 0, reason)
	return nil
}

// SendDTMF implements ua.Call; Sent returns the digits.
func (c *Call) SendDTMF(d byte) error {
	if c.State() != ua.CallAnswered {
		return fmt.Errorf("uatest: send dtmf on %s: call not answered", c.id)
	}
	c.mu.Lock()
	c.sent = append(c.sent, d)
	c.mu.Unlock()
	return nil
}

// Hold implements ua.Call; OnHold reports it.
func (c *Call) Hold(context.Context) error { return c.hold(true) }

// Resume implements ua.Call.
func (c *Call) Resume(context.Context) error { return c.hold(false) }

func (c *Call) hold(on bool) error {
	if c.State() != ua.CallAnswered {
		return fmt.Errorf("uatest: hold %s: %w", c.id, ua.ErrNotAnswered)
	}
	c.mu.Lock()
	c.onHold = on
	c.mu.Unlock()
	return nil
}

// Transfer implements ua.Call: the peer "calls" target at once and the
// call ends; TransferredTo reports the target.
func (c *Call) Transfer(_ context.Context, target string) error {
	if c.State() != ua.CallAnswered {
		return fmt.Errorf("uatest: transfer %s: %w", c.id, ua.ErrNotAnswered)
	}
	c.mu.Lock()
	c.transferTo = target
	c.mu.Unlock()
	c.set(ua.CallEnded, 0, "transferred")
	return nil
}

// TransferredTo returns the target the device transferred the call to.
func (c *Call) TransferredTo() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.transferTo
}

// OnHold reports whether the device holds the call.
func (c *Call) OnHold() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.onHold
}

// Sent returns the DTMF digits the device sent.
func (c *Call) Sent() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return string(c.sent)
}

// Rejected returns the code the device rejected the call with, or 0.
func (c *Call) Rejected() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.rejected
}

// Ring makes an outgoing call ring (180).
func (c *Call) Ring() { c.set(ua.CallRinging, 180, "180 Ringing") }

// RemoteAnswer makes the far end answer an outgoing call (200).
func (c *Call) RemoteAnswer() { c.set(ua.CallAnswered, 200, "answered") }

// RemoteHangup ends the call from the far end (BYE, or CANCEL before answer).
func (c *Call) RemoteHangup() {
	reason := "BYE from peer"
	if c.State() < ua.CallAnswered {
		reason = "cancelled by caller"
	}
	c.set(ua.CallEnded, 0, reason)
}

// RemoteTransfer makes the far end hand the answered call to peer (a
// REFER the UA followed): the call goes on with peer.
func (c *Call) RemoteTransfer(peer string) {
	c.mu.Lock()
	ok := c.state == ua.CallAnswered
	if ok {
		c.peer = peer
	}
	c.mu.Unlock()
	if ok {
		c.f.emit(ua.Event{Kind: ua.EventCallState, CallID: c.id, Peer: peer, State: ua.CallAnswered,
			Code: 200, Reason: "transferred", Transferred: true})
	}
}

// Fail ends an outgoing call with a SIP status (e.g. 486, 603, 408).
func (c *Call) Fail(code int) { c.set(ua.CallEnded, code, ua.Status(code).String()) }

// ReceiveDTMF delivers a digit from the far end.
func (c *Call) ReceiveDTMF(d byte) {
	c.f.emit(ua.Event{Kind: ua.EventDTMF, CallID: c.id, Peer: c.Peer(), Digit: d})
}
