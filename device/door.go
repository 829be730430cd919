package device

import (
	"context"
	"log/slog"
	"time"
)

// doorState is where the door station's call is.
type doorState int

const (
	idle      doorState = iota
	calling             // a button's targets are ringing
	answering           // an incoming call is being answered
	connected           // a call is up
)

// leg is one outgoing call: to one target (hunt) or to all of a
// button's targets at once (parallel).
type leg struct {
	id      string
	targets []string
}

// door is the door-station state machine. Only Run's goroutine touches it.
type door struct {
	d       *Device
	cfg     Config
	allowed partyList
	st      doorState

	// The outgoing attempt (calling).
	button     int
	btn        Button
	leg        *leg // the ringing call, nil when none
	nextTarget int  // hunt: the next target to dial
	busy       int  // legs that ended busy or declined
	failed     int  // legs that ended otherwise (no answer, error, timeout)
	ringUntil  time.Time

	// The call (answering, connected).
	callID, peer string
	incoming     bool
	caller       Caller // incoming: who called, as verified
	monitorID    string // a second call answered during the call (door.monitor)
	mayOpen      bool
	refused      bool // a door code was refused in this call (logged once)
	limitAt      time.Time
	warnAt       time.Time
	hangupAt     time.Time

	code   code
	access *access // door.access: users and guests
	entry  entry   // the access code being entered by DTMF
	pad    entry   // the access code being entered on the keypad

	// The check worker (access_check.go), started on the first code.
	checks     chan checkJob
	checkDone  chan struct{}
	pending    map[string]int // codes being checked, by source
	pendingAll int            // codes being checked
	syncs      []syncReq      // waiting for the pending codes (tests)

	relayUntil  time.Time
	tampered    bool      // the tamper switch reports the housing open
	dndSwitch   bool      // the do-not-disturb switch is on
	dndCommand  bool      // do-not-disturb set by command (MQTT, API)
	dndShown    bool      // do-not-disturb as last reported (EventDND)
	dndAt       time.Time // when device.dnd's windows are looked at next
	blockUntil  time.Time // the relays stay shut until then (door.tamper_block)
	contactOpen bool
	openedAt    time.Time // when the contact opened
	alarmAt     time.Time

	regs  map[string]RegState
	leds  map[Output]Pattern
	since time.Time // when st last changed
}

func (s doorState) String() string {
	return [...]string{"idle", "calling", "answering", "connected"}[s]
}

// enter moves to state st.
func (m *door) enter(st doorState) {
	if st != m.st {
		m.st, m.since = st, m.now()
	}
}

func (m *door) status() Status {
	s := Status{Mode: ModeDoor, Call: m.st.String(), Peer: m.peer, Incoming: m.incoming, Since: m.since,
		DoorOpen: m.contactOpen, Relay: m.relayUntil.After(m.now()), DND: m.dndShown, Registrations: map[string]string{}}
	for a, r := range m.regs {
		s.Registrations[a] = r.String()
	}
	return s
}

func newDoor(d *Device) *door {
	return &door{d: d, cfg: d.cfg, allowed: d.allowed,
		code:   code{digits: d.cfg.Door.Code, timeout: d.cfg.Door.InterDigitTimeout},
		access: newAccess(d.cfg.Door.Access),
		regs:   map[string]RegState{},
		// The board starts with every output off.
		leds: map[Output]Pattern{StatusLED: {Kind: Off}, CallLED: {Kind: Off}, DoorRelay: {Kind: Off}}}
}

func (m *door) now() time.Time { return m.d.clock.Now() }

func (m *door) start(context.Context) {
	m.since = m.now()
	m.loadAccess()
	m.scheduleDND()
	m.setLED(StatusLED, m.statusPattern())
	m.d.log.Info("door station ready", "buttons", len(m.cfg.Buttons))
}

// setLED sets an output's pattern unless it already plays it.
func (m *door) setLED(o Output, p Pattern) {
	if cur, ok := m.leds[o]; ok && cur == p {
		return
	}
	if err := m.d.out.Set(o, 0, p); err != nil {
		m.d.log.Warn("cannot set output", "output", o.String(), "pattern", p.String(), "err", err)
		return
	}
	m.leds[o] = p
}

func (m *door) play(c Cue) {
	if err := m.d.sounds.Play(c); err != nil {
		m.d.log.Warn("cannot play cue", "cue", c.String(), "err", err)
	}
}

func (m *door) silence() {
	if err := m.d.sounds.Stop(); err != nil {
		m.d.log.Warn("cannot stop cue", "err", err)
	}
}

func (m *door) hangup(ctx context.Context, id string) {
	if err := m.d.phone.Hangup(ctx, id); err != nil {
		m.d.log.Warn("hang up failed", "call", id, "err", err)
	}
}

