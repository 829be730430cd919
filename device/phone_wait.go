package device

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sipbell/sipbell/audio/tone"
)

// This file is the analog phone's second call: call waiting, hook-flash
// swapping, recall on hang-up with a call on hold, and blind transfer
// (flash, dial, hang up).

// CallControl is what the analog phone asks of a Phone beyond Phone for
// call waiting and transfer; a Phone without it gets neither (and turns
// calls away with Hangup). The methods take a call ID of the Phone's.
type CallControl interface {
	// Hold puts an answered call on hold (re-INVITE sendonly).
	Hold(ctx context.Context, callID string) error
	// Resume takes it off hold (re-INVITE sendrecv).
	Resume(ctx context.Context, callID string) error
	// Transfer hands an answered call to target (REFER, blind); it
	// returns once the transfer is under way. On success the call's end
	// follows as its events; when the transfer fails the call goes on
	// (held) and failed is called once, from any goroutine, with why.
	Transfer(ctx context.Context, callID, target string, failed func(error)) error
	// Reject turns a ringing incoming call away with a status code.
	Reject(ctx context.Context, callID string, code int) error
}

// CallFollower is what a Handset may add for call waiting: the handset's
// microphone goes to one call only, the one the phone talks in (the held
// call hears none of it).
type CallFollower interface {
	// Follow gives the microphone to callID.
	Follow(callID string) error
}

// follow gives the handset's microphone to the active call.
func (m *phone) follow() {
	f, ok := m.d.handset.(CallFollower)
	if !ok || m.callID == "" {
		return
	}
	if err := f.Follow(m.callID); err != nil {
		m.d.log.Warn("the microphone stays with the other call", "call", m.callID, "err", err)
	}
}

// ErrNoCallControl is returned when the Phone cannot hold, resume,
// transfer or reject.
var ErrNoCallControl = errors.New("the phone's user agent cannot hold or transfer calls")

// BusyHere is the status code a call gets that the phone turns away
// (off hook without call waiting, or do not disturb).
const BusyHere = 486

// other is the phone's second call: one waiting (ringing in the earpiece
// during a call) or one on hold.
type other struct {
	id, peer string
	caller   Caller
	waiting  bool // not answered yet: the call-waiting tone plays
	incoming bool
}

func (o *other) none() bool { return o.id == "" }

func (m *phone) control() (CallControl, error) {
	cc, ok := m.d.phone.(CallControl)
	if !ok {
		return nil, ErrNoCallControl
	}
	return cc, nil
}

// reject turns an incoming call away with code, or hangs it up when the
// Phone cannot reject with a code.
func (m *phone) reject(ctx context.Context, id string, code int) {
	cc, err := m.control()
	if err != nil {
		m.hangup(ctx, id)
		return
	}
	if err := cc.Reject(ctx, id, code); err != nil {
		m.d.log.Warn("reject failed", "call", id, "code", code, "err", err)
	}
}

// hold and resume log what fails: the call goes on either way.
func (m *phone) hold(ctx context.Context, id string, on bool) bool {
	cc, err := m.control()
	if err == nil {
		if on {
			err = cc.Hold(ctx, id)
		} else {
			err = cc.Resume(ctx, id)
		}
	}
	if err != nil {
		m.d.log.Warn("hold failed", "call", id, "hold", on, "err", err)
		return false
	}
	return true
}

// waitingCall: a call arrives during a call with call waiting on. It
// reports false when the phone cannot take it as a waiting call.
func (m *phone) waitingCall(ev PhoneEvent) bool {
	if !m.cfg.CallWaiting || m.st != phConnected || !m.second.none() || m.xfer != "" {
		return false
	}
	if _, err := m.control(); err != nil {
		return false
	}
	m.second = other{id: ev.CallID, peer: ev.Peer, caller: ev.Caller, waiting: true, incoming: true}
	m.d.log.Info("call waiting", "peer", ev.Peer, "caller", ev.Caller.String())
	m.d.emit(Event{Kind: EventRang, Peer: ev.Peer, Button: -1, Targets: []string{ev.Peer}, Incoming: true})
	m.play(tone.CallWaiting, 0)
	m.startCWCallerID(ev)
	return true
}

