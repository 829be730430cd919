package device

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/sipbell/sipbell/audio/tone"
	"github.com/sipbell/sipbell/device/dialplan"
)

// This file is the phone's calls: digits through the dial plan to a
// call, the call's progress tones, and the user agent's events.

// maxDigits bounds what the phone collects (E.164 has 15 digits; a SIP
// user or a prefix and a PIN a few more).
const maxDigits = 32

// digit takes one dialled digit (from DTMF, the rotary dial or hook
// pulses) while collecting digits.
func (m *phone) digit(ctx context.Context, d byte, from string) {
	if m.st != phDialing {
		m.d.log.Debug("digit ignored", "digit", string(d), "from", from, "state", m.st.String())
		return
	}
	if m.digits == "" && m.toneOn {
		m.quiet() // dial tone stops at the first digit
	}
	m.warmAt = time.Time{}
	if len(m.digits) >= maxDigits {
		m.dead(tone.Congestion, "more digits than any number has")
		return
	}
	m.digits += string(d)
	m.d.log.Debug("digit", "digit", string(d), "from", from, "digits", m.digits)
	m.match(ctx, m.plan.Match(m.digits))
}

// timerRanOut: the inter-digit timer ran out.
func (m *phone) timerRanOut(ctx context.Context) {
	if m.st != phDialing {
		return
	}
	m.match(ctx, m.plan.Match(m.digits+"T"))
}

// match acts on the dial plan's verdict.
func (m *phone) match(ctx context.Context, r dialplan.Result) {
	switch r.Status {
	case dialplan.FullUnique:
		m.d.log.Info("dialling", "digits", m.digits, "number", r.Number, "pattern", r.Pattern)
		m.place(ctx, r.Number)
	case dialplan.NoMatch:
		m.dead(tone.Congestion, "the digits "+m.digits+" match no number of the dial plan")
	default:
		m.digitAt = m.now().Add(m.plan.Timer(r.Timer))
	}
}

// place calls number.
func (m *phone) place(ctx context.Context, number string) {
	m.digitAt, m.warmAt = time.Time{}, time.Time{}
	if m.xfer != "" {
		m.transferTarget(number)
		return
	}
	m.lastCall = number
	if m.toneOn {
		m.quiet()
	}
	id, err := m.d.phone.Dial(ctx, []string{number})
	if err != nil {
		m.d.log.Warn("cannot call", "number", number, "err", err)
		m.dead(tone.Congestion, "the call could not be placed")
		return
	}
	m.enter(phCalling)
	m.callID, m.peer, m.incoming, m.early = id, number, false, false
	m.d.emit(Event{Kind: EventRang, Button: -1, Targets: []string{number}})
}

func (m *phone) phone(ctx context.Context, ev PhoneEvent) {
	switch ev.Kind {
	case PhoneRegistration:
		m.registration(ev)
	case PhoneIncoming:
		m.incomingCall(ctx, ev)
	case PhoneTransferFailed:
		m.transferFailed(ctx, ev)
	case PhoneCallState:
		if m.secondState(ev) {
			return
		}
		if ev.CallID == m.callID && m.callID != "" {
			m.callState(ev)
		}
	}
}

func (m *phone) registration(ev PhoneEvent) {
	if old, ok := m.regs[ev.Account]; ok && old == ev.Reg {
		return
	}
	m.regs[ev.Account] = ev.Reg
	m.d.log.Info("registration "+ev.Reg.String(), "account", ev.Account, "code", ev.Code, "reason", ev.Reason)
	m.d.emit(Event{Kind: EventRegistration, Account: ev.Account, Reg: ev.Reg})
	m.set(StatusLED, m.statusPattern())
}

// statusPattern is the status LED for the registrations, as the door
// station's.
func (m *phone) statusPattern() Pattern { return statusPattern(m.d.p2p, m.regs) }

