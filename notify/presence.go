package notify

import (
	"github.com/sipbell/sipbell/device"
	"github.com/sipbell/sipbell/ua/presence"
)

// PresenceTracker turns the device's events into the presence status to
// publish and notify: Ringing from "rang" until the call is answered or
// over, InCall while connected, Away while the door is left open (a call
// shows first), Idle otherwise. Feed it every event, in order; one
// goroutine only.
type PresenceTracker struct {
	call     presence.State // Idle, Ringing or InCall
	leftOpen bool
	audioBad bool // the last self-test found a fault
	last     presence.Status
}

// DoorLeftOpenNote is the note shown while the door is left open.
const DoorLeftOpenNote = "Door left open"

// AudioFaultNote is the note shown while the last self-test found the
// speaker or the microphone faulty (a door left open is shown first).
const AudioFaultNote = "Speaker or microphone fault"

// Apply records ev and returns the status to show and whether it changed.
func (t *PresenceTracker) Apply(ev device.Event) (presence.Status, bool) {
	switch ev.Kind {
	case device.EventRang:
		t.call = presence.Ringing
	case device.EventAnswered:
		t.call = presence.InCall
	case device.EventMissed, device.EventBusy, device.EventCallEnded:
		t.call = presence.Idle
	case device.EventDoorLeftOpen:
		t.leftOpen = true
	case device.EventDoorClosed:
		t.leftOpen = false
	case device.EventAudioFault:
		t.audioBad = true
	case device.EventAudioOK:
		t.audioBad = false
	}
	st := presence.Status{State: t.call}
	if t.call == presence.Idle && t.leftOpen {
		st = presence.Status{State: presence.Away, Note: DoorLeftOpenNote}
	} else if t.call == presence.Idle && t.audioBad {
		st = presence.Status{State: presence.Away, Note: AudioFaultNote}
	}
	changed := st != t.last
	t.last = st
	return st, changed
}
