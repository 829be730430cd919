package device

import (
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// EventKind names what happened at the door.
type EventKind int

// The events a door station emits, for presence, messages and webhooks.
const (
	EventRegistration    EventKind = iota + 1 // Account, Reg: a registration changed state
	EventRang                                 // Button, Targets: a visitor pressed a button; calls go out
	EventAnswered                             // Button, Peer, Incoming: a call is connected
	EventMissed                               // Button, Targets: nobody answered
	EventBusy                                 // Button, Targets: every target was busy or declined
	EventCallEnded                            // Peer, Reason: a connected or cancelled call is over
	EventDoorOpened                           // Who: the relay released the door
	EventDoorLeftOpen                         // Open: the door contact stayed open past the alarm time
	EventDoorClosed                           // Open: the door contact reports the door closed again
	EventDoorContactOpen                      // the door contact reports the door open
	EventTamper                               // the tamper switch reports the housing opened
	EventTamperCleared                        // the tamper switch reports the housing closed again
	EventDND                                  // On: do-not-disturb was switched on or off (switch or command)
	EventAudioFault                           // Reason: the speaker/microphone self-test failed
	EventAudioOK                              // Reason: the speaker/microphone self-test passed
	EventLockout                              // Who (the source), How, Open (for how long): wrong door codes locked a source out
)

// String names the kind, e.g. "door-opened".
func (k EventKind) String() string {
	switch k {
	case EventRegistration:
		return "registration"
	case EventRang:
		return "rang"
	case EventAnswered:
		return "answered"
	case EventMissed:
		return "missed"
	case EventBusy:
		return "busy"
	case EventCallEnded:
		return "call-ended"
	case EventDoorOpened:
		return "door-opened"
	case EventDoorLeftOpen:
		return "door-left-open"
	case EventDoorClosed:
		return "door-closed"
	case EventDoorContactOpen:
		return "door-contact-open"
	case EventTamper:
		return "tamper"
	case EventTamperCleared:
		return "tamper-cleared"
	case EventDND:
		return "dnd"
	case EventAudioFault:
		return "audio-fault"
	case EventAudioOK:
		return "audio-ok"
	case EventLockout:
		return "lockout"
	}
	return fmt.Sprintf("event(%d)", int(k))
}

// Event is one thing that happened, with the fields its kind names.
type Event struct {
	Kind     EventKind
	Time     time.Time
	Account  string   // EventRegistration
	Reg      RegState // EventRegistration
	Button   int      // rang, answered (outgoing), missed, busy
	Targets  []string // rang, missed, busy
	Peer     string   // answered, call-ended: the other party
	Incoming bool     // answered: an incoming (monitoring) call
	Reason   string   // call-ended: why
	Who      string   // door-opened: the peer URI whose DTMF opened it, "api:<user>", or "code:<user>"
	Relay    int      // door-opened: which relay (1 is the first)
	How      string   // door-opened: "dtmf" or "keypad" for a user's code ("" otherwise)
	Open     time.Duration
	On       bool // dnd: on or off
}

// String renders the event for logs and tests.
func (e Event) String() string {
	switch e.Kind {
	case EventRegistration:
		return fmt.Sprintf("registration %s %s", e.Account, e.Reg)
	case EventRang, EventMissed, EventBusy:
		return fmt.Sprintf("%s button=%d targets=%v", e.Kind, e.Button, e.Targets)
	case EventAnswered:
		return fmt.Sprintf("answered %s incoming=%v", e.Peer, e.Incoming)
	case EventCallEnded:
		return fmt.Sprintf("call-ended %s (%s)", e.Peer, e.Reason)
	case EventDoorOpened:
		if e.Relay > 1 {
			return fmt.Sprintf("door-opened by %s (relay %d)", e.Who, e.Relay)
		}
		return "door-opened by " + e.Who
	case EventDoorLeftOpen, EventDoorClosed:
		return fmt.Sprintf("%s after %v", e.Kind, e.Open)
	}
	return e.Kind.String()
}

// hub fans events out to subscribers without ever blocking the state
// machine: a subscriber whose buffer is full misses the event (logged).
type hub struct {
	log    *slog.Logger
	mu     sync.Mutex
	subs   map[int]chan Event
	nextID int
	closed bool
}

func (h *hub) subscribe(buf int) (<-chan Event, func()) {
	h.mu.Lock()
	defer h.mu.Unlock()
	ch := make(chan Event, max(buf, 1))
	if h.closed {
		close(ch)
		return ch, func() {}
	}
	if h.subs == nil {
		h.subs = map[int]chan Event{}
	}
	id := h.nextID
	h.nextID++
	h.subs[id] = ch
	return ch, func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		if c, ok := h.subs[id]; ok {
			delete(h.subs, id)
			close(c)
		}
	}
}

func (h *hub) publish(e Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, ch := range h.subs {
		select {
		case ch <- e:
		default:
			h.log.Warn("device event dropped: subscriber too slow", "event", e.String())
		}
	}
}

// close ends every subscription (their channels close).
func (h *hub) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for id, ch := range h.subs {
		delete(h.subs, id)
		close(ch)
	}
}
