package device

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// This file is the door: DTMF code, relay pulse, door contact, and the
// deadlines of the whole machine.

// code collects DTMF digits and recognises the door code at the end of
// what was typed; a pause longer than timeout forgets the digits.
type code struct {
	digits   string
	timeout  time.Duration
	buf      []byte
	deadline time.Time
}

// add appends d and reports whether the code is now complete (then the
// digits are forgotten), or whether d ended a wrong attempt: it is the
// code's last key (its terminator, such as "#") and what was typed
// before it is not the code.
func (c *code) add(d byte, now time.Time) (done, wrong bool) {
	if c.digits == "" {
		return false, false
	}
	c.buf = append(c.buf, d)
	n := len(c.digits)
	if len(c.buf) > n {
		c.buf = append(c.buf[:0], c.buf[len(c.buf)-n:]...)
	}
	if string(c.buf) == c.digits {
		c.reset()
		return true, false
	}
	c.deadline = now.Add(c.timeout)
	last := c.digits[n-1]
	if d == last && (len(c.buf) == n || !strings.Contains(c.digits[:n-1], string(last))) {
		c.reset()
		return false, true
	}
	return false, false
}

func (c *code) reset() { c.buf, c.deadline = c.buf[:0], time.Time{} }

func (m *door) digit(ctx context.Context, d byte) {
	now := m.now()
	if k := m.cfg.Call.ExtendKey; k != "" && d == k[0] {
		if m.cfg.Call.TimeLimit > 0 { // the key is never part of a code
			m.setLimit(now)
			m.play(CueExtended)
			m.d.log.Info("call extended", "peer", m.peer, "limit", m.cfg.Call.TimeLimit)
		}
		return
	}
	if !m.mayOpen && !m.codesOn() { // with access codes, keys are never logged
		m.d.log.Debug("DTMF ignored: the caller may not open the door", "peer", m.peer, "digit", string(d))
	}
	done, wrong := m.code.add(d, now)
	who := m.peer
	if m.incoming {
		who = m.caller.Identity
	}
	legacy := ""
	if done && m.mayOpen {
		legacy = who
	}
	if m.accessKey(ctx, d, legacy) {
		return
	}
	switch {
	case done && m.mayOpen:
		_ = m.openDoor(ctx, who)
	case done || wrong:
		why := "wrong door code"
		if !m.mayOpen {
			why = m.whyNotInCall()
		}
		if !m.refused { // once per call; the source's interval limits more
			m.refused = true
			m.refuse(m.caller.Source, "door not opened: "+why, "peer", m.peer, "caller", m.caller.String())
		}
	}
}

// whyNotInCall says why the party of the call may not open the door.
func (m *door) whyNotInCall() string {
	if m.incoming {
		return m.whyNot(m.caller)
	}
	return "the called party " + m.peer + " is not in door.allowed and door.targets_may_open is off"
}

// openDoor pulses the first relay and reports who opened the door.
func (m *door) openDoor(ctx context.Context, who string) error {
	return m.openRelay(ctx, 0, who, "")
}

// openRelay pulses relay i (0-based) and reports who opened it, and how
// when the history cannot tell ("dtmf", "keypad"; "" otherwise).
func (m *door) openRelay(_ context.Context, i int, who, how string) error {
	if now := m.now(); now.Before(m.blockUntil) {
		m.d.log.Warn("door not opened: the relays are blocked after a tamper alarm", "who", who, "relay", i+1,
			"left", m.blockUntil.Sub(now).Round(time.Second))
		return fmt.Errorf("device: open relay %d for %s: %w", i+1, who, ErrTamperBlocked)
	}
	p := Pattern{Kind: Pulse, Duration: m.cfg.Door.pulse(i)}
	if err := m.d.out.Set(DoorRelay, i, p); err != nil {
		m.d.log.Error("cannot open the door", "who", who, "relay", i+1, "err", err)
		return fmt.Errorf("device: open relay %d for %s: %w", i+1, who, err)
	}
	now := m.now()
	if i == 0 {
		m.leds[DoorRelay] = p
		m.relayUntil = now.Add(p.Duration)
	}
	m.play(CueDoorOpened)
	m.d.log.Info("door opened", "who", who, "relay", i+1, "pulse", p.Duration, "how", how)
	m.d.emit(Event{Kind: EventDoorOpened, Who: who, Relay: i + 1, How: how})
	if h := m.cfg.Door.HangupAfterOpen; h > 0 && m.st == connected {
		m.hangupAt = now.Add(h)
	}
	return nil
}