func (m *door) input(ctx context.Context, in Input) {
	switch in.Kind {
	case ButtonPress:
		m.press(ctx, in.Button)
	case DoorContactOpen:
		m.contactOpened()
	case DoorContactClosed:
		m.contactClosed()
	case KeypadKey:
		m.keypadKey(ctx, in.Digit)
	case TamperOn, TamperOff:
		m.tamper(in.Kind == TamperOn)
	case DNDOn, DNDOff:
		m.setDND("switch", in.Kind == DNDOn)
	}
}

func (m *door) press(ctx context.Context, i int) {
	if m.st == answering { // a visitor goes before a call still ringing in
		m.d.log.Info("call from "+m.peer+" dropped: a visitor pressed the button", "peer", m.peer)
		m.hangup(ctx, m.callID)
		m.toIdle()
	}
	if m.st == idle {
		if i < 0 || i >= len(m.cfg.Buttons) || len(m.cfg.Buttons[i].Targets) == 0 {
			m.d.log.Warn("button pressed but it has no targets configured", "button", i)
			return
		}
		if m.dnd() {
			m.pressDND(ctx, i)
			return
		}
		m.startCall(ctx, i)
		return
	}
	if m.incoming || i != m.button || !m.cfg.Call.EndOnButton {
		m.d.log.Debug("button ignored during a call", "button", i)
		return
	}
	if m.st == calling {
		m.hangup(ctx, m.leg.id)
		m.silence()
		m.d.log.Info("call cancelled by the visitor", "button", i)
		m.d.emit(Event{Kind: EventCallEnded, Peer: "", Reason: "cancelled by the visitor"})
		m.toIdle()
		return
	}
	m.endCall(ctx, "the visitor pressed the button again")
}

func (m *door) phone(ctx context.Context, ev PhoneEvent) {
	switch ev.Kind {
	case PhoneRegistration:
		m.registration(ev)
	case PhoneIncoming:
		m.incomingCall(ctx, ev)
	case PhoneCallState:
		if m.monitorState(ev) {
			return
		}
		if m.leg != nil && ev.CallID == m.leg.id {
			m.legState(ctx, ev)
		} else if ev.CallID == m.callID && m.st != idle {
			m.callState(ev)
		}
	case PhoneDTMF:
		if ev.CallID == m.callID && m.st == connected {
			m.digit(ctx, ev.Digit)
		}
	}
}

func (m *door) registration(ev PhoneEvent) {
	if old, ok := m.regs[ev.Account]; ok && old == ev.Reg {
		return
	}
	m.regs[ev.Account] = ev.Reg
	switch ev.Reg {
	case RegFailed:
		m.d.log.Warn("registration failed", "account", ev.Account, "code", ev.Code, "reason", ev.Reason)
	case Registered:
		m.d.log.Info("registered", "account", ev.Account, "reason", ev.Reason)
	default:
		m.d.log.Info("registration "+ev.Reg.String(), "account", ev.Account, "code", ev.Code, "reason", ev.Reason)
	}
	m.d.emit(Event{Kind: EventRegistration, Account: ev.Account, Reg: ev.Reg})
	m.setLED(StatusLED, m.statusPattern())
}

// statusPattern is the status LED for the registrations.
func (m *door) statusPattern() Pattern { return statusPattern(m.d.p2p, m.regs) }

// statusPattern is the status LED of either mode: double blink when any
// account failed, on when all are registered (or, peer to peer, none is
// expected), slow blink otherwise (registering).
func statusPattern(p2p bool, regs map[string]RegState) Pattern {
	if p2p && len(regs) == 0 {
		return Pattern{Kind: On}
	}
	all := len(regs) > 0
	for _, s := range regs {
		if s == RegFailed {
			return Pattern{Kind: DoubleBlink}
		}
		all = all && s == Registered
	}
	if all {
		return Pattern{Kind: On}
	}
	return Pattern{Kind: SlowBlink}
}

// incomingCall takes a call the UA admitted (sip.allow_from, sip.callers
// and the accounts' registrars decide who may call at all). This is the
// one place that decides whether it is answered: when door.allowed names
// callers, a caller whose verified identity is not among them is refused
// at once (never answered: the door's microphone is not for anyone who
// may call); otherwise the call is answered when auto_answer is on, and
// left ringing (until sip.ring_timeout) when it is off. Only a verified
// caller in door.allowed may open the door.
func (m *door) incomingCall(ctx context.Context, ev PhoneEvent) {
	if m.st != idle {
		if m.monitorCall(ctx, ev) {
			return
		}
		m.d.log.Info("call from "+ev.Peer+" rejected: the door station is in a call", "peer", ev.Peer)
		m.hangup(ctx, ev.CallID)
		return
	}
	mayOpen := m.allowed.allowsCaller(ev.Caller)
	if len(m.allowed) > 0 && !mayOpen {
		m.refuse(ev.Caller.Source, "call from "+ev.Peer+" refused: "+m.whyNot(ev.Caller),
			"peer", ev.Peer, "caller", ev.Caller.String())
		m.hangup(ctx, ev.CallID)
		return
	}
	m.enter(answering)
	m.callID, m.peer, m.incoming, m.caller = ev.CallID, ev.Peer, true, ev.Caller
	m.mayOpen = mayOpen
	if !m.cfg.AutoAnswer {
		m.d.log.Info("call from "+ev.Peer+": not answered here (auto_answer is off)", "peer", ev.Peer)
		return
	}
	// When Answer fails (the call is gone, or could not be answered) the
	// UA's next event for the call still decides.
	if err := m.d.phone.Answer(ctx, ev.CallID); err != nil {
		m.d.log.Warn("call from "+ev.Peer+": answer failed", "peer", ev.Peer, "err", err)
		return
	}
	m.d.log.Info("call from "+ev.Peer+": answering", "peer", ev.Peer, "caller", ev.Caller.String())
}

