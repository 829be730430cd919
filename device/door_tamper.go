package device

import (
	"errors"
	"time"
)

// ErrTamperBlocked is returned for an opening refused while the relays
// are blocked after a tamper alarm (door.tamper_block).
var ErrTamperBlocked = errors.New("relays blocked after a tamper alarm")

// tamper follows the tamper switch: the housing opened raises the tamper
// event (log, history, webhooks, messages, MQTT) and blocks the relays
// for door.tamper_block; closed again, tamper-cleared. Repeated edges
// are ignored.
func (m *door) tamper(open bool) {
	if open == m.tampered {
		return
	}
	m.tampered = open
	if !open {
		m.d.log.Info("tamper switch: the housing is closed again")
		m.d.emit(Event{Kind: EventTamperCleared})
		return
	}
	now := m.now()
	if b := m.cfg.Door.TamperBlock; b > 0 {
		m.blockUntil = now.Add(b)
		if m.relayUntil.After(now) { // a pulse going on is cut short
			m.relayUntil = time.Time{}
			m.setLED(DoorRelay, Pattern{Kind: Off})
		}
	}
	m.d.log.Warn("tamper alarm: the housing was opened", "relays_blocked_for", m.cfg.Door.TamperBlock)
	m.d.emit(Event{Kind: EventTamper})
}