// flashInCall: a hook flash during a call answers the waiting call
// (holding this one), swaps to the held call, or holds this call and
// gives dial tone for a transfer.
func (m *phone) flashInCall(ctx context.Context) {
	m.cwStop()
	if m.toneOn {
		m.quiet()
	}
	cur := other{id: m.callID, peer: m.peer, caller: m.caller, incoming: m.incoming}
	if !m.hold(ctx, m.callID, true) {
		return
	}
	switch {
	case m.second.waiting:
		m.d.log.Info("flash: answering the waiting call, holding the other", "peer", m.second.peer, "held", cur.peer)
		m.callID, m.peer, m.caller, m.incoming = m.second.id, m.second.peer, m.second.caller, true
		m.second = cur
		m.enter(phAnswering)
		m.follow()
		if err := m.d.phone.Answer(ctx, m.callID); err != nil {
			m.d.log.Warn("answer failed", "peer", m.peer, "err", err)
		}
	case !m.second.none():
		m.d.log.Info("flash: swapping calls", "to", m.second.peer, "held", cur.peer)
		m.hold(ctx, m.second.id, false)
		m.callID, m.peer, m.caller, m.incoming = m.second.id, m.second.peer, m.second.caller, m.second.incoming
		m.second = cur
		m.follow()
		m.d.emit(Event{Kind: EventAnswered, Peer: m.peer, Incoming: m.incoming, Button: -1})
	default:
		m.d.log.Info("flash: call on hold, dial the number to transfer it to", "held", cur.peer)
		m.xfer, m.xferTo = cur.id, ""
		m.xferCall = cur
		m.callID, m.peer = "", ""
		m.dialTone(ctx)
	}
}

// flashInTransfer: a flash while dialling a transfer target takes the
// held call back.
func (m *phone) flashInTransfer(ctx context.Context) {
	if m.toneOn {
		m.quiet()
	}
	c := m.xferCall
	m.xfer, m.xferTo, m.xferCall = "", "", other{}
	m.digits, m.digitAt, m.warmAt = "", time.Time{}, time.Time{}
	m.hold(ctx, c.id, false)
	m.callID, m.peer, m.caller, m.incoming = c.id, c.peer, c.caller, c.incoming
	m.enter(phConnected)
	m.follow()
	m.d.log.Info("flash: transfer abandoned, back to the call", "peer", m.peer)
}

// transferTarget: the dial plan produced the transfer's target; the
// phone waits for on hook (or a flash to take the call back).
func (m *phone) transferTarget(number string) {
	m.xferTo = number
	m.lastCall = number
	m.digitAt, m.warmAt = time.Time{}, time.Time{}
	m.d.log.Info("transfer target dialled: hang up to transfer, flash to go back", "target", number, "held", m.xferCall.peer)
	m.play(tone.Ringback, 0) // the caller's cue that hanging up will hand the call on
}

// onHookSecond handles putting the handset down with a second call or a
// transfer in progress; it reports whether it did.
func (m *phone) onHookSecond(ctx context.Context) bool {
	m.cwStop()
	switch {
	case m.xfer != "":
		c := m.xferCall
		to := m.xferTo
		m.xfer, m.xferTo, m.xferCall = "", "", other{}
		if to == "" { // no target yet: the held call rings back
			m.recall(c)
			return true
		}
		cc, err := m.control()
		if err == nil {
			err = cc.Transfer(ctx, c.id, to, m.d.transferFailed(ctx, c.id, to))
		}
		if err != nil {
			m.d.log.Warn("transfer failed: the held call rings back", "peer", c.peer, "target", to, "err", err)
			m.recall(c)
			return true
		}
		m.d.log.Info("call transferred", "peer", c.peer, "target", to)
		m.handed, m.handedTo = c, to
		m.toIdle()
		return true
	case m.second.none():
		return false
	}
	if m.callID != "" {
		m.hangup(ctx, m.callID)
		m.d.log.Info("hanging up: the handset was put down", "peer", m.peer, "call", m.callID)
		m.d.emit(Event{Kind: EventCallEnded, Peer: m.peer, Reason: "hung up"})
	}
	c := m.second
	m.second = other{}
	if c.waiting { // the waiting call now rings the bell
		m.toIdle()
		m.enter(phRinging)
		m.callID, m.peer, m.incoming, m.caller = c.id, c.peer, true, c.caller
		m.d.log.Info("call from "+c.peer+": ringing", "peer", c.peer)
		m.ring.begin(m, m.cfg.ringCadence(""), nil)
		return true
	}
	m.recall(c)
	return true
}

