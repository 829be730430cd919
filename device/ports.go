package device

import (
	"context"
	"fmt"
	"time"
)

// This file holds the small interfaces through which the device sees the
// world. cmd/sipbell adapts the real board, user agent and audio to them.

// InputKind says what happened on a board input.
type InputKind int

// The input kinds the door station reacts to.
const (
	ButtonPress InputKind = iota + 1
	ButtonRelease
	ButtonLongPress
	DoorContactOpen   // the door-contact input reports the door open
	DoorContactClosed // the door-contact input reports the door closed

	// The analog phone's (ATA) inputs: raw contact edges, stamped with
	// Input.Time (the phone decodes pulses and flashes from the timing).
	HookOff       // the hook switch closed the loop (handset lifted)
	HookOn        // the hook switch opened the loop (handset down, or a dial pulse/flash break)
	DialBreak     // the rotary dial's pulse contact opened (one pulse's break)
	DialMake      // the rotary dial's pulse contact closed again
	DialOffNormal // the rotary dial left its rest position (a digit is being dialled)
	DialAtRest    // the rotary dial is back at rest
	HandsetDigit  // a DTMF key heard in the handset's capture (Input.Digit)

	// The door station's other inputs.
	KeypadKey // a key of the door's keypad (Input.Digit: '0'-'9', '*', '#')
	TamperOn  // the tamper switch reports the housing opened
	TamperOff // the tamper switch reports the housing closed again
	DNDOn     // the do-not-disturb switch was turned on
	DNDOff    // the do-not-disturb switch was turned off
)

// String names the kind, e.g. "press".
func (k InputKind) String() string {
	switch k {
	case ButtonPress:
		return "press"
	case ButtonRelease:
		return "release"
	case ButtonLongPress:
		return "long-press"
	case DoorContactOpen:
		return "door-open"
	case DoorContactClosed:
		return "door-closed"
	case HookOff:
		return "hook-off"
	case HookOn:
		return "hook-on"
	case DialBreak:
		return "dial-break"
	case DialMake:
		return "dial-make"
	case DialOffNormal:
		return "dial-off-normal"
	case DialAtRest:
		return "dial-at-rest"
	case HandsetDigit:
		return "handset-digit"
	case KeypadKey:
		return "keypad-key"
	case TamperOn:
		return "tamper-on"
	case TamperOff:
		return "tamper-off"
	case DNDOn:
		return "dnd-on"
	case DNDOff:
		return "dnd-off"
	}
	return fmt.Sprintf("input(%d)", int(k))
}

// Input is one debounced board input change.
type Input struct {
	Kind   InputKind
	Button int // which call button (0-based), for the button kinds
	// Time is when the edge happened (the board's event time); zero means
	// "when the device handles it". The phone's pulse decoder needs it.
	Time  time.Time
	Digit byte // HandsetDigit, KeypadKey: '0'-'9', '*', '#', 'A'-'D'
}

// Output names an output the device drives.
type Output int

// The outputs of a door station.
const (
	StatusLED Output = iota + 1
	CallLED
	DoorRelay
	// The analog phone's (ATA) outputs.
	Ringer       // the bell (index 0): the Ring pattern rings it at Pattern.Hz, Off stops it
	LineReversal // On: line polarity reversed (slic F/R with RM low), for caller-ID signalling
)

// String names the output, e.g. "call LED".
func (o Output) String() string {
	switch o {
	case StatusLED:
		return "status LED"
	case CallLED:
		return "call LED"
	case DoorRelay:
		return "door relay"
	case Ringer:
		return "ringer"
	case LineReversal:
		return "line reversal"
	}
	return fmt.Sprintf("output(%d)", int(o))
}

// PatternKind names an output pattern (the same set the board plays).
type PatternKind int

