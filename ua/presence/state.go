package presence

import "fmt"

// State is what the door station is doing, as watchers see it.
type State int

// States, from the device's events: Idle (registered, nothing going on),
// Ringing (a visitor's call is ringing out, or a call rings here), InCall
// (a call is connected), Away (the door is left open or an error holds)
// and Offline (the device is stopping or cannot take calls).
const (
	Idle State = iota
	Ringing
	InCall
	Away
	Offline
)

// String names the state ("idle", "ringing", ...).
func (s State) String() string {
	switch s {
	case Idle:
		return "idle"
	case Ringing:
		return "ringing"
	case InCall:
		return "in-call"
	case Away:
		return "away"
	case Offline:
		return "offline"
	}
	return fmt.Sprintf("state(%d)", int(s))
}

// Status is a state with an optional note that replaces the default one
// (e.g. "Door left open").
type Status struct {
	State State
	Note  string
}

// Text returns the note shown to watchers: Note, or the state's default.
func (s Status) Text() string {
	if s.Note != "" {
		return s.Note
	}
	switch s.State {
	case Idle:
		return "Available"
	case Ringing:
		return "Ringing"
	case InCall:
		return "On the phone"
	case Away:
		return "Away"
	}
	return "Offline"
}

// PIDF renders s for entity: basic open unless Offline, and the RPID
// activity phones and Asterisk use (busy while ringing, on-the-phone in a
// call, away), with the note in the tuple and the person.
func (s Status) PIDF(entity, contact string) PIDF {
	p := PIDF{Entity: entity, Tuples: []Tuple{{ID: "sipbell", Basic: Open, Contact: contact, Note: s.Text()}}}
	switch s.State {
	case Ringing:
		p.Activities = []Activity{ActivityBusy}
	case InCall:
		p.Activities = []Activity{ActivityOnThePhone}
	case Away:
		p.Activities = []Activity{ActivityAway}
	case Offline:
		p.Tuples[0].Basic = Closed
	}
	if len(p.Activities) > 0 {
		p.PersonNote = s.Text()
	}
	return p
}

// StatusOf reads a watcher's view back from a PIDF document (the inverse
// of Status.PIDF, tolerant of other servers' bodies).
func StatusOf(p PIDF) Status {
	st := Status{State: Idle, Note: p.Note()}
	switch {
	case !p.Open():
		st.State = Offline
	case p.Has(ActivityOnThePhone):
		st.State = InCall
	case p.Has(ActivityBusy):
		st.State = Ringing
	case p.Has(ActivityAway):
		st.State = Away
	}
	return st
}
