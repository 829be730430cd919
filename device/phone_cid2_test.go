package device_test

import (
	"testing"
	"time"

	"github.com/sipbell/sipbell/device"
)

// TestPhoneCallWaitingCallerID: caller ID on call waiting (type II) on
// the fake clock: the call-waiting tone's 300 ms burst, then the call
// muted and the 80 ms alerting signal; the phone's D within the window
// gets the caller ID 100 ms later, then the call is unmuted and the tone's
// cadence goes on; no acknowledgement, a wrong digit or a late one get
// none; a flash during it stops it.
func TestPhoneCallWaitingCallerID(t *testing.T) {
	cw := device.PhoneConfig{CallWaiting: true, CallWaitingCallerID: true, CallerID: "bell202"}
	cw.DialPlan.DigitMap = "(1xxx)"
	a := cw
	a.CASAck = "A"
	dialled := []string{"+10ms listen", "+10ms tone dial", "+10ms quiet"}
	alert := []string{"+10ms tone call-waiting", "+310ms mute", "+310ms play 80ms"}
	tests := []struct {
		name    string
		cfg     device.PhoneConfig
		script  func(r *phoneRig)
		handset []string
		calls   []string
	}{
		{"acknowledged: caller ID, then unmuted; the tone again after 10 s", cw,
			func(r *phoneRig) {
				r.inCall()
				r.phone(bob)
				r.advance(300 * time.Millisecond)
				r.advance(100 * time.Millisecond)
				r.keys("D")
				r.advance(100 * time.Millisecond)
				r.advance(time.Second)
				r.advance(9 * time.Second)
			},
			append(append(dialled, alert...), "+510ms play 271.625ms", "+1.51s unmute", "+10.51s tone call-waiting"), nil},
		{"no acknowledgement: no caller ID", cw,
			func(r *phoneRig) {
				r.inCall()
				r.phone(bob)
				r.advance(300 * time.Millisecond)
				r.advance(time.Second)
			},
			append(append(dialled, alert...), "+1.31s unmute"), nil},
		{"a late acknowledgement: no caller ID", cw,
			func(r *phoneRig) {
				r.inCall()
				r.phone(bob)
				r.advance(300 * time.Millisecond)
				r.advance(400 * time.Millisecond)
				r.keys("D")
				r.advance(time.Second)
			},
			append(append(dialled, alert...), "+710ms unmute"), nil},
		{"the wrong digit: no caller ID (cas_ack A)", a,
			func(r *phoneRig) {
				r.inCall()
				r.phone(bob)
				r.advance(300 * time.Millisecond)
				r.advance(100 * time.Millisecond)
				r.keys("D")
				r.advance(time.Second)
			},
			append(append(dialled, alert...), "+1.41s unmute"), nil},
		{"cas_ack A acknowledged", a,
			func(r *phoneRig) {
				r.inCall()
				r.phone(bob)
				r.advance(300 * time.Millisecond)
				r.advance(100 * time.Millisecond)
				r.keys("A")
				r.advance(100 * time.Millisecond)
				r.advance(time.Second)
			},
			append(append(dialled, alert...), "+510ms play 271.625ms", "+1.51s unmute"), nil},
		{"a flash during it answers bob, unmuted", cw,
			func(r *phoneRig) {
				r.inCall()
				r.phone(bob)
				r.advance(300 * time.Millisecond)
				r.advance(100 * time.Millisecond)
				r.flash()
			},
			append(append(dialled, alert...), "+710ms unmute"), []string{"dial 1000 → c1", "hold c1", "answer in2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newPhoneRig(t, tt.cfg)
			tt.script(r)
			calls := tt.calls
			if calls == nil {
				calls = []string{"dial 1000 → c1"}
			}
			r.check(tt.handset, calls, nil)
		})
	}
}
