package device_test

import (
	"testing"

	"github.com/sipbell/sipbell/device"
)

// TestAccessCheckOffDoorGoroutine: while a keypad code is being hashed
// (a slow hasher stands in for argon2id on a Pi Zero), the door keeps
// handling its events: a hang-up from the other side ends the call, a
// button press calls; a second code from the same source waits its
// turn, a third is refused unhashed; the first code's outcome then opens
// the user's relay.
func TestAccessCheckOffDoorGoroutine(t *testing.T) {
	t.Parallel()
	h, err := device.HashCode("7351", nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig()
	cfg.Door.Access.Users = []device.AccessUser{{Name: "anna", CodeHash: h}}
	r := newRig(t, cfg)
	entered, release := make(chan struct{}, 10), make(chan struct{})
	r.d.GateCodes(entered, release)
	r.press(0)
	r.state("c1", "sip:1001@pbx", device.CallAnswered, 200, "")
	ctx := r.ctx()
	for i, k := range []byte("7351#9999#0000#") {
		if err := r.d.Input(ctx, device.Input{Kind: device.KeypadKey, Digit: k}); err != nil {
			t.Fatal(err)
		}
		if i == 4 {
			<-entered // the first code is being hashed
		}
	}
	status := func(want string) {
		t.Helper()
		s, err := r.d.Status(ctx)
		if err != nil || s.Call != want {
			t.Fatalf("status during the check: %+v %v, want call %s", s, err, want)
		}
	}
	status("connected")
	if err := r.d.PhoneEvent(ctx, device.PhoneEvent{Kind: device.PhoneCallState, CallID: "c1",
		State: device.CallEnded, Code: 200}); err != nil {
		t.Fatal(err)
	}
	status("idle")
	if err := r.d.Input(ctx, device.Input{Kind: device.ButtonPress}); err != nil {
		t.Fatal(err)
	}
	status("calling")
	close(release)
	r.sync()
	r.wantSlice("relays", relaySets(r), []string{"relay 1 pulse 3s"})
	r.wantSlice("events", r.eventStrings()[3:], []string{"rang button=0 targets=[1001 1002]",
		"door-opened by code:anna"})
}