// The pattern kinds.
const (
	Off PatternKind = iota
	On
	SlowBlink   // registering
	FastBlink   // ringing
	DoubleBlink // error
	Pulse       // on for Pattern.Duration, then off (door relay)
	// Ring drives the ringer's waveform at Pattern.Hz until the next Set
	// (the device plays the cadence: Ring for the "on" parts, Off between).
	Ring
)

// Pattern is what an output does over time.
type Pattern struct {
	Kind     PatternKind
	Duration time.Duration // Pulse only
	Hz       int           // Ring only: the ring frequency (20, 25, 50 Hz)
}

// String names the pattern, e.g. "fast blink", "pulse 3s".
func (p Pattern) String() string {
	switch p.Kind {
	case Off:
		return "off"
	case On:
		return "on"
	case SlowBlink:
		return "slow blink"
	case FastBlink:
		return "fast blink"
	case DoubleBlink:
		return "double blink"
	case Pulse:
		return "pulse " + p.Duration.String()
	case Ring:
		return fmt.Sprintf("ring %d Hz", p.Hz)
	}
	return fmt.Sprintf("pattern(%d)", int(p.Kind))
}

// Outputs drives the board's outputs. Set replaces the output's pattern
// at once and must not block (the board plays patterns on its own
// scheduler); a Pulse ends by itself.
type Outputs interface {
	Set(out Output, index int, p Pattern) error
}

// RegState is the state of one SIP registration.
type RegState int

// Registration states.
const (
	Unregistered RegState = iota
	Registering
	Registered
	RegFailed
)

// String names the state, e.g. "registered".
func (s RegState) String() string {
	switch s {
	case Unregistered:
		return "unregistered"
	case Registering:
		return "registering"
	case Registered:
		return "registered"
	case RegFailed:
		return "failed"
	}
	return fmt.Sprintf("reg(%d)", int(s))
}

// CallState is the state of one call leg.
type CallState int

// Call states; a call only moves forward and ends with CallEnded.
const (
	CallCalling  CallState = iota // outgoing, request sent
	CallIncoming                  // incoming, not yet answered
	CallRinging                   // the far end rings
	CallAnswered                  // connected
	CallEnded                     // over; Code and Reason say why
)

// String names the state, e.g. "answered".
func (s CallState) String() string {
	switch s {
	case CallCalling:
		return "calling"
	case CallIncoming:
		return "incoming"
	case CallRinging:
		return "ringing"
	case CallAnswered:
		return "answered"
	case CallEnded:
		return "ended"
	}
	return fmt.Sprintf("call(%d)", int(s))
}

// PhoneEventKind says which fields of a PhoneEvent are set.
type PhoneEventKind int

// The phone event kinds.
const (
	PhoneRegistration   PhoneEventKind = iota + 1 // Account, Reg, Reason
	PhoneIncoming                                 // CallID, Peer, Caller: a call arrived
	PhoneCallState                                // CallID, Peer, State, Code, Reason
	PhoneDTMF                                     // CallID, Digit
	PhoneTransferFailed                           // CallID, Reason: a transfer the analog phone asked for failed
)

// PhoneEvent is one thing the user agent reports. It carries no SIP
// types: peers are URI strings, codes are plain ints.
type PhoneEvent struct {
	Kind    PhoneEventKind
	Account string // address of record, for PhoneRegistration
	Reg     RegState
	CallID  string // the ID Dial returned, or the incoming call's ID
	Peer    string // remote party URI ("sip:1001@pbx", "<sip:..>" and display names are fine)
	State   CallState
	Code    int    // SIP status behind the change (486, 603, ...), 0 when none
	Reason  string // human-readable cause ("486 Busy Here", "BYE from peer")
	Digit   byte   // '0'-'9', '*', '#', 'A'-'D'
	// Caller is who an incoming call is from, as the user agent verified
	// it (PhoneIncoming). Door rights go by it, never by Peer.
	Caller Caller
	// AlertInfo is the incoming call's Alert-Info (PhoneIncoming): the
	// analog phone picks its ring cadence by it (distinctive ring).
	AlertInfo string
	// Transferred: the far end handed the connected call on (REFER) and
	// Peer is the party now in it (PhoneCallState, CallAnswered).
	Transferred bool
	// EarlyMedia: the ringing call's far end sends audio before the
	// answer (an announcement, queue music): PhoneCallState, CallRinging.
	EarlyMedia bool
}

