package device_test

import (
	"errors"
	"testing"
	"time"

	"github.com/sipbell/sipbell/device"
)

// TestAdminCallIsTheDoorStationsCall: a call placed from the admin page
// goes through the door station like a button's, so its state (calling,
// connected), LED and ringback tell the truth; a second one during a call
// is refused with ErrInCall, and a button press does not end it.
func TestAdminCallIsTheDoorStationsCall(t *testing.T) {
	t.Parallel()
	r := newRig(t, testConfig())
	if err := r.d.Call(r.ctx(), []string{"2001"}); err != nil {
		t.Fatal(err)
	}
	r.sync()
	r.wantSlice("calls", r.ph.Calls(), []string{"dial 2001 → c1"})
	st, err := r.d.Status(r.ctx())
	if err != nil || st.Call != "calling" {
		t.Fatalf("status during an admin call: %+v %v", st, err)
	}
	if err := r.d.Call(r.ctx(), []string{"2002"}); !errors.Is(err, device.ErrInCall) {
		t.Fatalf("a second call during a call: %v, want ErrInCall", err)
	}
	r.state("c1", "sip:2001@pbx", device.CallAnswered, 200, "")
	r.press(0) // not this call's button
	r.advance(time.Second)
	if st, _ := r.d.Status(r.ctx()); st.Call != "connected" {
		t.Fatalf("status after the answer: %+v", st)
	}
	r.wantSlice("cues", r.snd.Played(), []string{"ringback", "stop"})
	r.wantSlice("calls", r.ph.Calls(), []string{"dial 2001 → c1"})
}
