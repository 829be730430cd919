package device_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/sipbell/sipbell/device"
)

// relaySets lists the door relay patterns set, as "relay N pattern".
func relaySets(r *rig) []string {
	var s []string
	for _, x := range r.out.Sets() {
		if x.Output == device.DoorRelay {
			s = append(s, fmt.Sprintf("relay %d %s", x.Index+1, x.Pattern))
		}
	}
	return s
}

// TestAccessCodeInCall: in a call the door made, the resident keys
// users' codes: each pulses only its own relays, with its own pulse, and
// the event names the user, never the code; door.code still opens relay
// 1; an unverified caller's keys are no code entry; a wrong code is
// refused, and a pause forgets a part-typed code.
func TestAccessCodeInCall(t *testing.T) {
	t.Parallel()
	gate, err := device.HashCode("2468", nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig()
	cfg.Door.Code = "*0#"
	cfg.Call.ExtendKey = ""
	cfg.Door.Relays = []device.RelayConfig{{Name: "gate", Pulse: 7 * time.Second}}
	cfg.Door.Access.Users = []device.AccessUser{{Name: "gardener", CodeHash: gate, Relays: []int{2}}}
	r := newRig(t, cfg)
	r.press(0)
	r.state("c1", "sip:1001@pbx", device.CallAnswered, 200, "")
	r.dtmf("c1", "2468#")
	r.dtmf("c1", "1357#") // wrong
	r.dtmf("c1", "24")
	r.advance(cfg.Door.InterDigitTimeout)
	r.dtmf("c1", "68#") // the pause forgot "24"
	r.dtmf("c1", "*0#")
	r.wantSlice("relays", relaySets(r), []string{"relay 2 pulse 7s", "relay 1 pulse 3s"})
	r.wantSlice("events", r.eventStrings(), []string{"rang button=0 targets=[1001 1002]",
		"answered sip:1001@pbx incoming=false", "door-opened by code:gardener (relay 2)", "door-opened by sip:1001@pbx"})
	if how := r.events[2].How; how != "dtmf" {
		t.Errorf("opened how %q, want dtmf", how)
	}
}

// TestAccessCodeUnverifiedCaller: a caller whose identity nobody
// verified keys a right code: nothing opens.
func TestAccessCodeUnverifiedCaller(t *testing.T) {
	t.Parallel()
	h, err := device.HashCode("2468", nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig()
	cfg.Door.Code = ""
	cfg.Door.Access.Users = []device.AccessUser{{Name: "anna", CodeHash: h}}
	r := newRig(t, cfg)
	r.phone(device.PhoneEvent{Kind: device.PhoneIncoming, CallID: "in1", Peer: "sip:x@evil", State: device.CallIncoming,
		Caller: device.Caller{Source: "192.0.2.66"}})
	r.state("in1", "sip:x@evil", device.CallAnswered, 200, "")
	r.dtmf("in1", "2468#")
	r.wantSlice("relays", relaySets(r), nil)
}

// keypadStep is one step of a keypad test: keys on the keypad, a call
// the door makes and alice answers, DTMF in it, time passing.
type keypadStep struct {
	keypad  string
	call    bool
	dtmf    string
	advance time.Duration
}

// TestAccessKeypad: codes keyed on the door's keypad open the user's
// relays; the keypad's wrong codes lock the keypad out (not a caller's
// DTMF), and the lock-out heals; with door.code "#", a code that is
// nobody's still opens relay 1 for a party that may open. Outside
// access.keypad_windows the keypad's codes open nothing (and count as
// no wrong code); inside they do; DTMF in a call is not bound by them.
func TestAccessKeypad(t *testing.T) {
	t.Parallel()
	h, err := device.HashCode("7351", nil)
	if err != nil {
		t.Fatal(err)
	}
	pulse := "relay 1 pulse 3s"
	tests := []struct {
		name    string
		code    string        // door.code
		windows time.Duration // a keypad window this long from an hour after the start; 0: none
		steps   []keypadStep
		relays  []string
		openers []string // how and who of each opening
	}{
		{name: "lock-out per source, heals", code: "#", steps: []keypadStep{
			{keypad: "7351#"},
			{keypad: "0000#0000#"}, // locked out
			{keypad: "7351#"},      // ignored while locked out
			{call: true, dtmf: "7351#"},
			{dtmf: "9999#"}, // nobody's code: door.code "#" opens for the called party
			{advance: time.Minute},
			{keypad: "7351#"}, // healed
		}, relays: []string{pulse, pulse, pulse, pulse},
			openers: []string{"keypad code:anna", "dtmf code:anna", " sip:1001@pbx", "keypad code:anna"}},
		{name: "keypad windows", windows: time.Hour, steps: []keypadStep{
			{keypad: "7351#"}, // before the window
			{call: true, dtmf: "7351#"},
			{advance: 61 * time.Minute},
			{keypad: "7351#"}, // inside
		}, relays: []string{pulse, pulse}, openers: []string{"dtmf code:anna", "keypad code:anna"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.Door.Code = tt.code
			cfg.Door.Access.Users = []device.AccessUser{{Name: "anna", CodeHash: h}}
			cfg.Door.Access.MaxFailures = 2
			cfg.Door.Access.Lockout = time.Minute
			r := newRig(t, cfg)
			if tt.windows > 0 { // windows relative to the rig's clock
				from := r.clk.Now().UTC().Add(time.Hour)
				cfg.Door.Access.KeypadWindows = []device.Window{{From: from.Format("15:04"), Until: from.Add(tt.windows).Format("15:04")}}
				r.stop()
				r = newRig(t, cfg)
			}
			for _, s := range tt.steps {
				for i := range len(s.keypad) {
					r.input(device.Input{Kind: device.KeypadKey, Digit: s.keypad[i]})
				}
				if s.call {
					r.press(0)
					r.state("c1", "sip:1001@pbx", device.CallAnswered, 200, "")
				}
				r.dtmf("c1", s.dtmf)
				r.advance(s.advance)
			}
			r.wantSlice("relays", relaySets(r), tt.relays)
			var how []string
			for _, e := range r.events {
				if e.Kind == device.EventDoorOpened {
					how = append(how, e.How+" "+e.Who)
				}
			}
			r.wantSlice("openers", how, tt.openers)
		})
	}
}
