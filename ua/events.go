package ua

import (
	"fmt"
	"log/slog"
	"time"
)

// RegState is the state of one account's registration.
type RegState int

// Registration states, as shown by LEDs and the status page.
const (
	Unregistered RegState = iota
	Registering
	Registered
	RegFailed
)

func (s RegState) String() string {
	return [...]string{"unregistered", "registering", "registered", "failed"}[s]
}

// CallState is the state of one call.
type CallState int

// Call states. A call moves forward only: Calling/Incoming → Ringing →
// Answered → Ended (Ringing may be skipped).
const (
	CallCalling  CallState = iota // outgoing, INVITE sent
	CallIncoming                  // incoming, not yet ringing
	CallRinging                   // 180/183 received, or ringing here
	CallAnswered                  // 2xx sent/received and confirmed
	CallEnded
)

func (s CallState) String() string {
	return [...]string{"calling", "incoming", "ringing", "answered", "ended"}[s]
}

// EventKind says which fields of an Event are set.
type EventKind int

// Event kinds.
const (
	EventRegistration EventKind = iota // Account, Reg, Reason, Code
	EventIncomingCall                  // CallID, Peer, Caller: a call arrived (answer or reject it unless auto-answering)
	EventCallState                     // CallID, Peer, State, Reason, Code, Held
	EventDTMF                          // CallID, Digit
)

func (k EventKind) String() string {
	return [...]string{"registration", "incoming", "call", "dtmf"}[k]
}

// Event is one thing the device may react to. No SIP types leak through.
type Event struct {
	Kind    EventKind
	Time    time.Time
	Account string // address of record of a registration, e.g. "sip:door@pbx"
	Reg     RegState
	CallID  string    // the Call handle's ID()
	Peer    string    // remote party URI
	State   CallState // for EventCallState
	Held    bool      // the peer has put the call on hold
	Code    int       // SIP status code behind the change, 0 when none
	Reason  string    // human-readable cause ("486 Busy Here", "ring timeout", "BYE from peer")
	Digit   byte      // '0'-'9', '*', '#', 'A'-'D' for EventDTMF
	// Caller is who an incoming call is from as far as it was verified
	// (EventIncomingCall). Door rights go by Caller.Identity, never Peer.
	Caller Caller
	// AlertInfo is the incoming INVITE's Alert-Info header (at most
	// MaxAlertInfo bytes; EventIncomingCall): how the PBX asks a phone to
	// ring (distinctive ring). The caller may write it: for the bell only.
	AlertInfo string
	// Incoming: the call was placed by the peer (call events).
	Incoming bool
	// EarlyMedia: a 183 with SDP started the peer's audio before the
	// answer (EventCallState, State CallRinging): stop the local ringback.
	EarlyMedia bool
	// Transferred: the peer handed the call on (REFER) and Peer is the
	// party it was handed to, now connected in its place (EventCallState,
	// State CallAnswered).
	Transferred bool
	// Dialog is the call's SIP dialog as on the wire, once known (call
	// events): what dialog-info (RFC 4235) NOTIFYs carry, so that a BLF key
	// can pick the call up with INVITE + Replaces.
	Dialog DialogID
	// SRTP names the crypto suite of the call's media once it is
	// negotiated and encrypted (call events, ua/srtp.go); "" for plain
	// RTP.
	SRTP string
}

// DialogID names a call's SIP dialog as on the wire. The tags are ours
// (Local) and the peer's (Remote); Remote is empty until the peer
// answered or rang with a tag.
type DialogID struct {
	CallID, LocalTag, RemoteTag string
}

func (e Event) String() string {
	switch e.Kind {
	case EventRegistration:
		return fmt.Sprintf("registration %s %s %s", e.Account, e.Reg, e.Reason)
	case EventDTMF:
		return fmt.Sprintf("dtmf %s %c", e.CallID, e.Digit)
	}
	return fmt.Sprintf("%s %s %s %s %s", e.Kind, e.CallID, e.Peer, e.State, e.Reason)
}

// emit publishes ev without ever blocking the UA: when the consumer lags
// and the buffer is full, the event is dropped and logged.
func (u *UA) emit(ev Event) {
	ev.Time = u.clock.Now()
	select {
	case u.events <- ev:
	default:
		// A flood of admitted calls can fill the queue: one line per
		// interval, the rest counted in its summary.
		u.dropLog.Log(slog.LevelWarn, "events", "event dropped: consumer too slow", "event", ev.String())
	}
}

// Events returns the channel of registration, call and DTMF events. It is
// never closed; read it for the UA's lifetime.
func (u *UA) Events() <-chan Event { return u.events }
