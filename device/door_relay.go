package device

import (
	"context"
	"fmt"
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
// digits are forgotten).
func (c *code) add(d byte, now time.Time) bool {
	if c.digits == "" {
		return false
	}
	c.buf = append(c.buf, d)
	if n := len(c.digits); len(c.buf) > n {
		c.buf = append(c.buf[:0], c.buf[len(c.buf)-n:]...)
	}
	if string(c.buf) == c.digits {
		c.reset()
		return true
	}
	c.deadline = now.Add(c.timeout)
	return false
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
	if !m.mayOpen {
		m.d.log.Debug("DTMF ignored: the caller may not open the door", "peer", m.peer, "digit", string(d))
		return
	}
	if m.code.add(d, now) {
		_ = m.openDoor(ctx, m.peer)
	}
}

// openDoor pulses the relay and reports who opened the door.
func (m *door) openDoor(_ context.Context, who string) error {
	p := Pattern{Kind: Pulse, Duration: m.cfg.Door.RelayPulse}
	if err := m.d.out.Set(DoorRelay, 0, p); err != nil {
		m.d.log.Error("cannot open the door", "who", who, "err", err)
		return fmt.Errorf("device: open door for %s: %w", who, err)
	}
	now := m.now()
	m.leds[DoorRelay] = p
	m.relayUntil = now.Add(p.Duration)
	m.play(CueDoorOpened)
	m.d.log.Info("door opened", "who", who, "pulse", p.Duration)
	m.d.emit(Event{Kind: EventDoorOpened, Who: who})
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

// deadline is one pending timer of the machine and what it does.
type deadline struct {
	at  *time.Time
	run func(ctx context.Context, now time.Time)
}

func (m *door) deadlines() [7]deadline {
	return [...]deadline{
		{&m.ringUntil, func(ctx context.Context, _ time.Time) { m.ringTimeout(ctx) }},
		{&m.warnAt, func(context.Context, time.Time) {
			m.play(CueWarning)
			m.d.log.Info("call time limit near", "peer", m.peer, "left", m.cfg.Call.WarningBefore)
		}},
		{&m.limitAt, func(ctx context.Context, _ time.Time) { m.endCall(ctx, "call time limit reached") }},
		{&m.hangupAt, func(ctx context.Context, _ time.Time) { m.endCall(ctx, "the door was opened") }},
		{&m.code.deadline, func(context.Context, time.Time) { m.code.reset() }},
		{&m.relayUntil, func(context.Context, time.Time) { m.leds[DoorRelay] = Pattern{Kind: Off} }},
		{&m.alarmAt, func(_ context.Context, now time.Time) {
			open := now.Sub(m.openedAt)
			m.d.log.Warn("door left open", "open", open)
			m.d.emit(Event{Kind: EventDoorLeftOpen, Open: open})
		}},
	}
}

// due runs the deadlines at or before now, earliest first.
func (m *door) due(ctx context.Context, now time.Time) {
	for {
		var first *deadline
		ds := m.deadlines()
		for i := range ds {
			at := *ds[i].at
			if !at.IsZero() && !at.After(now) && (first == nil || at.Before(*first.at)) {
				first = &ds[i]
			}
		}
		if first == nil {
			return
		}
		*first.at = time.Time{}
		first.run(ctx, now)
	}
}

// next is the earliest pending deadline, zero when none.
func (m *door) next() time.Time {
	var n time.Time
	for _, d := range m.deadlines() {
		if !d.at.IsZero() && (n.IsZero() || d.at.Before(n)) {
			n = *d.at
		}
	}
	return n
}
