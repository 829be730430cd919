package device

import (
	"context"
	"time"
)

// This file is where the keys of door.access codes meet the door: DTMF
// in a call and the board's keypad.

// entry collects the keys of an access code until "#".
type entry struct {
	buf      []byte
	deadline time.Time
}

func (e *entry) reset() { e.buf, e.deadline = e.buf[:0], time.Time{} }

// accessKey takes DTMF key d of the call for an access code. It reports
// whether d ended a code entry ("#" after other keys) and was handled
// here. When d also completes door.code for a party that may open
// (legacy names who), a code that is nobody's opens relay 1 for legacy
// as door.code does, and is not counted as a wrong code.
func (m *door) accessKey(ctx context.Context, d byte, legacy string) bool {
	if !m.codesOn() {
		return false
	}
	source := m.peer
	if m.incoming {
		source = m.caller.Identity
	}
	if source == "" { // only a verified caller, or a party the door called
		return false
	}
	return m.key(ctx, &m.entry, d, legacy, source, "dtmf")
}

// keypadKey takes a key of the door's keypad for an access code. The
// keypad is one source: its wrong codes lock the keypad out.
func (m *door) keypadKey(ctx context.Context, d byte) {
	if !m.codesOn() {
		m.d.log.Debug("keypad key ignored: device.door.access has no users")
		return
	}
	if a := m.cfg.Door.Access; d == '#' && len(m.pad.buf) > 0 && !inWindows(a.KeypadWindows, m.now(), m.access.loc) {
		m.pad.reset()
		m.refuse("keypad-hours", "keypad code ignored: outside device.door.access.keypad_windows", "how", "keypad")
		return
	}
	m.key(ctx, &m.pad, d, "", "keypad", "keypad")
}

// key adds d to the code being entered in e from source (how: "dtmf",
// "keypad"), and checks the code when d is "#".
func (m *door) key(ctx context.Context, e *entry, d byte, legacy, source, how string) bool {
	if d != '#' {
		if len(e.buf) < maxCodeKeys {
			e.buf = append(e.buf, d)
		}
		e.deadline = m.now().Add(m.cfg.Door.InterDigitTimeout)
		return false
	}
	if len(e.buf) == 0 {
		return false
	}
	code := string(e.buf)
	e.reset()
	return m.checkCode(ctx, source, code, how, legacy)
}

// checkCode hands the code to the check worker, which opens the relays
// of the user whose code it is (settleCode); it never logs the code. A
// code that is nobody's opens relay 1 for legacy when legacy is set
// (door.code was keyed too). A locked-out source's code is dropped at
// once, unhashed.
func (m *door) checkCode(ctx context.Context, source, code, how, legacy string) bool {
	now := m.now()
	if err := m.access.locked(source, now); err != nil {
		// A bucket of its own, so that the wrong codes just logged do
		// not hide that the source is now ignored.
		m.refuse("locked:"+source, "door code ignored: locked out", "source", source, "how", how, "reason", err.Error())
		return true
	}
	m.submitCheck(ctx, checkJob{source: source, code: code, how: how, at: now, legacy: legacy})
	return true
}
