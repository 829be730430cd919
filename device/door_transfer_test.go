package device_test

import (
	"testing"

	"github.com/sipbell/sipbell/device"
)

// TestTransferredCall: when the resident hands the door call on (REFER),
// the call goes on with the new party, whose door rights never exceed
// the old party's.
func TestTransferredCall(t *testing.T) {
	tests := []struct {
		name           string
		targetsMayOpen bool
		allowed        []string
		to             string
		open           bool
	}{
		{"targets may open: so may the party a target handed the call to", true, nil, "sip:1002@pbx", true},
		{"targets may not open: an allowed party may", false, []string{"1001", "1002"}, "sip:1002@pbx", true},
		{"targets may not open: a party not allowed may not", false, []string{"1001"}, "sip:1003@pbx", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := testConfig()
			cfg.Door.TargetsMayOpen = tc.targetsMayOpen
			cfg.Door.Allowed = tc.allowed
			r := newRig(t, cfg)
			r.press(0)
			r.state("c1", "sip:1001@pbx", device.CallAnswered, 200, "")
			r.phone(device.PhoneEvent{Kind: device.PhoneCallState, CallID: "c1", Peer: tc.to,
				State: device.CallAnswered, Code: 200, Reason: "transferred", Transferred: true})
			if st, err := r.d.Status(r.ctx()); err != nil || st.Call != "connected" || st.Peer != tc.to {
				t.Errorf("after the transfer: %s with %q (%v), want connected with %s", st.Call, st.Peer, err, tc.to)
			}
			r.dtmf("c1", "#")
			if got := len(r.relay()) == 1; got != tc.open {
				t.Errorf("door opened = %v, want %v (relay %v)", got, tc.open, r.relay())
			}
		})
	}
}

// TestEarlyMediaStopsRingback: when the called phone (a queue, a PBX
// announcement) sends audio before answering, the visitor hears it
// instead of the door's own ringback; the call then connects as usual.
func TestEarlyMediaStopsRingback(t *testing.T) {
	t.Parallel()
	r := newRig(t, testConfig())
	r.press(0)
	r.phone(device.PhoneEvent{Kind: device.PhoneCallState, CallID: "c1", State: device.CallRinging,
		Code: 183, Reason: "183 Session Progress", EarlyMedia: true})
	r.wantSlice("cues with early media", r.snd.Played(), []string{"ringback", "stop"})
	r.state("c1", "sip:1001@pbx", device.CallAnswered, 200, "")
	if st, err := r.d.Status(r.ctx()); err != nil || st.Call != "connected" {
		t.Errorf("after the answer the door is %q (%v), want connected", st.Call, err)
	}
}
