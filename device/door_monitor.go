package device

import "context"

// This file is door.monitor: a second call answered while a visitor call
// is on, for a verified caller in door.allowed (listening at the door).
// It never opens the door and never ends the visitor call; it lasts
// until its caller hangs up (or the device stops).

// monitorCall answers ev, a call arriving during a visitor call, when
// door.monitor is on, no monitoring call is up, and the caller's verified
// identity is in door.allowed. It reports whether it took the call.
func (m *door) monitorCall(ctx context.Context, ev PhoneEvent) bool {
	if !m.cfg.Door.Monitor || m.monitorID != "" || len(m.allowed) == 0 ||
		ev.Caller.Identity == "" || !m.allowed.allowsCaller(ev.Caller) {
		return false
	}
	if err := m.d.phone.Answer(ctx, ev.CallID); err != nil {
		m.d.log.Warn("monitoring call: answer failed", "peer", ev.Peer, "err", err)
		return false
	}
	m.monitorID = ev.CallID
	m.d.log.Info("monitoring call: answering during the visitor call",
		"peer", ev.Peer, "caller", ev.Caller.String())
	return true
}

// monitorState follows the monitoring call; it reports whether ev was
// about it.
func (m *door) monitorState(ev PhoneEvent) bool {
	if m.monitorID == "" || ev.CallID != m.monitorID {
		return false
	}
	if ev.State == CallEnded {
		m.monitorID = ""
		m.d.log.Info("monitoring call ended", "peer", ev.Peer, "code", ev.Code)
	}
	return true
}