// Caller is the verified identity of an incoming call's caller.
type Caller struct {
	// Identity is what was verified: a SIP URI a trusted proxy asserted
	// ("sip:alice@pbx.example") or a user the device knows itself
	// ("alice", sip.callers); "" when nothing was verified.
	Identity string
	// Via says how: "proxy", "digest" or "network"; "" when unverified.
	Via string
	// Source is where the call came from (address:port), for logs.
	Source string
	// Name is the verified caller's display name (what a trusted proxy
	// asserted), for caller ID; "" when none.
	Name string
}

// String describes the caller for logs.
func (c Caller) String() string {
	if c.Identity == "" {
		return "unverified"
	}
	return c.Identity + " (verified by " + c.Via + ")"
}

// Phone is what the device needs of the SIP user agent. Every method
// must return promptly (send the request and return; never wait for the
// far end): the outcome arrives later as PhoneEvents carrying the call ID.
type Phone interface {
	// Dial starts one outgoing call ringing every one of targets at once
	// (SIP URIs or users of the registrar's domain; the device passes one
	// target for hunt order, all of a button's targets for parallel) and
	// returns the call's ID. The first target to answer takes the call
	// (its URI in the Answered event's Peer) and the others are
	// cancelled; when none answers, the Ended event's Code is 486, 600 or
	// 603 if every target was busy or declined.
	Dial(ctx context.Context, targets []string) (callID string, err error)
	// Answer accepts an incoming call.
	Answer(ctx context.Context, callID string) error
	// Hangup ends a call in any state: CANCEL while ringing out, a
	// rejection while incoming, BYE when connected.
	Hangup(ctx context.Context, callID string) error
}

// Cue is a sound the visitor hears at the door.
type Cue int

// The cues. Ringback repeats until stopped or replaced; the others play
// once.
const (
	CueRingback   Cue = iota + 1 // the call is ringing
	CueBusy                      // the line is busy
	CueNoAnswer                  // nobody answered (a prompt or a tone)
	CueDoorOpened                // the door opens
	CueWarning                   // the call time limit is near
	CueExtended                  // the resident extended the call
)

// String names the cue, e.g. "ringback".
func (c Cue) String() string {
	switch c {
	case CueRingback:
		return "ringback"
	case CueBusy:
		return "busy"
	case CueNoAnswer:
		return "no-answer"
	case CueDoorOpened:
		return "door-opened"
	case CueWarning:
		return "warning"
	case CueExtended:
		return "extended"
	}
	return fmt.Sprintf("cue(%d)", int(c))
}

// Sounds plays cues to the visitor. Play replaces whatever cue is playing
// and Stop silences it; both return at once.
type Sounds interface {
	Play(c Cue) error
	Stop() error
}

// Clock is the time source of every device timer, injected so tests can
// use a fake one (devicetest.Clock).
type Clock interface {
	Now() time.Time
	// NewTimer returns a timer that delivers on C after d.
	NewTimer(d time.Duration) Timer
}

// Timer is the part of *time.Timer the device uses.
type Timer interface {
	C() <-chan time.Time
	Stop() bool
}

// SystemClock is the real clock.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// NewTimer wraps time.NewTimer.
func (SystemClock) NewTimer(d time.Duration) Timer { return sysTimer{time.NewTimer(d)} }

type sysTimer struct{ t *time.Timer }

func (t sysTimer) C() <-chan time.Time { return t.t.C }
func (t sysTimer) Stop() bool          { return t.t.Stop() }