// whyNot says why caller may not open the door (or be answered).
func (m *door) whyNot(c Caller) string {
	switch {
	case len(m.allowed) == 0:
		return "door.allowed is empty, so no caller may open the door"
	case c.Identity == "":
		return "the caller's identity is not verified (the From header proves nothing: " +
			"list it in sip.callers, or call through the registrar, which asserts it)"
	}
	return "caller " + c.String() + " is not in door.allowed"
}

// refuse logs a refusal a stranger can trigger: once per source per
// interval when the device has a RefusalLog.
func (m *door) refuse(source, msg string, args ...any) {
	if m.d.refusals != nil {
		m.d.refusals.Log(slog.LevelInfo, source, msg, args...)
		return
	}
	m.d.log.Info(msg, args...)
}

// callState follows the one call in answering or connected state.
func (m *door) callState(ev PhoneEvent) {
	switch ev.State {
	case CallAnswered:
		if m.st == answering {
			m.connect(ev.Peer)
		} else if m.st == connected && ev.Transferred {
			m.transferred(ev.Peer)
		}
	case CallEnded:
		reason := ev.Reason
		if reason == "" {
			reason = "ended by the other side"
		}
		m.d.log.Info("call ended", "peer", m.peer, "reason", reason, "code", ev.Code, "call", m.callID)
		m.d.emit(Event{Kind: EventCallEnded, Peer: m.peer, Reason: reason})
		m.toIdle()
	}
}

// transferred follows the call to the party it was handed to: the door
// rights never grow by a transfer (the new party may open only when the
// old one could and it is a party the door may call or an allowed one).
func (m *door) transferred(peer string) {
	m.mayOpen = m.mayOpen && (m.cfg.Door.TargetsMayOpen || m.allowed.allows(peer))
	m.d.log.Info("call transferred", "from", m.peer, "to", peer, "may_open", m.mayOpen, "call", m.callID)
	m.peer = peer
	m.code.reset()
}

// connect enters the connected state with the call in m.callID.
func (m *door) connect(peer string) {
	if peer != "" {
		m.peer = peer
	}
	m.enter(connected)
	m.setLimit(m.now())
	m.setLED(CallLED, Pattern{Kind: On})
	e := Event{Kind: EventAnswered, Peer: m.peer, Incoming: m.incoming}
	if !m.incoming {
		e.Button = m.button
	}
	m.d.emit(e)
	m.d.log.Info("call answered", "peer", m.peer, "incoming", m.incoming, "call", m.callID)
}

func (m *door) setLimit(now time.Time) {
	m.limitAt, m.warnAt = time.Time{}, time.Time{}
	if tl := m.cfg.Call.TimeLimit; tl > 0 {
		m.limitAt = now.Add(tl)
		if wb := m.cfg.Call.WarningBefore; wb > 0 {
			m.warnAt = m.limitAt.Add(-wb)
		}
	}
}

// endCall hangs up the connected (or answering) call for reason.
func (m *door) endCall(ctx context.Context, reason string) {
	m.hangup(ctx, m.callID)
	m.d.log.Info("hanging up: "+reason, "peer", m.peer)
	m.d.emit(Event{Kind: EventCallEnded, Peer: m.peer, Reason: reason})
	m.toIdle()
}

// toIdle forgets the call and switches the call LED off.
func (m *door) toIdle() {
	m.enter(idle)
	m.leg = nil
	m.callID, m.peer, m.incoming, m.mayOpen = "", "", false, false
	m.caller, m.refused = Caller{}, false
	m.ringUntil, m.limitAt, m.warnAt, m.hangupAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	m.code.reset()
	m.entry.reset()
	m.setLED(CallLED, Pattern{Kind: Off})
}

func (m *door) stop(ctx context.Context) {
	if m.leg != nil {
		m.hangup(ctx, m.leg.id)
	}
	if m.callID != "" {
		m.hangup(ctx, m.callID)
	}
	if m.monitorID != "" {
		m.hangup(ctx, m.monitorID)
		m.monitorID = ""
	}
	if m.st != idle {
		m.silence()
	}
	m.toIdle()
	m.stopChecks()
	m.d.log.Info("door station stopped")
}