// recall rings the bell for the held call c; off hook resumes it.
func (m *phone) recall(c other) {
	m.toIdle()
	m.enter(phRinging)
	m.callID, m.peer, m.incoming, m.caller = c.id, c.peer, c.incoming, c.caller
	m.recalled = true
	m.d.log.Info("recall: a call is on hold, ringing", "peer", c.peer)
	m.ring.begin(m, m.cfg.ringCadence(""), nil)
}

// resumeRecalled takes the recalled call off hold (off hook).
func (m *phone) resumeRecalled(ctx context.Context) {
	m.ring.stop(m)
	m.recalled = false
	m.hold(ctx, m.callID, false)
	m.enter(phConnected)
	m.follow()
	m.d.log.Info("recalled call resumed", "peer", m.peer)
}

// secondState follows the second call's (or the call held for a
// transfer's) events; it reports whether ev was one of them.
func (m *phone) secondState(ev PhoneEvent) bool {
	switch {
	case ev.CallID == "":
		return false
	case ev.CallID == m.xfer:
		if ev.State == CallEnded {
			m.d.log.Info("the held call ended", "peer", m.xferCall.peer, "reason", ev.Reason)
			m.d.emit(Event{Kind: EventCallEnded, Peer: m.xferCall.peer, Reason: ev.Reason})
			m.xfer, m.xferCall = "", other{}
			if m.st == phDialing && m.xferTo != "" {
				m.quiet()
			}
			m.xferTo = ""
		}
		return true
	case ev.CallID == m.handed.id:
		m.handedState(ev)
		return true
	case ev.CallID != m.second.id:
		return false
	}
	if ev.State != CallEnded {
		return true
	}
	c := m.second
	m.second = other{}
	m.d.log.Info("the other call ended", "peer", c.peer, "waiting", c.waiting, "reason", ev.Reason)
	if c.waiting {
		m.cwStop()
		if m.toneOn && m.tone == tone.CallWaiting {
			m.quiet()
		}
		m.d.emit(Event{Kind: EventMissed, Peer: c.peer, Button: -1, Targets: []string{c.peer}})
		return true
	}
	m.d.emit(Event{Kind: EventCallEnded, Peer: c.peer, Reason: ev.Reason})
	return true
}

// endedWithSecond: the active call ended while another waits or is held.
// A waiting call keeps its tone: a flash answers it; a held call is taken
// back with a flash. It reports whether it handled the end.
func (m *phone) endedWithSecond(ev PhoneEvent) bool {
	if m.second.none() || (m.st != phConnected && m.st != phAnswering) {
		return false
	}
	m.d.emit(Event{Kind: EventCallEnded, Peer: m.peer, Reason: ev.Reason})
	m.d.log.Info("the call ended; flash for the other one", "peer", m.peer, "other", m.second.peer)
	m.cwStop()
	m.enter(phDead)
	m.callID, m.peer, m.incoming = "", "", false
	if m.second.waiting {
		m.play(tone.CallWaiting, 0)
	}
	return true
}

// flashDead: a flash after the active call ended takes the other call.
func (m *phone) flashDead(ctx context.Context) bool {
	if m.second.none() {
		return false
	}
	if m.toneOn {
		m.quiet()
	}
	c := m.second
	m.second = other{}
	m.callID, m.peer, m.caller, m.incoming = c.id, c.peer, c.caller, c.incoming
	m.follow()
	if c.waiting {
		m.enter(phAnswering)
		if err := m.d.phone.Answer(ctx, c.id); err != nil {
			m.d.log.Warn("answer failed", "peer", c.peer, "err", err)
		}
		return true
	}
	m.hold(ctx, c.id, false)
	m.enter(phConnected)
	m.d.emit(Event{Kind: EventAnswered, Peer: m.peer, Incoming: m.incoming, Button: -1})
	return true
}

// stopSecond hangs up the second call (the phone stops).
func (m *phone) stopSecond(ctx context.Context) {
	for _, id := range []string{m.second.id, m.xfer} {
		if id != "" {
			m.hangup(ctx, id)
		}
	}
	m.second, m.xfer, m.xferTo, m.xferCall = other{}, "", "", other{}
}

// String names a second call for the log.
func (o other) String() string {
	return fmt.Sprintf("%s (%s) waiting=%v", o.peer, o.id, o.waiting)
}
