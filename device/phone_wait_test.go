package device_test

import (
	"errors"
	"testing"
	"time"

	"github.com/sipbell/sipbell/device"
)

// flash breaks the loop for 300 ms (a hook flash) and lets it decode.
func (r *phoneRig) flash() {
	r.edge(device.HookOn)
	r.advance(300 * time.Millisecond)
	r.edge(device.HookOff)
	r.advance(10 * time.Millisecond)
}

// inCall lifts the handset, dials 1000 and has c1 answered.
func (r *phoneRig) inCall() {
	r.offHook()
	r.keys("1000")
	r.state("c1", "", device.CallAnswered, 200, "")
}

// bob is a second caller.
var bob = device.PhoneEvent{Kind: device.PhoneIncoming, CallID: "in2", Peer: "sip:bob@pbx",
	Caller: device.Caller{Identity: "sip:2000@pbx", Via: "proxy"}}

// TestPhoneCallWaiting: the second call, hook-flash swapping, recall,
// blind transfer, on the fake clock.
func TestPhoneCallWaiting(t *testing.T) {
	cw := device.PhoneConfig{CallWaiting: true, CallerID: "off"}
	cw.DialPlan.DigitMap = "(1xxx|2xxx)"
	dialled := []string{"+10ms listen", "+10ms tone dial", "+10ms quiet"}
	tests := []struct {
		name    string
		cfg     device.PhoneConfig
		script  func(r *phoneRig)
		handset []string
		calls   []string
		ringer  []string
	}{
		{"without call waiting a second call gets 486", mapPlan("(1xxx)"),
			func(r *phoneRig) { r.inCall(); r.phone(bob) },
			dialled, []string{"dial 1000 → c1", "reject486 in2"}, []string{}},
		{"tone; flash answers it holding the first; flash swaps back; on hook hangs up and the held one rings; off hook resumes it", cw,
			func(r *phoneRig) {
				r.inCall()
				r.advance(time.Second)
				r.phone(bob)
				r.advance(time.Second)
				r.flash()
				r.state("in2", "", device.CallAnswered, 200, "")
				r.advance(time.Second)
				r.flash()
				r.advance(time.Second)
				r.onHook()
				r.advance(time.Second)
				r.offHook()
			},
			append(dialled, "+1.01s tone call-waiting", "+2.32s quiet", "+5.63s deaf", "+6.64s listen"),
			[]string{"dial 1000 → c1", "hold c1", "answer in2", "hold in2", "resume c1", "hangup c1", "resume in2"},
			[]string{"+5.63s ringer ring 20 Hz", "+6.64s ringer off"}},
		{"the waiting caller gives up: the tone stops", cw,
			func(r *phoneRig) {
				r.inCall()
				r.phone(bob)
				r.advance(time.Second)
				r.state("in2", "", device.CallEnded, 487, "CANCEL")
				r.flash()
			},
			append(dialled, "+10ms tone call-waiting", "+1.01s quiet", "+1.32s tone dial"),
			[]string{"dial 1000 → c1", "hold c1"}, []string{}},
		{"on hook with a call waiting: it rings the bell; off hook answers it", cw,
			func(r *phoneRig) {
				r.inCall()
				r.phone(bob)
				r.onHook()
				r.offHook()
			},
			append(dialled, "+10ms tone call-waiting", "+1.01s deaf", "+1.01s quiet", "+1.02s listen"),
			[]string{"dial 1000 → c1", "hangup c1", "answer in2"},
			[]string{"+1.01s ringer ring 20 Hz", "+1.02s ringer off"}},
		{"the active call ends with one on hold: flash takes the held one back", cw,
			func(r *phoneRig) {
				r.inCall()
				r.phone(bob)
				r.flash()
				r.state("in2", "", device.CallAnswered, 200, "")
				r.state("in2", "", device.CallEnded, 0, "BYE")
				r.flash()
			},
			append(dialled, "+10ms tone call-waiting", "+320ms quiet"),
			[]string{"dial 1000 → c1", "hold c1", "answer in2", "resume c1"}, []string{}},
		{"blind transfer: flash, dial, on hook", cw,
			func(r *phoneRig) {
				r.inCall()
				r.flash()
				r.keys("2000")
				r.onHook()
			},
			append(dialled, "+320ms tone dial", "+320ms quiet", "+320ms tone ringback", "+1.32s deaf", "+1.32s quiet"),
			[]string{"dial 1000 → c1", "hold c1", "transfer c1 → 2000"}, []string{}},
		{"transfer abandoned: a flash takes the call back", cw,
			func(r *phoneRig) {
				r.inCall()
				r.flash()
				r.keys("2")
				r.flash()
				r.advance(time.Minute)
			},
			append(dialled, "+320ms tone dial", "+320ms quiet"),
			[]string{"dial 1000 → c1", "hold c1", "resume c1"}, []string{}},
		{"the transfer fails after on hook: the held call rings back; off hook resumes it", cw,
			func(r *phoneRig) {
				r.ph.TransferErr = map[string]error{"2000": errors.New("the new call failed: 404 Not Found")}
				r.inCall()
				r.flash()
				r.keys("2000")
				r.onHook()
				r.offHook()
			},
			append(dialled, "+320ms tone dial", "+320ms quiet", "+320ms tone ringback", "+1.32s deaf", "+1.32s quiet", "+1.33s listen"),
			[]string{"dial 1000 → c1", "hold c1", "transfer c1 → 2000", "resume c1"},
			[]string{"+1.32s ringer ring 20 Hz", "+1.33s ringer off"}},
		{"on hook before a transfer target: the held call rings back", cw,
			func(r *phoneRig) {
				r.inCall()
				r.flash()
				r.onHook()
				r.offHook()
			},
			append(dialled, "+320ms tone dial", "+1.32s deaf", "+1.32s quiet", "+1.33s listen"),
			[]string{"dial 1000 → c1", "hold c1", "resume c1"},
			[]string{"+1.32s ringer ring 20 Hz", "+1.33s ringer off"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newPhoneRig(t, tt.cfg)
			tt.script(r)
			r.check(tt.handset, tt.calls, tt.ringer)
		})
	}
}
