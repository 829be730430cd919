package device_test

import (
	"testing"

	"github.com/sipbell/sipbell/device"
)

// TestMonitoringCall: door.monitor answers a verified, allowed caller's
// call during a visitor call (which goes on); a forged From, a caller not
// allowed, a third call, or the switch off get the call rejected; a digit
// in the monitoring call does not open the door.
func TestMonitoringCall(t *testing.T) {
	call := func(id, peer, identity string) step {
		return func(r *rig) {
			r.phone(device.PhoneEvent{Kind: device.PhoneIncoming, CallID: id, Peer: peer, State: device.CallIncoming,
				Caller: device.Caller{Identity: identity, Via: "proxy", Source: "192.0.2.1"}})
		}
	}
	visitor := []step{press(0), answer("c1", "sip:1001@pbx")}
	for _, tc := range []struct {
		name    string
		monitor bool
		steps   []step
		calls   []string
	}{
		{"monitor on: the allowed caller is answered, its digits open nothing, then it ends", true,
			[]step{call("in1", "sip:alice@pbx", "sip:alice@pbx"), dtmf("in1", "#"), end("in1", 0), call("in2", "sip:alice@pbx", "sip:alice@pbx")},
			[]string{"answer in1", "answer in2"}},
		{"monitor on: a forged From is rejected", true,
			[]step{call("in1", "sip:alice@pbx", "")}, []string{"hangup in1"}},
		{"monitor on: a caller not allowed is rejected", true,
			[]step{call("in1", "sip:mallory@pbx", "sip:mallory@pbx")}, []string{"hangup in1"}},
		{"monitor on: one monitoring call at a time", true,
			[]step{call("in1", "sip:alice@pbx", "sip:alice@pbx"), call("in2", "sip:alice@pbx", "sip:alice@pbx")},
			[]string{"answer in1", "hangup in2"}},
		{"monitor off (default): rejected", false,
			[]step{call("in1", "sip:alice@pbx", "sip:alice@pbx")}, []string{"hangup in1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := testConfig()
			cfg.AutoAnswer = true
			cfg.Door.Allowed = []string{"alice"}
			cfg.Door.Monitor = tc.monitor
			r := newRig(t, cfg)
			for _, s := range append(append([]step{}, visitor...), tc.steps...) {
				s(r)
			}
			r.wantSlice("calls", r.ph.Calls(), append([]string{"dial 1001 → c1"}, tc.calls...))
			if got := r.relay(); len(got) != 0 {
				t.Errorf("relay active %v: a monitoring call opened the door", got)
			}
			if st, err := r.d.Status(r.ctx()); err != nil || st.Call != "connected" {
				t.Errorf("visitor call %q (%v), want still connected", st.Call, err)
			}
		})
	}
}