// incomingCall rings the bell, unless the phone is busy or on DND.
func (m *phone) incomingCall(ctx context.Context, ev PhoneEvent) {
	if m.waitingCall(ev) {
		return
	}
	why := ""
	switch {
	case m.cfg.DND:
		why = "do not disturb is on"
	case m.off || m.st != phIdle:
		why = "the phone is off hook"
	}
	if why != "" {
		msg := "call from " + ev.Peer + " turned away: " + why
		if m.d.refusals != nil { // a caller can repeat this: once per source a while
			m.d.refusals.Log(slog.LevelInfo, ev.Caller.Source, msg, "peer", ev.Peer, "caller", ev.Caller.String())
		} else {
			m.d.log.Info(msg, "peer", ev.Peer, "caller", ev.Caller.String())
		}
		m.reject(ctx, ev.CallID, BusyHere)
		return
	}
	m.enter(phRinging)
	m.callID, m.peer, m.incoming, m.caller = ev.CallID, ev.Peer, true, ev.Caller
	m.d.log.Info("call from "+ev.Peer+": ringing", "peer", ev.Peer, "caller", ev.Caller.String())
	m.d.emit(Event{Kind: EventRang, Peer: ev.Peer, Button: -1, Targets: []string{ev.Peer}, Incoming: true})
	cadence := m.cfg.ringCadence(ev.AlertInfo)
	if ev.AlertInfo != "" {
		m.d.log.Debug("alert-info", "alert_info", ev.AlertInfo, "cadence", cadence)
	}
	m.ring.begin(m, cadence, m.callerID(ev))
}

// answer takes the ringing call (the handset was lifted).
func (m *phone) answer(ctx context.Context) {
	m.ring.stop(m)
	m.enter(phAnswering)
	m.follow()
	if err := m.d.phone.Answer(ctx, m.callID); err != nil {
		m.d.log.Warn("answer failed", "peer", m.peer, "err", err)
	}
}

// callState follows the call's progress.
func (m *phone) callState(ev PhoneEvent) {
	switch ev.State {
	case CallRinging:
		switch {
		case m.st != phCalling:
		case ev.EarlyMedia: // the far end's own audio (183): no local ringback
			m.early = true
			if m.toneOn {
				m.quiet()
			}
			m.d.log.Info("early media", "peer", m.peer)
		case !m.early && !(m.toneOn && m.tone == tone.Ringback):
			m.d.log.Info("ringing", "peer", m.peer)
			m.play(tone.Ringback, 0)
		}
	case CallAnswered:
		if m.st == phCalling || m.st == phAnswering {
			if m.toneOn {
				m.quiet()
			}
			if ev.Peer != "" && !m.incoming {
				m.peer = ev.Peer
			}
			m.enter(phConnected)
			m.d.log.Info("call answered", "peer", m.peer, "incoming", m.incoming, "call", m.callID)
			m.d.emit(Event{Kind: EventAnswered, Peer: m.peer, Incoming: m.incoming, Button: -1})
		}
	case CallEnded:
		m.ended(ev)
	}
}

// ended: the call is over from the far end (or failed).
func (m *phone) ended(ev PhoneEvent) {
	reason := ev.Reason
	if reason == "" {
		reason = "ended by the other side"
	}
	m.d.log.Info("call ended", "peer", m.peer, "reason", reason, "code", ev.Code, "call", m.callID)
	switch m.st {
	case phRinging:
		m.ring.stop(m)
		m.d.emit(Event{Kind: EventMissed, Peer: m.peer, Button: -1, Targets: []string{m.peer}})
		m.toIdle()
	case phCalling:
		if ev.Code == 486 || ev.Code == 600 {
			m.d.emit(Event{Kind: EventBusy, Button: -1, Targets: []string{m.peer}})
			m.dead(tone.Busy, "the number is busy")
			return
		}
		m.d.emit(Event{Kind: EventMissed, Button: -1, Targets: []string{m.peer}})
		m.dead(tone.Congestion, "the call failed: "+reason)
	case phAnswering, phConnected:
		if m.endedWithSecond(ev) {
			return
		}
		m.d.emit(Event{Kind: EventCallEnded, Peer: m.peer, Reason: reason})
		if m.off {
			m.dead(tone.Congestion, "the other side hung up")
			return
		}
		m.toIdle()
	}
}

// userOf is the user part of a SIP URI ("sip:alice@pbx" → "alice").
func userOf(uri string) string {
	s := strings.Trim(uri, "<> ")
	if i := strings.IndexByte(s, ':'); i >= 0 && !strings.Contains(s[:i], "@") {
		s = s[i+1:]
	}
	if i := strings.IndexAny(s, "@;>"); i >= 0 {
		s = s[:i]
	}
	return s
}
