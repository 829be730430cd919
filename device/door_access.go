package device

import (
	"context"
	"errors"
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

// accessOf is the access table of c, nil when it has no users.
func accessOf(c AccessConfig) *access {
	if len(c.Users) == 0 {
		return nil
	}
	return newAccess(c)
}

// accessKey takes DTMF key d of the call for an access code. It reports
// whether d ended a code entry ("#" after other keys) and was handled
// here. When d also completes door.code for a party that may open
// (legacy), a code that is nobody's is left to door.code (relay 1) and
// not counted as a wrong code.
func (m *door) accessKey(ctx context.Context, d byte, legacy bool) bool {
	if m.access == nil {
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
	if m.access == nil {
		m.d.log.Debug("keypad key ignored: device.door.access has no users")
		return
	}
	if a := m.cfg.Door.Access; d == '#' && len(m.pad.buf) > 0 && !inWindows(a.KeypadWindows, m.now(), m.access.loc) {
		m.pad.reset()
		m.refuse("keypad-hours", "keypad code ignored: outside device.door.access.keypad_windows", "how", "keypad")
		return
	}
	m.key(ctx, &m.pad, d, false, "keypad", "keypad")
}

// key adds d to the code being entered in e from source (how: "dtmf",
// "keypad"), and checks the code when d is "#".
func (m *door) key(ctx context.Context, e *entry, d byte, legacy bool, source, how string) bool {
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

// checkCode opens the relays of the user whose code was entered; it
// never logs the code. It reports false for a code that is nobody's
// when legacy (door.code opens instead).
func (m *door) checkCode(ctx context.Context, source, code, how string, legacy bool) bool {
	u, err := m.access.check(source, code, m.now(), !legacy)
	switch {
	case legacy && errors.Is(err, ErrWrongCode):
		return false
	case err == nil:
		who := "code:" + u.Name
		for _, r := range u.relays() {
			_ = m.openRelay(ctx, r, who, how)
		}
	case errors.Is(err, ErrCodeNotNow):
		m.d.log.Info("door not opened: the code is not valid now", "user", u.Name, "how", how, "reason", err.Error())
	case errors.Is(err, ErrNowLockedOut): // once per lock-out and source
		m.d.log.Warn("door codes locked out: too many wrong codes", "source", source, "how", how,
			"for", m.access.lockout)
	case errors.Is(err, ErrLockedOut):
		// A bucket of its own, so that the wrong codes just logged do
		// not hide that the source is now ignored.
		m.refuse("locked:"+source, "door code ignored: locked out", "source", source, "how", how, "reason", err.Error())
	default:
		m.refuse(source, "door not opened: wrong code", "source", source, "how", how)
	}
	return true
}