func (m *door) contactOpened() {
	if m.contactOpen {
		return
	}
	now := m.now()
	m.contactOpen, m.openedAt = true, now
	if m.relayUntil.After(now) {
		m.relayUntil = time.Time{}
		m.setLED(DoorRelay, Pattern{Kind: Off})
		m.d.log.Info("door contact open: relay released early")
	} else {
		m.d.log.Info("door contact open")
	}
	m.d.emit(Event{Kind: EventDoorContactOpen})
	if a := m.cfg.Door.LeftOpenAlarm; a > 0 {
		m.alarmAt = now.Add(a)
	}
}

func (m *door) contactClosed() {
	if !m.contactOpen {
		return
	}
	open := m.now().Sub(m.openedAt)
	m.contactOpen, m.alarmAt = false, time.Time{}
	m.d.log.Info("door closed", "open", open)
	m.d.emit(Event{Kind: EventDoorClosed, Open: open})
}

// The machine's deadlines, in the order ties are handled.
const (
	dlRing = iota
	dlWarn
	dlLimit
	dlHangup
	dlDigits
	dlRelay
	dlAlarm
	dlEntry
	dlPad
	dlDND
	numDeadlines
)

// deadline returns where deadline i is kept (zero: not pending).
func (m *door) deadline(i int) *time.Time {
	switch i {
	case dlRing:
		return &m.ringUntil
	case dlWarn:
		return &m.warnAt
	case dlLimit:
		return &m.limitAt
	case dlHangup:
		return &m.hangupAt
	case dlDigits:
		return &m.code.deadline
	case dlRelay:
		return &m.relayUntil
	case dlAlarm:
		return &m.alarmAt
	case dlEntry:
		return &m.entry.deadline
	case dlDND:
		return &m.dndAt
	}
	return &m.pad.deadline
}

// fire does what deadline i is for.
func (m *door) fire(ctx context.Context, i int, now time.Time) {
	switch i {
	case dlRing:
		m.ringTimeout(ctx)
	case dlWarn:
		m.play(CueWarning)
		m.d.log.Info("call time limit near", "peer", m.peer, "left", m.cfg.Call.WarningBefore)
	case dlLimit:
		m.endCall(ctx, "call time limit reached")
	case dlHangup:
		m.endCall(ctx, "the door was opened")
	case dlDigits:
		m.code.reset()
	case dlRelay:
		m.leds[DoorRelay] = Pattern{Kind: Off} // the board ended the pulse
	case dlEntry:
		m.entry.reset()
	case dlPad:
		m.pad.reset()
	case dlDND:
		m.scheduleDND()
	case dlAlarm:
		open := now.Sub(m.openedAt)
		m.d.log.Warn("door left open", "open", open)
		m.d.emit(Event{Kind: EventDoorLeftOpen, Open: open})
	}
}

// due runs the deadlines at or before now, earliest first.
func (m *door) due(ctx context.Context, now time.Time) {
	for {
		first := -1
		var at time.Time
		for i := range numDeadlines {
			t := *m.deadline(i)
			if !t.IsZero() && !t.After(now) && (first < 0 || t.Before(at)) {
				first, at = i, t
			}
		}
		if first < 0 {
			return
		}
		*m.deadline(first) = time.Time{}
		m.fire(ctx, first, now)
	}
}

// next is the earliest pending deadline, zero when none.
func (m *door) next() time.Time {
	var n time.Time
	for i := range numDeadlines {
		if t := *m.deadline(i); !t.IsZero() && (n.IsZero() || t.Before(n)) {
			n = t
		}
	}
	return n
}
