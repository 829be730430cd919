package device

import (
	"context"
)

// This file follows a blind transfer after the handset was put down: the
// call was handed on (REFER); when the transfer fails the call is still
// there, on hold, and rings the bell again (recall) rather than being
// dropped.

// transferFailed is the callback a CallControl calls when the transfer
// of call id to target fails: it queues a PhoneTransferFailed event for
// Run (until ctx ends).
func (d *Device) transferFailed(ctx context.Context, id, target string) func(error) {
	return func(err error) {
		reason := "transfer to " + target + " failed"
		if err != nil {
			reason += ": " + err.Error()
		}
		if err := d.PhoneEvent(ctx, PhoneEvent{Kind: PhoneTransferFailed, CallID: id, Reason: reason}); err != nil && ctx.Err() == nil {
			d.log.Warn("a failed transfer was not handed to the phone", "call", id, "err", err)
		}
	}
}

// transferFailed: the call handed on is still there. An idle phone rings
// for it (off hook resumes it); a phone in a call keeps it on hold beside
// that call (a flash swaps); otherwise it is hung up.
func (m *phone) transferFailed(ctx context.Context, ev PhoneEvent) {
	if ev.CallID == "" || ev.CallID != m.handed.id {
		return
	}
	c := m.handed
	m.handed, m.handedTo = other{}, ""
	switch {
	case m.st == phIdle && !m.off:
		m.d.log.Warn("transfer failed: the held call rings back", "peer", c.peer, "reason", ev.Reason)
		m.recall(c)
	case m.st == phConnected && m.second.none() && m.cfg.CallWaiting:
		m.d.log.Warn("transfer failed: the call stays on hold, flash to swap", "peer", c.peer, "reason", ev.Reason)
		m.second = c
	default:
		m.d.log.Warn("transfer failed and the phone is busy: hanging the held call up", "peer", c.peer, "reason", ev.Reason)
		m.hangup(ctx, c.id)
		m.d.emit(Event{Kind: EventCallEnded, Peer: c.peer, Reason: ev.Reason})
	}
}

// handedState follows the call handed on: its end is the transfer's
// success.
func (m *phone) handedState(ev PhoneEvent) {
	if ev.State != CallEnded {
		return
	}
	c, to := m.handed, m.handedTo
	m.handed, m.handedTo = other{}, ""
	m.d.emit(Event{Kind: EventCallEnded, Peer: c.peer, Reason: "transferred to " + to})
}
